"""Readable at 80 columns (issue 20, item 5): piped or in CI the console is 80 wide. Check ids,
versions and endpoints never break across lines at 80 or at 200 columns; `--style plain`
never cuts or wraps a record; `fingerprints list` and the `lab up` table keep ports,
ids and endpoints whole."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from gatescan.cli import app
from gatescan.labrun import RunningLab, lab_table, plan
from gatescan.model import Finding
from gatescan.report.console import hostport, render_console_text
from tests.report.synth import full_report


def _whole_on_a_line(text: str, needles: set[str]) -> set[str]:
    """The needles that appear on no single line of `text` (so were broken or lost)."""
    lines = text.splitlines()
    return {n for n in needles if not any(n in line for line in lines)}


def _ids_versions_endpoints(report) -> set[str]:
    needles = set()
    for s in report.services:
        needles.add(hostport(s.host, s.port))
        if s.version:
            needles.add(s.version)
        needles.update(c.check for c in s.checks)
    for f in report.findings:
        needles.add(f.check)
        if f.port is not None and f.target:
            needles.add(f.target)
    for sk in report.skills or ():
        needles.add(sk.name)
        if sk.version:
            needles.add(sk.version)
    return needles


@pytest.mark.parametrize("width", [80, 200])
@pytest.mark.parametrize("style", ["table", "tree", "plain"])
def test_ids_versions_and_endpoints_never_break(width, style):
    report = full_report()
    text = render_console_text(report, style=style, width=width)
    needles = _ids_versions_endpoints(report)
    if style == "table" and width >= 120:  # the wide services table has host and port columns
        needles = {n for n in needles if n not in {hostport(s.host, s.port) for s in report.services}}
    if style == "tree":  # by host, then :port; it lists check ids and service versions, not skills or URLs
        needles = {c.check for s in report.services for c in s.checks} | {f.check for f in report.findings} \
            | {s.version for s in report.services if s.version}
    assert _whole_on_a_line(text, needles) == set()


def test_table_at_80_columns_stays_inside_80():
    text = render_console_text(full_report(), style="table", width=80)
    table_lines = [line for line in text.splitlines() if line[:1] in "┏┃┡│├└"]
    assert table_lines and all(len(line.rstrip()) <= 80 for line in table_lines)


def test_unknown_service_shows_its_banner():
    for style in ("table", "plain", "tree"):
        text = render_console_text(full_report(), style=style, width=200)
        assert "Server: \\x1b[31mevil\\x1b[0m" in text, style


def test_plain_never_truncates_or_wraps():
    report = full_report()
    long_title = "A title far longer than any console line " + "word " * 60 + "END"
    report.findings.append(Finding(check="auth.missing", severity="low", title=long_title,
                                   target="http://127.0.0.1:9/" + "p" * 150, host="127.0.0.1", port=9))
    text = render_console_text(report, style="plain", width=80)
    [line] = [line for line in text.splitlines() if "END" in line]
    assert line.startswith("finding low auth.missing http://127.0.0.1:9/" + "p" * 150)
    assert line.rstrip().endswith(long_title)


def test_fingerprints_list_at_80_keeps_ids_and_ports_whole():
    from gatescan.identify.fingerprints import load_fingerprints

    result = CliRunner().invoke(app, ["fingerprints", "list"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    assert max(len(line.rstrip()) for line in result.output.splitlines()) <= 80
    words = {w.strip(",") for line in result.output.splitlines() for w in line.split()}
    for fp in load_fingerprints():
        assert fp.id in words and fp.category in words
        assert {str(p) for p in fp.ports} <= words, fp.id
        assert "…" not in result.output


@pytest.mark.parametrize("width", [80, 200])
def test_lab_table_keeps_endpoints_and_ids_whole(width):
    lab = RunningLab(entries=[svc.manifest_entry(host, port) for svc, host, port in plan()])
    buf = io.StringIO()
    Console(file=buf, width=width).print(lab_table(lab, width))
    text = buf.getvalue()
    needles = set()
    for e in lab.entries:
        needles |= {f"{e['host']}:{e['port']}", e["key"], *e["expected"]}
        if e["product"]:
            needles |= {e["product"], e["version"] or "-"}  # a version the scan cannot see shows as -
    assert _whole_on_a_line(text, needles) == set()
    assert "…" not in text
