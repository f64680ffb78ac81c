"""The HTML report: self-contained, escaped, and checked in a real headless Chromium
(text content, sorting, a screenshot)."""

from __future__ import annotations

import os
import re
import shutil
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
