"""The head of `gatescan local`'s console summary: what this machine exposes, then the findings
that matter most, each with the configuration key to change where one was read (README, "gatescan local").

What matters most first: severity, then reach (a port the network reaches before one only local
programs and web pages reach, before a file), so a laptop's owner reads the fix in the first lines.
"""

from __future__ import annotations

from rich.padding import Padding
from rich.text import Text

from ..model import Finding, Report, sort_findings
from ..userio import escape_control
from .verdict import is_loopback

TOP = 5


def _reach(f: Finding) -> int:
    if f.port is None:
        return 2
    return 1 if is_loopback(f.host) else 0


def most_important(report: Report, n: int = TOP) -> list[Finding]:
    ordered = sort_findings(report.findings)
    return sorted(ordered, key=lambda f: (-f.severity.rank, _reach(f)))[:n]


def fix_text(f: Finding) -> str | None:
    """`set gateway.bind: "loopback" (~/.openclaw/openclaw.json:4)` for a finding a config key causes."""
    cause = f.extra.get("config_cause") or f.extra.get("fix_key")
    if not isinstance(cause, dict):
        return None
    where = cause.get("path") or ""
    if cause.get("line"):
        where = f"{where}:{cause['line']}"
    return f"fix: {cause.get('fix') or cause.get('key')}" + (f" ({where})" if where else "")


def local_blocks(report: Report, clean, sev, where) -> list:
    """Renderables for the top of the summary (`clean`, `sev`, `where`: the console's helpers)."""
    local = report.local or {}
    listeners = local.get("listeners") or []
    wide = [l for l in listeners if not is_loopback(l.get("bind"))]
    agents = [s for s in report.services if s.product != "unknown"]
    head = Text("This machine: ", style="bold")
    head.append(f"{len(listeners)} listening port(s), {len(wide)} reachable from the network; "
                f"{len(agents)} agent service(s) identified; {len(local.get('configs') or [])} config file(s) read; "
                f"{len(local.get('mcp_servers') or [])} MCP server entr(ies); {len(report.skills or [])} skill(s)")
    blocks: list = [head]
    for l in wide[:TOP]:
        proc = l.get("process") or {}
        who = proc.get("name") or (proc.get("exe") or "").rsplit("/", 1)[-1] or "process not visible"
        if proc.get("runtime"):
            container = proc.get("container") or {}
            who = f"{proc['runtime']} -> container {container.get('name') or container.get('id') or container.get('ip') or '?'}"
        blocks.append(Text(f"  wide bind {clean(l.get('bind'), 40)}:{l.get('port')} ({clean(who, 60)}"
                           + (f", pid {proc['pid']}" if proc.get("pid") else "") + ")", style="yellow"))
    top = most_important(report)
    if top:
        blocks.append(Text("What matters most:", style="bold"))
        for f in top:
            line = sev(f.severity).append(f" {clean(f.check, 40)} ", style="").append(where(f))
            line.append(f"  {clean(f.title, 120)}")
            blocks.append(Padding(line, (0, 0, 0, 2)))
            fix = fix_text(f)
            if fix:
                blocks.append(Padding(Text(escape_control(fix)[:300], style="green"), (0, 0, 0, 4)))
    return blocks
