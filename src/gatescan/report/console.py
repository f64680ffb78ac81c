"""What an admin reads in the terminal: live progress while scanning, then services, findings
and a one-line verdict, laid out as `--style table|tree|plain`.

Renders only from the model; every string a target sent is cleaned of control characters
first, so a hostile banner cannot drive the terminal.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections import defaultdict
from typing import Iterable

from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..model import CheckStatus, Finding, Report, Service, Severity, sort_findings
from .interface import STYLES, RenderOptions, ReportFormat
from .verdict import verdict_text

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
RESULT_MARK = {
    CheckStatus.FINDING: ("✗", "bold red"),
    CheckStatus.PASSED: ("✓", "green"),
    CheckStatus.INCONCLUSIVE: ("?", "yellow"),
    CheckStatus.NOT_APPLICABLE: ("–", "dim"),
}
SKILL_STATUS_STYLE = {"malicious": "bold red", "modified": "red", "unlisted": "yellow", "allowlisted": "green"}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: object, limit: int = 200) -> str:
    """One display line: control characters escaped, length bounded."""
    if value is None:
        return ""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value)).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cells(*values: object) -> list:
    """Table cells: plain strings become Text, so a '[' from a target or a skill is shown,
    never parsed as Rich markup (a name like "[/]" would otherwise crash the render)."""
    return [Text(v) if isinstance(v, str) else v for v in values]


def make_console(*, stderr: bool = False, file=None) -> Console:
    """A Console that honours NO_COLOR and drops colour when not writing to a terminal."""
    no_color = bool(os.environ.get("NO_COLOR"))
    return Console(stderr=stderr, file=file, no_color=no_color, highlight=False, soft_wrap=False)


class ConsoleReporter:
    """Progress while the engine runs and the final human summary; `quiet` keeps only errors."""

    def __init__(self, console: Console, *, style: str = "table", quiet: bool = False,
                 plain_interval: float = 2.0, max_rows: int = 500) -> None:
        if style not in STYLES:
            raise ValueError(f"unknown console style {style!r} (one of {', '.join(STYLES)})")
        self.console = console
        self.style = style
        self.quiet = quiet
        self.plain_interval = plain_interval
        self.max_rows = max_rows
        self._progress: Progress | None = None
        self._task = None
        self._label = ""
        self._total = 0
        self._done = 0
        self._open = 0
        self._t0 = 0.0
        self._last_line = 0.0
        self._samples: list[tuple[float, int]] = []

    # -- live progress -------------------------------------------------------------------
    def start(self, total: int, label: str) -> None:
        self._label, self._total, self._done, self._open = label, int(total or 0), 0, 0
        self._t0 = self._last_line = time.monotonic()
        self._samples = [(self._t0, 0)]
        if self.quiet:
            return
        if self.console.is_terminal and not self.console.is_dumb_terminal:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("probes"),
                TextColumn("[bold]{task.fields[open]}[/] open"),
                TextColumn("{task.fields[rate]}/s"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._task = self._progress.add_task(clean(label, 60), total=self._total or None, open=0, rate="0")
            self._progress.start()
        else:
            self.console.print(f"{clean(label)}: {self._total} probes" if self._total else clean(label), highlight=False)

    def rate(self) -> float:
        """Probes per second over the last few seconds (the current rate, not the average)."""
        if len(self._samples) < 2:
            return 0.0
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0

    def advance(self, done: int, open_found: int) -> None:
        now = time.monotonic()
        self._done, self._open = int(done), int(open_found)
        self._samples.append((now, self._done))
        while len(self._samples) > 2 and now - self._samples[0][0] > 5.0:
            self._samples.pop(0)
        if len(self._samples) > 256:
            del self._samples[1:-128]
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.update(self._task, completed=self._done, open=self._open, rate=f"{self.rate():,.0f}")
        elif now - self._last_line >= self.plain_interval:
            self._last_line = now
            self.console.print(self._plain_status(now), highlight=False)

    def _plain_status(self, now: float) -> str:
        total = f"/{self._total}" if self._total else ""
        pct = f" ({100 * self._done / self._total:.0f}%)" if self._total else ""
        return (f"{clean(self._label)}: {self._done}{total} probes{pct}, {self._open} open, "
                f"{self.rate():,.0f}/s, {now - self._t0:.0f}s")

    def notice(self, text: str) -> None:
        if not self.quiet:
            self.console.print(Text(clean(text, 1000)))

    def error(self, text: str) -> None:
        """Printed even when quiet."""
        self.console.print(Text("error: ", style="bold red") + Text(clean(text, 1000)))

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if not self.quiet and self._total:
            elapsed = time.monotonic() - self._t0
            self.console.print(
                f"{clean(self._label)}: {self._done}/{self._total} probes, {self._open} open in {elapsed:.1f}s",
                highlight=False,
            )

    # -- final summary --------------------------------------------------------------------
    def render(self, report: Report) -> None:
        if self.quiet:
            return
        for block in render_blocks(report, style=self.style, max_rows=self.max_rows):
            self.console.print(block, soft_wrap=isinstance(block, Text))


def render_blocks(report: Report, *, style: str = "table", max_rows: int = 500) -> list:
    """The renderables of the final summary, in order (pure: no printing)."""
    blocks: list = []
    if style == "tree":
        blocks.append(_tree(report, max_rows))
    elif style == "plain":
        blocks.extend(_plain(report, max_rows))
    else:
        blocks.extend(_tables(report, max_rows))
    if report.errors:
        blocks.append(_errors(report, style, max_rows=20))
    blocks.append(_verdict(report))
    return blocks


def render_console_text(report: Report, *, style: str = "table", width: int = 120) -> str:
    """The console summary as uncoloured text (for `report render --format console -o FILE`)."""
    # a StringIO, not os.devnull: a lone surrogate (a non-UTF-8 name read back from a saved
    # report) cannot be encoded to a file, and the caller writes with backslashreplace anyway
    console = Console(width=width, no_color=True, color_system=None, record=True, file=io.StringIO())
    for block in render_blocks(report, style=style):
        console.print(block, soft_wrap=isinstance(block, Text))
    return console.export_text(styles=False)


class ConsoleFormat(ReportFormat):
    """`report render --format console`: the terminal summary as plain text (live progress is
    `ConsoleReporter`'s, which the sink drives)."""

    def render(self, report: Report, options: RenderOptions) -> list[str]:
        return [render_console_text(report, style=options.style, width=options.width)]


# -- helpers shared by the layouts -------------------------------------------------------------

def _sev(sev: Severity) -> Text:
    return Text(sev.value.upper(), style=SEVERITY_STYLE[sev])


def _findings_by_service(report: Report) -> dict[tuple, list[Finding]]:
    out: dict[tuple, list[Finding]] = defaultdict(list)
    for f in report.findings:
        if f.port is not None and f.host is not None:
            out[(f.host, f.port)].append(f)
    return out


def _hosts(report: Report) -> dict[str, list[Service]]:
    by_host: dict[str, list[Service]] = defaultdict(list)
    for s in sorted(report.services, key=lambda s: (_host_key(s.host), s.port)):
        by_host[s.host].append(s)
    return by_host


def _host_key(host: str) -> tuple:
    import ipaddress

    try:
        ip = ipaddress.ip_address(host)
        return (0, ip.version, int(ip), "")
    except ValueError:
        return (1, 0, 0, host)


def hostport(host: str | None, port: int | None) -> str:
    h = clean(host, 60)
    return f"[{h}]:{port}" if ":" in h else f"{h}:{port}"


def _product(s: Service) -> str:
    name = s.product_name or s.product
    return clean(name if s.product == "unknown" or not s.product_name else f"{name}", 40)


def _checks_text(s: Service) -> Text:
    text = Text()
    for i, c in enumerate(s.checks):
        mark, style = RESULT_MARK[c.result]
        if i:
            text.append("\n")
        text.append(f"{mark} {clean(c.check, 40)}", style=style)
    return text


def _network_findings(report: Report) -> Iterable[Finding]:
    return (f for f in report.findings if f.port is not None)


def _where(f: Finding) -> str:
    if f.port is not None:
        return clean(f.target, 60) if f.target else hostport(f.host, f.port)
    loc = f.path or f.target
    if f.line:
        loc = f"{loc}:{f.line}"
    if f.skill:
        loc = f"{f.skill} ({loc})"
    return clean(loc, 70)


def _tables(report: Report, max_rows: int) -> list:
    blocks: list = []
    by_service = _findings_by_service(report)
    if report.services:
        t = Table(title=f"Services ({len(report.services)})", title_justify="left", show_lines=False)
        for col in ("Host", "Port", "Product", "Version", "Checks", "Findings"):
            t.add_column(col, overflow="fold")
        rows = 0
        for host, services in _hosts(report).items():
            if rows >= max_rows:
                break
            for i, s in enumerate(services):
                found = sort_findings(by_service.get((s.host, s.port), []))
                ftext = Text()
                for j, f in enumerate(found[:5]):
                    if j:
                        ftext.append("\n")
                    ftext.append(f.severity.value, style=SEVERITY_STYLE[f.severity]).append(f" {clean(f.check, 40)}")
                if len(found) > 5:
                    ftext.append(f"\n+{len(found) - 5} more", style="dim")
                where = clean(host, 45) + (f" [{clean(s.vantage, 20)}]" if s.vantage else "")
                t.add_row(*cells(where if i == 0 else "", str(s.port), _product(s), clean(s.version or "-", 30),
                                 _checks_text(s), ftext))
                rows += 1
            t.add_section()
        blocks.append(t)
        if rows < len(report.services):
            blocks.append(Text(f"… {len(report.services) - rows} more services (see the JSON report)", style="dim"))
    if report.skills:
        flagged = [s for s in report.skills if s.status != "allowlisted"]
        t = Table(title=f"Skills ({len(report.skills)}, {len(flagged)} not allowlisted)", title_justify="left")
        for col in ("Skill", "Agent", "Source", "Version", "Status"):
            t.add_column(col, overflow="fold")
        order = {"malicious": 0, "modified": 1, "unlisted": 2, "allowlisted": 3}
        for sk in sorted(report.skills, key=lambda s: (order.get(s.status, 9), s.name))[:max_rows]:
            t.add_row(*cells(clean(sk.name, 40), clean(sk.agent or "-", 20), clean(sk.source or "-", 20),
                             clean(sk.version or "-", 20), Text(sk.status, style=SKILL_STATUS_STYLE.get(sk.status, ""))))
        blocks.append(t)
    if report.findings:
        t = Table(title=f"Findings ({len(report.findings)})", title_justify="left")
        for col in ("Severity", "Check", "Where", "Title"):
            t.add_column(col, overflow="fold")
        ordered = sort_findings(report.findings)
        for f in ordered[:max_rows]:
            t.add_row(*cells(_sev(f.severity), clean(f.check, 40), _where(f), clean(f.title, 120)))
        blocks.append(t)
        if len(ordered) > max_rows:
            blocks.append(Text(f"… {len(ordered) - max_rows} more findings (see the JSON report)", style="dim"))
    if report.suppressed:
        blocks.append(Text(f"{len(report.suppressed)} finding(s) suppressed by the baseline", style="dim"))
    return blocks


def _tree(report: Report, max_rows: int) -> Tree:
    root = Tree(Text(f"gatescan {clean(report.scan_id, 40)}", style="bold"))
    by_service = _findings_by_service(report)
    shown = 0
    for host, services in _hosts(report).items():
        hnode = root.add(Text(clean(host, 60), style="bold"))
        for s in services:
            label = Text(f":{s.port} ").append(_product(s), style="bold")
            if s.version:
                label.append(f" {clean(s.version, 30)}")
            snode = hnode.add(label)
            for c in s.checks:
                mark, style = RESULT_MARK[c.result]
                line = Text(f"{mark} {clean(c.check, 40)}", style=style)
                if c.reason:
                    line.append(f"  {clean(c.reason, 100)}", style="dim")
                snode.add(line)
            for f in sort_findings(by_service.get((s.host, s.port), [])):
                snode.add(_sev(f.severity).append(f" {clean(f.check, 40)}: {clean(f.title, 100)}", style=""))
            shown += 1
            if shown >= max_rows:
                break
        if shown >= max_rows:
            root.add(Text(f"… more services (see the JSON report)", style="dim"))
            break
    other = sort_findings(f for f in report.findings if f.port is None)
    if other:
        groups: dict[str, list[Finding]] = defaultdict(list)
        for f in other[:max_rows]:
            groups["Skills" if f.check.startswith("skill.") else "Configuration"].append(f)
        for name, items in groups.items():
            gnode = root.add(Text(name, style="bold"))
            for f in items:
                gnode.add(_sev(f.severity).append(f" {clean(f.check, 40)}: {_where(f)}: {clean(f.title, 100)}", style=""))
    return root


def _plain(report: Report, max_rows: int) -> list:
    lines: list = []
    by_service = _findings_by_service(report)
    for host, services in _hosts(report).items():
        for s in services:
            lines.append(Text(f"service {hostport(host, s.port)} {_product(s)} {clean(s.version or '-', 30)}"))
            for c in s.checks:
                lines.append(Text(f"  check {clean(c.check, 40)} {c.result.value}"
                                  + (f" ({clean(c.reason, 100)})" if c.reason else "")))
    for sk in report.skills or ():
        lines.append(Text(f"skill {clean(sk.name, 40)} {sk.status} {clean(sk.path, 100)}"))
    for f in sort_findings(report.findings)[:max_rows]:
        lines.append(Text(f"finding {f.severity.value} {clean(f.check, 40)} {_where(f)} {clean(f.title, 120)}"))
    if len(report.findings) > max_rows:
        lines.append(Text(f"... {len(report.findings) - max_rows} more findings (see the JSON report)"))
    for sup in report.suppressed:
        lines.append(Text(f"suppressed {clean(sup.finding.check, 40)} {_where(sup.finding)}"
                          + (f" ({clean(sup.reason, 100)})" if sup.reason else "")))
    return lines


def _errors(report: Report, style: str, max_rows: int):
    lines = [Text(f"{len(report.errors)} error(s):", style="bold yellow")]
    for e in report.errors[:max_rows]:
        lines.append(Text(f"  {clean(e.where, 60)}: {clean(e.message, 160)}"))
    if len(report.errors) > max_rows:
        lines.append(Text(f"  … {len(report.errors) - max_rows} more"))
    return Group(*lines)


def _verdict(report: Report) -> Text:
    text, worst = verdict_text(report)
    style = SEVERITY_STYLE.get(worst, "bold green") if worst else "bold green"
    if worst in (Severity.INFO, Severity.LOW):
        style = "bold"
    return Text(text, style=style)
