"""JSONL streaming (`--jsonl FILE|-`): one typed event per line, flushed as it happens.

`gatescan scan ... --jsonl - | jq` shows services and findings before the scan ends; the
last line is a `summary` with the counts (the full document is `--json`).
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from typing import IO, Any

from ..model import SCHEMA, SCHEMA_VERSION, ErrorRecord, Finding, Report, Service, Severity, SkillRecord
from .interface import RenderOptions, ReportFormat


class JsonlWriter:
    """Writes events to a text stream, a file path, or "-" (stdout). Thread-safe."""

    def __init__(self, dest: "IO[str] | str") -> None:
        self._owned = False
        if dest == "-":
            self._out: IO[str] = sys.stdout
        elif isinstance(dest, str):
            # as the JSON writer: a non-UTF-8 file name (a lone surrogate) becomes \udcNN, not a crash
            self._out = open(dest, "w", encoding="utf-8", errors="backslashreplace")
            self._owned = True
        else:
            self._out = dest
        self._lock = threading.Lock()

    def write(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self._out.write(line)
            self._out.flush()

    def _record(self, kind: str, record) -> None:
        event = {"type": kind}
        event.update(record.to_dict())
        event["type"] = kind
        self.write(event)

    def service(self, service: Service) -> None:
        self._record("service", service)

    def finding(self, finding: Finding) -> None:
        self._record("finding", finding)

    def skill(self, skill: SkillRecord) -> None:
        self._record("skill", skill)

    def error(self, error: ErrorRecord) -> None:
        self._record("error", error)

    def progress(self, done: int, total: int | None, open: int, rate: float) -> None:  # noqa: A002
        self.write({"type": "progress", "done": int(done), "total": total, "open": int(open), "rate": round(float(rate), 1)})

    def summary(self, report: Report) -> None:
        self.write(summary_event(report))

    def replay(self, report: Report) -> None:
        """Every record of a finished report as events, then its summary (`report render --format jsonl`)."""
        for service in report.services:
            self.service(service)
        for finding in report.findings:
            self.finding(finding)
        for skill in report.skills or ():
            self.skill(skill)
        for error in report.errors:
            self.error(error)
        self.summary(report)

    def close(self) -> None:
        with self._lock:
            if self._owned:
                self._out.close()
            else:
                self._out.flush()

    def __enter__(self) -> "JsonlWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def summary_event(report: Report) -> dict[str, Any]:
    by_severity = Counter(f.severity.value for f in report.findings)
    counts = {
        "services": len(report.services),
        "findings": len(report.findings),
        "by_severity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        "suppressed": len(report.suppressed),
        "errors": len(report.errors),
    }
    if report.skills is not None:
        counts["skills"] = len(report.skills)
    return {
        "type": "summary",
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "scan_id": report.scan_id,
        "tool": report.tool,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "complete": report.complete,
        "stats": report.stats,
        "counts": counts,
    }


def render_jsonl(report: Report) -> str:
    """The whole report as JSONL text (pure function, for `report render`)."""
    import io

    buf = io.StringIO()
    JsonlWriter(buf).replay(report)
    return buf.getvalue()


class JsonlFormat(ReportFormat):
    """`--jsonl`: events streamed while the run goes; from a saved report, its records replayed."""

    streams_events = True

    def render(self, report: Report, options: RenderOptions) -> list[str]:
        return [render_jsonl(report)]

    def event_writer(self, out: IO[str]) -> JsonlWriter:
        return JsonlWriter(out)
