"""A new output format is one class and one registry line: two throwaway formats, registered
here and nowhere else, work through `report render`, the renderers' entry points and the
scan's sink (a document written at the end, and a stream fed as the run goes)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gatescan import report as report_pkg
from gatescan.cli import app
from gatescan.report import FORMATS, get_format, render_report, write_report
from gatescan.report.interface import RenderOptions, ReportFormat
from gatescan.report.sink import OutputOptions, ReportSink, UsageError
from tests.report.conftest import DATA
from tests.report.synth import full_report


class TitlesFormat(ReportFormat):
    """One finding title per line, upper-cased, under a header naming the console style."""

    def render(self, report, options):
        yield f"# {options.style}\n"
        for finding in report.findings:
            yield finding.title.upper() + "\n"


class CountingWriter:
    def __init__(self, out):
        self.out = out

    def _line(self, text):
        self.out.write(text + "\n")
        self.out.flush()

    def service(self, service):
        self._line(f"service {service.host}:{service.port}")

    def finding(self, finding):
        self._line(f"finding {finding.check}")

    def skill(self, skill):
        self._line(f"skill {skill.name}")

    def error(self, error):
        self._line(f"error {error.where}")

    def progress(self, done, total, open, rate):  # noqa: A002
        self._line(f"progress {done}/{total}")

    def summary(self, report):
        self._line(f"summary {len(report.findings)}")


class TickerFormat(ReportFormat):
    streams_events = True

    def render(self, report, options):
        return [f"finding {f.check}\n" for f in report.findings] + [f"summary {len(report.findings)}\n"]

    def event_writer(self, out):
        return CountingWriter(out)


@pytest.fixture
def registered(monkeypatch):
    # the one line each format costs
    monkeypatch.setitem(FORMATS, "titles", f"{__name__}:TitlesFormat")
    monkeypatch.setitem(FORMATS, "ticker", f"{__name__}:TickerFormat")


def test_unregistered_names_are_refused(tmp_path):
    assert "titles" not in FORMATS
    with pytest.raises(ValueError, match="unknown format 'titles'"):
        get_format("titles")
    result = CliRunner().invoke(app, ["report", "render", str(DATA / "full-report.json"), "--format", "titles"])
    assert result.exit_code == 2 and "--format must be one of" in result.output


def test_a_registered_format_renders_and_writes(registered, tmp_path):
    report = full_report()
    text = render_report(report, "titles", RenderOptions(style="tree"))
    assert text.splitlines()[0] == "# tree"
    assert text.splitlines()[1:] == [f.title.upper() for f in report.findings]
    write_report(report, "titles", str(tmp_path / "out.txt"), RenderOptions(style="tree"))
    assert (tmp_path / "out.txt").read_text() == text


def test_report_render_offers_and_writes_it(registered, tmp_path):
    saved = DATA / "full-report.json"
    out = tmp_path / "titles.txt"
    result = CliRunner().invoke(app, ["report", "render", str(saved), "--format", "titles", "--style", "plain",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "# plain" and len(lines) == 1 + len(json.loads(saved.read_text())["findings"])
    result = CliRunner().invoke(app, ["report", "render", str(saved), "--format", "ticker"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("summary ")


def test_the_scan_sink_writes_and_streams_it(registered, tmp_path):
    report = full_report()
    options = OutputOptions.parse(quiet=True, titles=tmp_path / "t.txt", ticker=str(tmp_path / "live.txt"),
                                  json=str(tmp_path / "r.json"))
    sink = ReportSink(options, report)
    sink.service(report.services[0])
    sink.finding(report.findings[0])
    # streamed as it happens, before the run ends
    assert (tmp_path / "live.txt").read_text().splitlines() == [
        f"service {report.services[0].host}:{report.services[0].port}", f"finding {report.findings[0].check}"]
    assert not (tmp_path / "t.txt").exists()  # a whole document is written at the end
    sink.finish()
    assert (tmp_path / "live.txt").read_text().splitlines()[-1] == f"summary {len(report.findings)}"
    assert (tmp_path / "t.txt").read_text() == render_report(report, "titles")
    assert json.loads((tmp_path / "r.json").read_text())["findings"]


def test_the_sink_rules_hold_for_it(registered, tmp_path):
    with pytest.raises(UsageError, match="--titles and --json cannot all write to stdout"):
        OutputOptions.parse(titles="-", json="-")
    with pytest.raises(UsageError, match="--titles: .*no such directory"):
        OutputOptions.parse(titles=tmp_path / "missing" / "t.txt")
    with pytest.raises(UsageError, match="--ticker: cannot write"):
        ReportSink(OutputOptions.parse(ticker=str(tmp_path / "missing" / "live.txt")), full_report())
    assert OutputOptions.parse(titles="-").stdout_taken


def test_the_registry_is_the_only_list_of_formats():
    assert report_pkg.FORMATS is FORMATS
    for name in FORMATS:
        assert isinstance(get_format(name), ReportFormat)
