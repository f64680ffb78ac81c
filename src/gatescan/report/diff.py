"""`gatescan report diff OLD NEW`: which findings are new, resolved or unchanged, matched on
the stable finding key (check, host, port, product, skill, path), so CI can gate on new ones.
An MCP server whose pinned tool set (services[].mcp_tools) differs from OLD's is a new
mcp.tools.changed finding, as `scan --baseline OLD` would have reported it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import toolpins
from ..model import Finding, Report, Severity, sort_findings
from .console import SEVERITY_STYLE, cells, clean
from .merge import kinds_differ, report_kind

DIFF_SCHEMA = "gatescan.diff/v1"


class DiffError(ValueError):
    """The reports cannot be compared; the CLI maps it to exit 2."""


@dataclass
class ReportDiff:
    old: Report
    new: Report
    added: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    unchanged: list[Finding] = field(default_factory=list)

    def new_at_least(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.added if f.severity.at_least(threshold)]

    def to_dict(self) -> dict[str, Any]:
        def meta(r: Report) -> dict[str, Any]:
            return {"scan_id": r.scan_id, "started_at": r.started_at, "finished_at": r.finished_at,
                    "complete": r.complete, "tool": r.tool}

        return {
            "schema": DIFF_SCHEMA,
            "old_report": meta(self.old),
            "new_report": meta(self.new),
            "counts": {"new": len(self.added), "resolved": len(self.resolved), "unchanged": len(self.unchanged)},
            "new": [f.to_dict() for f in self.added],
            "resolved": [f.to_dict() for f in self.resolved],
            "unchanged": [f.to_dict() for f in self.unchanged],
        }


def diff_reports(old: Report, new: Report) -> ReportDiff:
    """Pair findings by key; a key seen twice in one report pairs up one-to-one. Reports of
    different kinds raise DiffError: every finding would read as new or resolved."""
    if kinds_differ(old, new):
        raise DiffError(f"the old report is a {report_kind(old)} and the new one a {report_kind(new)}: "
                        "diff two reports of one kind")
    pool: dict[tuple, list[Finding]] = defaultdict(list)
    for f in old.findings:
        pool[f.key()].append(f)
    result = ReportDiff(old=old, new=new)
    for f in new.findings:
        bucket = pool.get(f.key())
        if bucket:
            bucket.pop(0)
            result.unchanged.append(f)
        else:
            result.added.append(f)
    result.resolved = [f for bucket in pool.values() for f in bucket]
    known = {f.key() for f in new.findings}
    result.added += [change.finding() for change in toolpins.server_changes(new, toolpins.pins_of(old))
                     if change.changes and change.finding().key() not in known]
    result.added = sort_findings(result.added)
    result.resolved = sort_findings(result.resolved)
    result.unchanged = sort_findings(result.unchanged)
    return result


def render_diff(diff: ReportDiff, console: Console, *, show_unchanged: bool = False) -> None:
    """The console view of a diff: new and resolved findings, then counts."""
    for title, items, mark in (("New", diff.added, "+"), ("Resolved", diff.resolved, "-")):
        if not items:
            continue
        t = Table(title=f"{title} findings ({len(items)})", title_justify="left")
        for col in ("", "Severity", "Check", "Where", "Title"):
            t.add_column(col, overflow="fold")
        for f in items:
            where = f.target if f.port is not None else (f"{f.path}:{f.line}" if f.line else (f.path or f.target))
            t.add_row(*cells(mark, Text(f.severity.value.upper(), style=SEVERITY_STYLE[f.severity]), clean(f.check, 40),
                             clean(where, 70), clean(f.title, 120)))
        console.print(t)
    if show_unchanged and diff.unchanged:
        console.print(Text(f"Unchanged ({len(diff.unchanged)}):", style="bold"))
        for f in diff.unchanged:
            console.print(Text(f"  {f.severity.value} {clean(f.check, 40)} {clean(f.target, 70)}"), soft_wrap=True)
    style = "bold red" if diff.added else "bold green"
    console.print(Text(f"{len(diff.added)} new, {len(diff.resolved)} resolved, {len(diff.unchanged)} unchanged",
                       style=style))
