"""Progress that tells the truth (issue 20 item 6), the console's side: after the sweep bar,
identify and checks show how far they are and the slowest endpoint in flight; the closing line
names each phase's time; the sweep status always carries an ETA, and a huge sweep's share done
is never a bare 0%."""

from __future__ import annotations

import io
import time

from rich.console import Console

from gatescan.model import Report
from gatescan.report.console import ConsoleReporter
from gatescan.report.sink import OutputOptions, ReportSink


def _reporter(tty: bool, **kw) -> tuple[ConsoleReporter, io.StringIO]:
    buf = io.StringIO()
    return ConsoleReporter(Console(file=buf, force_terminal=tty, width=120), **kw), buf


def test_plain_stage_lines_name_counts_and_the_slowest_endpoint():
    r, buf = _reporter(False, plain_interval=0)
    r.start(10, "sweep")
    r.advance(10, 2)
    r.stage("identify", 1, 2, "127.0.0.1:18789", time.monotonic() - 4)
    r.stage("checks", 0, 1, "127.0.0.1:11434", time.monotonic() - 1)
    out = buf.getvalue()
    assert "identify 1/2 services; slowest 127.0.0.1:18789 (4 s)" in out
    assert "identify 1/2 services, checks 0/1 services; slowest 127.0.0.1:18789" in out


def test_tty_shows_the_stage_line_under_the_bar():
    r, buf = _reporter(True)
    r.start(100, "sweep")
    r.advance(100, 1)
    r.stage("identify", 0, 1, "127.0.0.1:18789", time.monotonic() - 2)
    r._progress.refresh()
    r.stop()
    assert "identify 0/1 services; slowest 127.0.0.1:18789" in buf.getvalue()


def test_closing_line_names_each_phase():
    r, buf = _reporter(False)
    r.start(10, "sweep")
    r.advance(10, 1)
    r.stop({"phases": {"sweep_s": 0.1, "identify_s": 5.9, "checks_s": 2.04}})
    assert buf.getvalue().splitlines()[-1].endswith("(sweep 0.1 s, identify 5.9 s, checks 2.0 s)")


def test_sink_closing_line_reads_the_report_phases(capsys):
    report = Report(stats={"phases": {"sweep_s": 0.25, "identify_s": 1.5}})
    sink = ReportSink(OutputOptions(), report)
    sink.start(4, "sweep")
    sink.progress(4, 4, 0, 100.0)
    sink.finish()
    assert "(sweep 0.2 s, identify 1.5 s)" in capsys.readouterr().out


def test_sweep_status_has_an_eta_and_a_share_that_moves():
    r, buf = _reporter(False, plain_interval=0)
    r.start(10_000_000, "sweep")
    r.advance(0, 0)
    assert "ETA unknown" in buf.getvalue()
    r._samples = [(time.monotonic() - 2, 0)]  # 120 probes in the last 2 s: 60/s
    r.advance(120, 0)
    line = buf.getvalue().splitlines()[-1]
    assert "(0.0012%)" in line and "ETA 1.9 days" in line
