"""Where a report goes: the output options every report-producing command shares.

`ReportSink` is the pipeline's observer (live console progress, JSONL events as they happen)
and, at the end, writes every requested format and returns the exit code (docs/architecture.md).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Mapping

from rich.console import Console
from rich.text import Text

from ..model import ErrorRecord, Finding, Report, Service, Severity
from .interface import EventWriter, RenderOptions


class UsageError(ValueError):
    """A bad option value: exit 2, nothing sent."""


@dataclass(frozen=True)
class OutputOptions:
    destinations: tuple[tuple[str, str], ...] = ()  # (format name, FILE or "-"), in option order
    quiet: bool = False
    style: str = "table"
    fail_on: Severity = Severity.HIGH
    baseline: Path | None = None
    suppressions: tuple = ()  # the baseline's entries, read once while parsing the options
    baseline_tools: Mapping[tuple, Any] = field(default_factory=dict)  # a saved report's MCP tool pins (toolpins)

    @classmethod
    def parse(cls, *, quiet: bool = False, style: str = "table", fail_on: str = "high",
              baseline: Path | None = None, **destinations: str | Path | None) -> "OutputOptions":
        """Check every option before anything is sent. `destinations` maps a format name of the
        registry (the option `--NAME`) to its FILE, "-" (stdout) or None (not asked for)."""
        from . import get_format

        try:
            RenderOptions(style=style)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        try:
            threshold = Severity.parse(fail_on)
        except ValueError as exc:
            raise UsageError(f"--fail-on: {exc}") from None
        chosen = tuple((name, str(dest)) for name, dest in destinations.items() if dest is not None)
        formats = {name: get_format(name) for name, _ in chosen}
        on_stdout = [f"--{name}" for name, dest in chosen if dest == "-"]
        if len(on_stdout) > 1:
            raise UsageError(f"{' and '.join(on_stdout)} cannot all write to stdout (-)")
        named: dict[str, str] = {}  # the real path -> the option naming it
        for name, dest in chosen:
            if dest != "-":
                same = named.setdefault(os.path.realpath(dest), f"--{name}")
                if same != f"--{name}":
                    raise UsageError(f"{same} and --{name} both name {dest}: one would overwrite the other")
        for name, dest in chosen:
            # a streamed format's file is opened (and so checked) when the sink starts
            if dest != "-" and not formats[name].streams_events:
                check_writable(f"--{name}", Path(dest))
        entries = _read_baseline(Path(baseline)) if baseline is not None else ()
        pins = _baseline_tools(Path(baseline)) if baseline is not None else {}
        return cls(destinations=chosen, quiet=quiet, style=style, fail_on=threshold, baseline=baseline,
                   suppressions=entries, baseline_tools=pins)

    @property
    def stdout_taken(self) -> bool:
        return any(dest == "-" for _, dest in self.destinations)


def check_writable(option: str, path: Path) -> None:
    """A report that could never be written is a usage error, found before a long scan, not after."""
    folder = path.parent
    if path.is_dir():
        raise UsageError(f"{option}: {path} is a directory")
    if not folder.is_dir():
        raise UsageError(f"{option}: {path}: no such directory {str(folder)!r}")
    if path.exists() and not path.is_file():  # a FIFO, /dev/stdout: written straight through
        if not os.access(path, os.W_OK):
            raise UsageError(f"{option}: {path}: not writable")
        return
    # The writer makes a temporary file beside the report and renames it over: try exactly
    # that, since permission bits lie to root and /proc or a read-only mount refuse anyway.
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
    except OSError as exc:
        raise UsageError(f"{option}: {path}: cannot write there: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)


def _read_baseline(path: Path) -> tuple:
    """The baseline's entries; one that cannot be read is a usage error, before anything is sent."""
    from .suppress import SuppressionError, load_suppressions

    try:
        return tuple(load_suppressions(path))
    except SuppressionError as exc:
        raise UsageError(f"--baseline: {exc}") from None
    except OSError as exc:
        raise UsageError(f"--baseline: {path}: {exc.strerror or exc}") from None


def _baseline_tools(path: Path) -> dict:
    """The MCP tool pins of a baseline that is a saved report ({} for a suppression file)."""
    from .. import toolpins
    from ..userio import UserFileError, read_user_text
    from .jsonout import ReportLoadError, parse_report
    from ..model import SCHEMA
    from .suppress import MAX_FILE_BYTES

    try:
        text = read_user_text(path, MAX_FILE_BYTES)
        if f'"{SCHEMA}"' not in text[:4096]:
            return {}
        return toolpins.pins_of(parse_report(text, str(path)))
    except (UserFileError, ReportLoadError, OSError) as exc:
        raise UsageError(f"--baseline: {exc}") from None


def exit_code_for(report: Report, fail_on: Severity) -> int:
    """3 when the run failed or is incomplete, else 1 when a finding reaches `fail_on`, else 0."""
    if not report.complete:
        return 3
    return 1 if report.findings_at_least(fail_on) else 0


class _ConsoleStream:
    """The console's stream. A reader that went away (`gatescan scan ... | head`) ends the human
    output only: the run, its documents and its exit code go on as if it were still there."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        self._guard(self._stream.write, text)
        return len(text)

    def flush(self) -> None:
        self._guard(self._stream.flush)

    def _guard(self, call, *args) -> None:
        if self._gone:
            return
        try:
            call(*args)
        except BrokenPipeError:
            self._gone = True
            devnull = os.open(os.devnull, os.O_WRONLY)  # so the exit flush cannot fail again
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str):  # isatty, fileno, encoding: what rich asks the real stream
        return getattr(self._stream, name)


@dataclass
class _EventStream:
    """A streamed format's open destination."""

    option: str  # "--jsonl"
    dest: str
    file: IO[str]
    writer: EventWriter


class ReportSink:
    """Observer for the pipeline and writer of the final outputs."""

    PROGRESS_EVERY_S = 1.0  # progress events at most this often

    def __init__(self, options: OutputOptions, report: Report) -> None:
        from . import get_format
        from .console import ConsoleReporter

        self.options = options
        self.report = report
        self._live_suppressions = [e for e in options.suppressions if not e.expired()]
        # With a document on stdout, the human output moves to stderr.
        self.console = Console(file=_ConsoleStream(sys.stderr if options.stdout_taken else sys.stdout),
                               highlight=False)
        self.reporter = ConsoleReporter(self.console, style=options.style, quiet=options.quiet)
        self._streams: list[_EventStream] = []  # the live ones: a stream that broke is dropped
        self._opened: list[_EventStream] = []  # every stream whose file this sink opened, to close
        self._documents: list[tuple[str, str]] = []  # (format, dest) written whole at the end
        try:
            for name, dest in options.destinations:
                fmt = get_format(name)
                if not fmt.streams_events:
                    self._documents.append((name, dest))
                    continue
                try:
                    # backslashreplace, as the atomic writer: a non-UTF-8 file name (kept as a
                    # surrogate) becomes \udcNN instead of failing the write
                    out = sys.stdout if dest == "-" else open(dest, "w", encoding="utf-8", errors="backslashreplace")
                except OSError as exc:  # found before anything is sent: a usage error
                    raise UsageError(f"--{name}: cannot write {dest}: {exc.strerror or exc}") from None
                stream = _EventStream(f"--{name}", dest, out, fmt.event_writer(out))
                self._streams.append(stream)
                if out is not sys.stdout:
                    self._opened.append(stream)
        except UsageError:
            self._close_streams()
            raise
        self._last_progress = 0.0
        self._was_interrupted = False

    # observer interface (app.ScanObserver)
    def start(self, total: int, label: str) -> None:
        self.reporter.start(total, label)

    def progress(self, done: int, total: int, open_found: int, rate: float) -> None:
        self.reporter.advance(done, open_found)
        now = time.monotonic()
        if self._streams and (now - self._last_progress >= self.PROGRESS_EVERY_S or done >= total):
            self._last_progress = now
            self._stream("progress", done, total, open_found, rate)

    def stage_progress(self, stage: str, done: int, total: int, slowest: str | None, since: float | None) -> None:
        self.reporter.stage(stage, done, total, slowest, since)

    def sweep_state(self, inflight: int, timed_out: int, retries_waiting: int) -> None:
        self.reporter.sweep_state(inflight, timed_out, retries_waiting)

    def service(self, service: Service) -> None:
        self._stream("service", service)

    def finding(self, finding: Finding) -> None:
        # A finding the baseline will suppress is not streamed: JSONL readers see what --fail-on
        # counts, and the summary's `suppressed` count says how many were held back.
        if not any(entry.matches(finding) for entry in self._live_suppressions):
            self._stream("finding", finding)

    def skill(self, skill) -> None:
        self._stream("skill", skill)

    def error(self, error: ErrorRecord) -> None:
        self._stream("error", error)

    def _stream(self, event: str, *args) -> None:
        """One event to every stream. A stream that breaks (`--jsonl - | head`, a full disk) is
        dropped and the run marked incomplete; the scan and the other outputs go on."""
        for stream in list(self._streams):
            try:
                getattr(stream.writer, event)(*args)
            except OSError as exc:
                self._streams.remove(stream)
                self.report.complete = False
                self.report.errors.append(ErrorRecord(where=stream.option, message=f"cannot write {stream.dest}: "
                                                                                   f"{exc.strerror or exc}"))
                if stream.file is sys.stdout:  # its reader is gone: the exit flush must not fail again
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, sys.stdout.fileno())
                    os.close(devnull)

    def notice(self, message: str) -> None:
        self.reporter.notice(message)

    def interrupted(self) -> None:
        self._was_interrupted = True

    # the end of the run
    def finish(self) -> int:
        """Apply the baseline, write every requested output, return the exit code."""
        self.reporter.stop(self.report.stats)
        if self.options.baseline is not None:
            self._apply_baseline()
            self._tools_changed()
        self._write_documents()
        self._stream("summary", self.report)
        self._close_streams()
        if self._was_interrupted:
            self.console.print("[yellow]interrupted: the report holds what was found so far (complete: false)[/]")
        self.reporter.render(self.report)
        return exit_code_for(self.report, self.options.fail_on)

    def _apply_baseline(self) -> None:
        from .suppress import apply_suppressions

        apply_suppressions(self.report, self.options.suppressions)

    def _tools_changed(self) -> None:
        """mcp.tools.changed against the baseline report's pins: after the suppressions, since
        the baseline's own pins are what it accepts (its old mcp.tools.changed finding must not
        hide a new change)."""
        from ..toolpins import apply_baseline

        for finding in apply_baseline(self.report, self.options.baseline_tools):
            self.report.findings.append(finding)
            self._stream("finding", finding)

    def _write_documents(self) -> None:
        from . import write_report

        options = RenderOptions(style=self.options.style)
        for fmt, dest in self._documents:
            self._guarded(dest, lambda fmt=fmt, dest=dest: write_report(self.report, fmt, dest, options))

    def _close_streams(self) -> None:
        for stream in self._opened:
            self._guarded(stream.dest, stream.file.close)
        self._streams, self._opened = [], []

    def _guarded(self, where: str, write) -> None:
        try:
            write()
        except OSError as exc:
            self.report.complete = False
            self.console.print(Text.assemble(("error: ", "bold red"), f"cannot write {where}: {exc.strerror or exc}"))
