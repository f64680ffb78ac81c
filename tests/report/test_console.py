"""Console: summary tables/tree/plain, verdict, progress on TTY and non-TTY, no colour
when not a TTY or NO_COLOR, control characters from targets never reach the terminal."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from gatescan.model import Report
from gatescan.report.console import ConsoleReporter, make_console, render_console_text
from gatescan.report.verdict import verdict_text


def _console(tty: bool, **kw) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=tty, width=160, **kw), buf


@pytest.mark.parametrize("style", ["table", "tree", "plain"])
def test_render_styles(report, style):
    text = render_console_text(report, style=style, width=200)
    for needle in ("127.0.0.1", "18789", "10.99.0.1", "ollama".lower()):
        assert needle in text.lower()
    assert "auth.missing" in text
    assert "skill.rule.reverse-shell" in text
    assert "anyone on this network can drive" in text
    assert "\x1b" not in text
    assert "\\x1b[31mevil" in text  # an unknown service's banner is shown, escaped (issue 20)


def test_findings_sorted_by_severity(report):
    text = render_console_text(report, style="plain", width=300)
    lines = [line for line in text.splitlines() if line.startswith("finding ")]
    sevs = [line.split()[1] for line in lines]
    order = ["critical", "high", "medium", "low", "info"]
    assert sevs == sorted(sevs, key=order.index)
    assert sevs[0] == "critical"


def test_verdict_counts_services(report):
    text, worst = verdict_text(report)
    assert "1 service anyone on this network can drive" in text
    assert "1 service any local program can drive" in text
    assert "1 service a web page you visit can drive" in text
    assert "1 skill malicious or modified" in text
    assert worst.value == "critical"
    empty, worst = verdict_text(Report())
    assert empty.startswith("No findings") and worst is None
    r = Report(complete=False)
    assert "INCOMPLETE" in verdict_text(r)[0]


def test_colour_on_tty_only(report):
    con, buf = _console(True, color_system="standard")
    ConsoleReporter(con).render(report)
    assert "\x1b[" in buf.getvalue()
    con, buf = _console(False)
    ConsoleReporter(con).render(report)
    assert "\x1b[" not in buf.getvalue()


def test_no_color_env(monkeypatch, report):
    monkeypatch.setenv("NO_COLOR", "1")
    buf = io.StringIO()
    con = make_console(file=buf)
    ConsoleReporter(con).render(report)
    assert "\x1b[" not in buf.getvalue()


def test_hostile_banner_escaped(report):
    report.services[2].product_name = "\x1b]0;pwned\x07evil"
    con, buf = _console(True, color_system="standard")
    ConsoleReporter(con, style="plain").render(report)
    assert "\x1b]0" not in buf.getvalue()
    assert "\\x1b]0;pwned" in buf.getvalue()


def test_quiet_prints_only_errors(report):
    con, buf = _console(False)
    r = ConsoleReporter(con, quiet=True)
    r.start(100, "sweep")
    r.advance(50, 1)
    r.notice("hello")
    r.stop()
    r.render(report)
    assert buf.getvalue() == ""
    r.error("boom")
    assert "boom" in buf.getvalue()


def test_plain_progress_is_rate_limited():
    con, buf = _console(False)
    r = ConsoleReporter(con, plain_interval=3600)
    r.start(1000, "sweep")
    for i in range(1, 1001):
        r.advance(i, i // 100)
    r.stop()
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2  # the start line and the final line, none in between
    assert "1000/1000 probes, 10 open" in lines[-1]
    con, buf = _console(False)
    r = ConsoleReporter(con, plain_interval=0)
    r.start(10, "sweep")
    r.advance(5, 1)
    assert "sweep: 5/10 probes (50%), 1 open" in buf.getvalue()


def test_tty_progress_bar(report):
    con, buf = _console(True, color_system="standard")
    r = ConsoleReporter(con)
    r.start(100, "sweep")
    r.notice("a notice")
    r.advance(40, 2)
    r.stop()
    out = buf.getvalue()
    assert "a notice" in out
    assert "40/100 probes" in out


def test_unknown_style_refused():
    con, _ = _console(False)
    with pytest.raises(ValueError):
        ConsoleReporter(con, style="fancy")


def test_brackets_from_targets_and_skills_are_text_not_markup():
    # A skill named "[/]" (or a banner/version with Rich markup) crashed every table layout
    # with MarkupError, and "[link=...]" would have become a terminal hyperlink.
    from gatescan.model import Finding, Service, SkillRecord
    from gatescan.report.diff import diff_reports, render_diff

    report = Report(
        services=[Service(host="127.0.0.1", port=80, product="ollama", version="[/]")],
        findings=[Finding(check="skill.unlisted", severity="medium", title="Skill [/] [link=http://x]y[/link]",
                          target="/s/[/]/SKILL.md", path="/s/[/]/SKILL.md", skill="[/]")],
        skills=[SkillRecord(name="[/]", path="/s/[/]")],
    )
    for style in ("table", "tree", "plain"):
        text = render_console_text(report, style=style, width=300)
        assert "[/]" in text and "[link=http://x]" in text
    console, buf = _console(tty=True)
    render_diff(diff_reports(Report(), report), console)
    assert "[link=http://x]" in buf.getvalue() and "\x1b]8;" not in buf.getvalue()


def test_console_text_of_a_saved_report_with_a_lone_surrogate(tmp_path):
    # Reports escape non-UTF-8 names as \udcNN, which JSON reads back as a lone surrogate;
    # `report render --format console -o FILE` died encoding it for os.devnull.
    from gatescan.model import Finding
    from gatescan.report import RenderOptions, write_report

    report = Report(findings=[Finding(check="config.auth.none", severity="high", title="bad \udcff name",
                                      target="/etc/x\udcff", path="/etc/x\udcff")])
    assert "bad \udcff name" in render_console_text(report, style="plain")
    write_report(report, "console", str(tmp_path / "out.txt"), RenderOptions(style="plain"))
    assert "\\udcff" in (tmp_path / "out.txt").read_text(encoding="utf-8")
