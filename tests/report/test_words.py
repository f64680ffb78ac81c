"""Issue 20 item 10, the report's words: a skills-only report speaks of skills, not services;
the HTML banner is green only with nothing found; HTML sorts addresses as addresses; control
characters in paths are escaped the same way by the console, the HTML and error messages."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from gatescan.cli import app
from gatescan.model import Finding, Report, Service, SkillRecord
from gatescan.report.console import render_console_text
from gatescan.report.html import render_html
from gatescan.report.verdict import verdict_text
from gatescan.userio import escape_control
from tests.report.chromium import CHROMIUM, dump_dom


def _skills_report(findings=()) -> Report:
    report = Report(skills=[SkillRecord(name="notes", path="/home/u/.openclaw/skills/notes", status="unlisted")])
    report.stats["skills"] = {"skills": 1}
    report.findings.extend(findings)
    return report


def _medium_skill_finding() -> Finding:
    return Finding(check="skill.rule.obfuscation", severity="medium", title="Skill hides code", target="/home/u/.openclaw/skills/notes/SKILL.md",
                   path="/home/u/.openclaw/skills/notes/SKILL.md", skill="notes")


def test_a_skills_only_report_speaks_of_skills():
    clean_text, _ = verdict_text(_skills_report())
    assert clean_text == "No findings: 1 skill audited"
    text, worst = verdict_text(_skills_report([_medium_skill_finding()]))
    assert "service" not in text and "nothing anyone can drive" not in text
    assert text == "1 finding, worst medium; 1 skill audited, none malicious or modified"
    # a network scan still counts its services
    from gatescan.model import CheckResult, CheckStatus

    scan = Report(services=[Service(host="127.0.0.1", port=1, product="ollama",
                                    checks=[CheckResult("auth.missing", CheckStatus.PASSED, "refused")])])
    assert verdict_text(scan)[0] == "No findings: 1 service checked"
    unchecked = Report(services=[Service(host="127.0.0.1", port=1, product="ollama")])  # --no-identify
    assert verdict_text(unchecked)[0] == "No findings: 1 service found, none checked"
    empty_scan = Report(stats={"probes_total": 10})
    assert verdict_text(empty_scan)[0] == "No findings: 0 services checked"


@pytest.mark.parametrize("severity, css", [(None, "verdict"), ("info", "verdict note"), ("low", "verdict note"),
                                           ("medium", "verdict warn"), ("high", "verdict bad")])
def test_html_banner_is_green_only_when_nothing_was_found(severity, css):
    finding = _medium_skill_finding()
    if severity:
        finding.severity = type(finding.severity)(severity)
    page = render_html(_skills_report([finding] if severity else []))
    assert f'<div class="{css}" id=verdict>' in page


HOSTS = ["10.0.0.10", "gateway.lan", "::1", "10.0.0.9", "9.1.1.1", "fd00::2", "127.0.0.1"]
IN_ORDER = ["9.1.1.1", "10.0.0.9", "10.0.0.10", "127.0.0.1", "::1", "fd00::2", "gateway.lan"]


def _hosts_report() -> Report:
    return Report(services=[Service(host=h, port=80, product="ollama") for h in HOSTS])


def test_html_sort_keys_order_addresses_as_addresses():
    page = render_html(_hosts_report())
    keys = dict((host, key) for key, host in re.findall(r'<tr><td data-sort="([^"]+)">([^<]+)</td>', page))
    assert sorted(HOSTS, key=keys.__getitem__) == IN_ORDER


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed")
def test_html_sorts_addresses_in_chromium(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(_hosts_report()), encoding="utf-8")
    dom = dump_dom(page.as_uri() + "#sort=services:0")
    table = dom[dom.index('id="services"'):]
    table = table[: table.index("</table>")]
    assert re.findall(r'<tr><td data-sort="[^"]+">([^<]+)</td>', table) == IN_ORDER


def test_control_characters_are_escaped_the_same_everywhere(tmp_path):
    path = "/tmp/evil\nname\t\x1b[31m/SKILL.md"
    shown = escape_control(path)
    assert shown == "/tmp/evil\\nname\\t\\x1b[31m/SKILL.md"
    report = _skills_report([Finding(check="skill.rule.obfuscation", severity="medium", title="t", target=path, path=path)])
    report.skills[0].path = path
    for style in ("table", "plain", "tree"):
        assert shown in render_console_text(report, style=style, width=200), style
    assert shown in render_html(report)
    # an error message naming the path: the same escape, not a line break or a raw ESC
    result = CliRunner().invoke(app, ["report", "render", str(tmp_path / "no\nsuch\x1b.json")])
    assert result.exit_code == 2
    assert "no\\nsuch\\x1b.json" in result.output and "\x1b" not in result.output


def test_a_run_that_scanned_nothing_says_so_not_interrupted():
    from gatescan.model import ErrorRecord

    nothing = Report(stats={"probes_total": 0}, complete=False,
                     errors=[ErrorRecord(where="scan", message="nothing was scanned: the excludes remove every target")])
    text, _ = verdict_text(nothing)
    assert text.endswith("INCOMPLETE: nothing was scanned: the excludes remove every target")
    assert "interrupted" not in text
    interrupted = Report(stats={"probes_total": 10}, complete=False)
    assert verdict_text(interrupted)[0].endswith("INCOMPLETE: the run was interrupted or lost work")
