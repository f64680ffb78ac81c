"""The HTML report: self-contained, escaped, and checked in a real headless Chromium
(text content, sorting, a screenshot)."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gatescan.model import Report
from gatescan.report.html import render_html
from tests.report.chromium import CHROMIUM, dump_dom, screenshot

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed")


def test_self_contained_and_escaped(report):
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    # nothing is fetched: no src/href to anything, a CSP that forbids it anyway
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "default-src 'none'" in page
    assert page.count("<script>") == 1
    assert "reverse shell &lt;script&gt;" in page
    assert "<svg" in page


def test_every_section_present(report):
    page = render_html(report)
    for needle in ("Services (3)", "Findings (8)", "Skills (3)", "This machine", "Shards (2)",
                   "Suppressed (1)", "Errors (2)", "Findings by severity", "Findings by product",
                   "lab box, accepted until the proxy lands", "CVE-2026-25253", "MCP servers configured"):
        assert needle in page, needle


class _Tables(HTMLParser):
    """Cell texts of each top-level row of every table with an id, and the summary cards."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.cards: list[tuple[str, str]] = []
        self._stack: list[str | None] = []  # table ids, innermost last (None: a table without id)
        self._in_body = False
        self._cell: list[str] | None = None
        self._card: list[str] | None = None
        self._card_part: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._stack.append(attrs.get("id"))
            if attrs.get("id"):
                self.tables[attrs["id"]] = []
        elif len(self._stack) == 1 and self._stack[0]:
            if tag == "tbody":
                self._in_body = True
            elif tag == "tr" and self._in_body:
                self.tables[self._stack[0]].append([])
            elif tag == "td" and self._in_body:
                self._cell = []
        if tag == "div" and attrs.get("class") == "card":
            self._card = []
        elif self._card is not None and tag in ("b", "span"):
            self._card_part = tag

    def handle_endtag(self, tag):
        if tag == "table":
            self._stack.pop()
            self._in_body = False
        elif tag == "td" and self._cell is not None and len(self._stack) == 1:
            self.tables[self._stack[0]][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "div" and self._card is not None:
            self.cards.append(tuple(self._card))
            self._card = None
        elif tag in ("b", "span"):
            self._card_part = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._card is not None and self._card_part:
            self._card.append(data.strip())


def _tables(page: str) -> _Tables:
    parsed = _Tables()
    parsed.feed(page)
    parsed.close()
    return parsed


@pytest.mark.parametrize("source", ["direct", "saved"])
def test_shows_every_finding_service_and_skill(source, report, saved_report):
    """Each finding (severity, check id, where), each service's endpoint and product, each
    skill's name and status is a row of its table, and the summary cards count them right."""
    if source == "saved":
        from gatescan.report.jsonout import load_report

        report = load_report(str(saved_report))
    parsed = _tables(render_html(report))

    findings = parsed.tables["findings"]
    assert len(findings) == len(report.findings) == 8
    assert Counter((row[0], row[1], row[2]) for row in findings) == Counter(
        (f.severity.value, f.check, f.target if f.port is not None else f"{f.path}:{f.line}" if f.line else f.path)
        for f in report.findings)
    assert {row[1] for row in findings} == {"auth.missing", "ws.origin.unchecked", "version.vulnerable",
                                            "exposure.network", "config.auth.none", "skill.rule.reverse-shell",
                                            "skill.unlisted"}

    services = parsed.tables["services"]
    assert len(services) == len(report.services) == 3
    assert sorted((row[0], int(row[1]), row[2]) for row in services) == sorted(
        (s.host, s.port, s.product_name or s.product) for s in report.services)
    assert {(row[0], row[1]) for row in services} == {("127.0.0.1", "18789"), ("10.99.0.1", "11434"), ("::1", "8080")}
    # a service's findings column counts the findings on its endpoint
    by_endpoint = {(row[0], row[1]): row[6] for row in services}
    assert by_endpoint[("127.0.0.1", "18789")] == "critical 3"
    assert by_endpoint[("10.99.0.1", "11434")] == "high 2"
    assert by_endpoint[("::1", "8080")] == "none"

    skills = parsed.tables["skills"]
    assert [(row[0], row[1]) for row in skills] == [(k.name, k.status) for k in report.skills]
    assert {row[0] for row in skills} == {"evil", "notes", "weather"}

    assert [row[1] for row in parsed.tables["suppressed"]] == ["tls.missing"]
    assert len(parsed.tables["errors"]) == len(report.errors) == 2

    cards = {label: int(n) for n, label in parsed.cards}
    severities = Counter(f.severity.value for f in report.findings)
    assert cards == {"services": 3, "findings": 8, "skills": 3, "suppressed": 1, "errors": 2,
                     **{sev: severities.get(sev, 0) for sev in ("critical", "high", "medium", "low", "info")}}
    assert (cards["critical"], cards["high"], cards["medium"], cards["low"], cards["info"]) == (2, 3, 1, 1, 1)


def test_empty_report():
    page = render_html(Report())
    assert "No findings" in page


@needs_chromium
def test_renders_in_chromium(tmp_path, report):
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    dom = dump_dom(page.as_uri())
    text = re.sub(r"<[^>]+>", " ", dom)
    assert "1 service anyone on this network can drive" in text
    assert "Gateway accepts operators without credentials" in text
    assert "ws://127.0.0.1:18789/" in text
    assert dom.count("<script") == 1  # the hostile title stayed text
    # the evidence is in the page, folded in <details>
    assert "<details>" in dom and "attacker.example" in dom
    png = tmp_path / "report.png"
    screenshot(page.as_uri(), png)
    if os.environ.get("GATESCAN_SCREENSHOT_TO"):  # how docs/report.png is refreshed
        shutil.copy(png, os.environ["GATESCAN_SCREENSHOT_TO"])


@needs_chromium
def test_sorting_in_chromium(tmp_path, report):
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    dom = dump_dom(page.as_uri() + "#sort=findings:1:desc")
    table = dom[dom.index('id="findings"'):]
    table = table[: table.index("</table>")]
    assert 'data-sorted="1:desc"' in table
    checks = re.findall(r"<td><code>([^<]+)</code></td>", table)
    assert checks == sorted(checks, reverse=True) and len(checks) == len(report.findings)
