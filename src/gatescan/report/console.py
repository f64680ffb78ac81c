"""What an admin reads in the terminal: live progress while scanning, then services, findings
and a one-line verdict, laid out as `--style table|tree|plain`.

Renders only from the model; every string a target sent is cleaned of control characters
first, so a hostile banner cannot drive the terminal.
"""

from __future__ import annotations

import io
import os
import time
from collections import defaultdict
from typing import Iterable

from rich.cells import cell_len
from rich.console import Console, Group
from rich.measure import Measurement
from rich.padding import Padding
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn,
                           TimeRemainingColumn)
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..userio import escape_control
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

def clean(value: object, limit: int | None = 200) -> str:
    """One display line: control characters escaped, length bounded (None: never cut)."""
    if value is None:
        return ""
    text = escape_control(str(value))
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


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
        self._stages: dict[str, tuple[int, int, str | None, float | None]] = {}  # name -> done, total, slowest, since
        self._stage_task = None
        self._last_stage_line = 0.0
        self._sweep: tuple[int, int, int] | None = None  # in flight, timed out, retries waiting

    # -- live progress -------------------------------------------------------------------
    def start(self, total: int, label: str) -> None:
        self._label, self._total, self._done, self._open = label, int(total or 0), 0, 0
        self._t0 = self._last_line = time.monotonic()
        self._samples = [(self._t0, 0)]
        if self.quiet:
            return
        if self.console.is_terminal and not self.console.is_dumb_terminal:
            sweep_only = (BarColumn(), MofNCompleteColumn(), TextColumn("probes"),
                          TextColumn("[bold]{task.fields[open]}[/] open"), TextColumn("{task.fields[rate]}/s"),
                          TimeRemainingColumn())
            self._progress = Progress(
                SpinnerColumn(), _StageAwareText(self), *(_SweepOnly(self, c) for c in sweep_only),
                console=self.console,
                transient=True,
            )
            self._task = self._progress.add_task(clean(label, 60), total=self._total or None, open=0, rate="0")
            # identify and checks: one line under the bar, rendered afresh at each refresh so the
            # age of the slowest endpoint keeps counting while nothing else moves
            self._stage_task = self._progress.add_task("", total=None, visible=False, open=0, rate="0")
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
        pct = f" ({_percent(self._done, self._total)})" if self._total else ""
        waiting = f", {self.waiting_status()}" if self.waiting_status() else ""
        return (f"{clean(self._label)}: {self._done}{total} probes{pct}, {self._open} open, "
                f"{self.rate():,.0f}/s{waiting}, {now - self._t0:.0f}s, ETA {self.eta()}")

    def sweep_state(self, inflight: int, timed_out: int, retries_waiting: int) -> None:
        """Where a slow sweep stands: sockets waiting, probes given up, retries to come."""
        self._sweep = (int(inflight), int(timed_out), int(retries_waiting))
        if self._progress is not None and self.waiting_status():
            self._progress.update(self._stage_task, visible=True)

    def waiting_status(self) -> str:
        """"32,768 in flight, 1,024 timed out, 96 retries waiting" (empty while nothing waits)."""
        if self._sweep is None or self._done >= self._total:
            return ""
        inflight, timed_out, retries = self._sweep
        if not (inflight or timed_out or retries):
            return ""
        text = f"{inflight:,} in flight, {timed_out:,} timed out"
        return text + (f", {retries:,} retries waiting" if retries else "")

    def eta(self) -> str:
        """Time left at the current rate; never a bare 0% without one."""
        if not self._total or self._done >= self._total:
            return "done"
        rate = self.rate()
        return format_seconds((self._total - self._done) / rate) if rate > 0 else "unknown (no probe finished yet)"

    def stage(self, stage: str, done: int, total: int, slowest: str | None, since: float | None) -> None:
        """Identify or checks moved (the pipeline's stage_progress)."""
        self._stages[stage] = (int(done), int(total), slowest, since)
        if self.quiet:
            return
        now = time.monotonic()
        if self._progress is not None:
            self._progress.update(self._stage_task, visible=True)
        elif now - self._last_stage_line >= self.plain_interval:
            self._last_stage_line = now
            self.console.print(Text(self.stage_status(now)))

    def stage_status(self, now: float) -> str:
        """"identify 3/5 services, checks 1/3 services; slowest 10.0.0.7:8080 (4 s)"."""
        parts, slowest = [], None
        for name, (done, total, where, since) in self._stages.items():
            parts.append(f"{name} {done}/{total} services")
            if where is not None and since is not None and (slowest is None or since < slowest[1]):
                slowest = (where, since)
        text = ", ".join(parts)
        if slowest:
            text += f"; slowest {clean(slowest[0], 60)} ({now - slowest[1]:.0f} s)"
        waiting = self.waiting_status()
        if waiting and self._progress is not None:  # the plain status line says it already
            text = f"sweep: {waiting}" + (f"; {text}" if text else "")
        return text

    def notice(self, text: str) -> None:
        if not self.quiet:
            self.console.print(Text(clean(text, 1000)))

    def error(self, text: str) -> None:
        """Printed even when quiet."""
        self.console.print(Text("error: ", style="bold red") + Text(clean(text, 1000)))

    def stop(self, stats: dict | None = None) -> None:
        """End the live display; the closing line names each phase's time from `stats["phases"]`
        ("sweep 0.1 s, identify 5.9 s, checks 2.0 s")."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if not self.quiet and self._total:
            elapsed = time.monotonic() - self._t0
            phases = (stats or {}).get("phases") or {}
            timing = ", ".join(f"{name.removesuffix('_s')} {seconds:.1f} s" for name, seconds in phases.items()
                               if isinstance(seconds, (int, float)))
            self.console.print(
                f"{clean(self._label)}: {self._done}/{self._total} probes, {self._open} open in {elapsed:.1f} s"
                + (f" ({timing})" if timing else ""),
                highlight=False,
            )

    # -- final summary --------------------------------------------------------------------
    def render(self, report: Report) -> None:
        if self.quiet:
            return
        for block in render_blocks(report, style=self.style, max_rows=self.max_rows, width=self.console.width):
            self.console.print(block, soft_wrap=isinstance(block, Text))


def _percent(done: int, total: int) -> str:
    """A percentage that moves: 0.0012% rather than a 0% that looks stuck on a huge sweep."""
    pct = 100 * done / total
    return f"{pct:.0f}%" if pct >= 1 or done == 0 else f"{pct:.2g}%"


def format_seconds(seconds: float) -> str:
    if seconds >= 86_400:
        return f"{seconds / 86_400:,.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


class _StageAwareText(TextColumn):
    """The sweep task's description; the stage task's is identify/checks, computed at render."""

    def __init__(self, reporter: ConsoleReporter) -> None:
        super().__init__("{task.description}")
        self._reporter = reporter

    def render(self, task) -> Text:
        if task.id == self._reporter._stage_task:
            return Text(self._reporter.stage_status(time.monotonic()))
        return super().render(task)


class _SweepOnly(ProgressColumn):
    """A column of the sweep's bar, blank on the identify/checks line."""

    def __init__(self, reporter: ConsoleReporter, inner: ProgressColumn) -> None:
        super().__init__()
        self._reporter, self._inner = reporter, inner

    def render(self, task):
        return Text("") if task.id == self._reporter._stage_task else self._inner.render(task)


def render_blocks(report: Report, *, style: str = "table", max_rows: int = 500, width: int = 120) -> list:
    """The renderables of the final summary, in order (pure: no printing). `width` picks the
    table layout: ids, versions and endpoints never break, so a narrow console gets fewer
    columns, and where even those cannot fit, one record per line."""
    blocks: list = []
    if report.local is not None:  # gatescan local: what this machine exposes, what to fix first
        from .local_console import local_blocks

        blocks.extend(local_blocks(report, clean, _sev, _where))
    if style == "tree":
        blocks.append(_tree(report, max_rows))
    elif style == "plain":
        blocks.extend(_plain(report, max_rows))
    else:
        blocks.extend(_tables(report, max_rows, width))
    if report.errors:
        errors = _errors(report, style, max_rows=20)
        blocks.extend(errors if style == "plain" else [Group(*errors)])
    blocks.append(_verdict(report))
    return blocks


def render_console_text(report: Report, *, style: str = "table", width: int = 120) -> str:
    """The console summary as uncoloured text (for `report render --format console -o FILE`)."""
    # a StringIO, not os.devnull: a lone surrogate (a non-UTF-8 name read back from a saved
    # report) cannot be encoded to a file, and the caller writes with backslashreplace anyway
    console = Console(width=width, no_color=True, color_system=None, record=True, file=io.StringIO())
    for block in render_blocks(report, style=style, width=width):
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


def hostport(host: str | None, port: int | None, limit: int | None = 60) -> str:
    h = clean(host, limit)
    return f"[{h}]:{port}" if ":" in h else f"{h}:{port}"


def _product(s: Service, limit: int | None = 40) -> str:
    return clean(s.product_name or s.product, limit)


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


def _where(f: Finding, limit: int | None = 70) -> str:
    if f.port is not None:
        return clean(f.target, limit) if f.target else hostport(f.host, f.port, limit)
    loc = f.path or f.target
    if f.line:
        loc = f"{loc}:{f.line}"
    if f.skill:
        loc = f"{f.skill} ({loc})"
    return clean(loc, limit)


WIDE = 120  # narrower than this, services lose the findings column and findings print one per block


def unbroken_table(title: str | None, columns: list[tuple], rows: list[list | None], **table_options) -> Table:
    """A table whose `no_wrap` columns (ids, versions, endpoints) are as wide as their longest
    line, so Rich narrows only the prose columns and never folds an id. `columns` holds
    (header, no_wrap) or (header, no_wrap, justify); a None row starts a new section."""
    t = Table(title=title, title_justify="left", **table_options)
    for i, (name, no_wrap, *justify) in enumerate(columns):
        widest = max((_longest_line(row[i]) for row in rows if row is not None), default=0)
        t.add_column(name, no_wrap=no_wrap, overflow="fold", justify=justify[0] if justify else "left",
                     min_width=max(widest, len(name)) if no_wrap else None)
    for row in rows:
        if row is None:
            t.add_section()
        else:
            t.add_row(*cells(*row))
    return t


def _longest_line(value) -> int:
    text = value.plain if isinstance(value, Text) else str(value)
    return max((cell_len(line) for line in text.split("\n")), default=0)


def fits(table: Table, width: int) -> bool:
    """Whether the table fits `width` without breaking any no_wrap column."""
    console = Console(width=width, file=io.StringIO())
    # measured unbounded: Measurement.get clamps to the width it is given, which always "fits"
    return Measurement.get(console, console.options.update_width(100_000), table).minimum <= width


def _product_cell(s: Service) -> Text:
    """The product, and for a service nothing identified, the banner it sent."""
    text = Text(_product(s))
    if s.product == "unknown" and s.banner:
        text.append("\n").append(clean(s.banner, 80), style="dim")
    return text


def _findings_text(found: list[Finding]) -> Text:
    text = Text()
    for j, f in enumerate(found[:5]):
        if j:
            text.append("\n")
        text.append(f.severity.value, style=SEVERITY_STYLE[f.severity]).append(f" {clean(f.check, 40)}")
    if len(found) > 5:
        text.append(f"\n+{len(found) - 5} more", style="dim")
    return text


def _services_table(report: Report, shown: dict[str, list[Service]], wide: bool) -> Table:
    by_service = _findings_by_service(report)
    rows: list = []
    for host, services in shown.items():
        for i, s in enumerate(services):
            vantage = f" [{clean(s.vantage, 20)}]" if s.vantage else ""
            if wide:
                rows.append([clean(host, 45) + vantage if i == 0 else "", str(s.port), _product_cell(s),
                             clean(s.version or "-", 30), _checks_text(s),
                             _findings_text(sort_findings(by_service.get((s.host, s.port), [])))])
            else:
                endpoint = hostport(host, s.port) + (f"\n{vantage.strip()}" if vantage else "")
                rows.append([endpoint, _product_cell(s), clean(s.version or "-", 30), _checks_text(s)])
        rows.append(None)
    columns = ([("Host", True), ("Port", True), ("Product", False), ("Version", True), ("Checks", True),
                ("Findings", True)] if wide else
               [("Endpoint", True), ("Product", False), ("Version", True), ("Checks", True)])
    return unbroken_table(f"Services ({len(report.services)})", columns, rows[:-1])


def _tables(report: Report, max_rows: int, width: int = WIDE) -> list:
    """Tables where they fit `width`, else the same records one per line (`_plain`'s words)."""
    blocks: list = []
    if report.services:
        shown: dict[str, list[Service]] = {}
        rows = 0
        for host, services in _hosts(report).items():
            if rows >= max_rows:
                break
            shown[host] = services
            rows += len(services)
        layouts = (True, False) if width >= WIDE else (False,)  # wide: host and port columns, findings
        table = next((t for t in (_services_table(report, shown, wide) for wide in layouts) if fits(t, width)), None)
        if table is not None:
            blocks.append(table)
        else:
            blocks.append(Text(f"Services ({len(report.services)})", style="italic"))
            blocks.extend(_service_lines(shown))
        if rows < len(report.services):
            blocks.append(Text(f"… {len(report.services) - rows} more services (see the JSON report)", style="dim"))
    if report.skills:
        flagged = [s for s in report.skills if s.status != "allowlisted"]
        order = {"malicious": 0, "modified": 1, "unlisted": 2, "allowlisted": 3}
        ordered_skills = sorted(report.skills, key=lambda s: (order.get(s.status, 9), s.name))[:max_rows]
        title = f"Skills ({len(report.skills)}, {len(flagged)} not allowlisted)"
        table = unbroken_table(title, [("Skill", True), ("Agent", False), ("Source", False), ("Version", True), ("Status", True)],
                       [[clean(sk.name, 40), clean(sk.agent or "-", 20), clean(sk.source or "-", 20),
                         clean(sk.version or "-", 20), Text(sk.status, style=SKILL_STATUS_STYLE.get(sk.status, ""))]
                        for sk in ordered_skills])
        if fits(table, width):
            blocks.append(table)
        else:
            blocks.append(Text(title, style="italic"))
            blocks.extend(_skill_lines(ordered_skills))
    if report.findings:
        ordered = sort_findings(report.findings)
        title = f"Findings ({len(report.findings)})"
        table = unbroken_table(title, [("Severity", True), ("Check", True), ("Where", True), ("Title", False)],
                       [[_sev(f.severity), clean(f.check, 40), _where(f), clean(f.title, 120)] for f in ordered[:max_rows]])
        if width >= WIDE and fits(table, width):
            blocks.append(table)
        else:  # the title on its own line, under the id and where it was found
            blocks.append(Text(title, style="italic"))
            for f in ordered[:max_rows]:
                head = _sev(f.severity).append(f" {clean(f.check, 40)} ", style="").append(_where(f))
                blocks.append(Group(head, Padding(Text(clean(f.title, 120)), (0, 0, 0, 2))))
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
            if s.product == "unknown" and s.banner:
                label.append(f"  {clean(s.banner, 80)}", style="dim")
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


def _service_lines(by_host: dict[str, list[Service]]) -> list[Text]:
    lines: list[Text] = []
    for host, services in by_host.items():
        for s in services:
            line = f"service {hostport(host, s.port, None)} {_product(s, None)} {clean(s.version or '-', None)}"
            if s.vantage:
                line += f" vantage={clean(s.vantage, None)}"
            if s.product == "unknown" and s.banner:
                line += f" banner={clean(s.banner, None)}"
            lines.append(Text(line))
            for c in s.checks:
                lines.append(Text(f"  check {clean(c.check, None)} {c.result.value}"
                                  + (f" ({clean(c.reason, None)})" if c.reason else "")))
    return lines


def _skill_lines(skills) -> list[Text]:
    return [Text(f"skill {clean(sk.name, None)} {sk.status} {clean(sk.version or '-', None)} {clean(sk.path, None)}")
            for sk in skills]


def _plain(report: Report, max_rows: int) -> list:
    """One record per line, nothing cut short: printed with soft wrap, so grep sees each whole."""
    lines: list = _service_lines(_hosts(report)) + _skill_lines(report.skills or ())
    for f in sort_findings(report.findings)[:max_rows]:
        lines.append(Text(f"finding {f.severity.value} {clean(f.check, None)} {_where(f, None)} {clean(f.title, None)}"))
    if len(report.findings) > max_rows:
        lines.append(Text(f"... {len(report.findings) - max_rows} more findings (see the JSON report)"))
    for sup in report.suppressed:
        lines.append(Text(f"suppressed {clean(sup.finding.check, None)} {_where(sup.finding, None)}"
                          + (f" ({clean(sup.reason, None)})" if sup.reason else "")))
    return lines


def _errors(report: Report, style: str, max_rows: int) -> list[Text]:
    limit = (None, None) if style == "plain" else (60, 160)
    lines = [Text(f"{len(report.errors)} error(s):", style="bold yellow")]
    for e in report.errors[:max_rows]:
        lines.append(Text(f"  {clean(e.where, limit[0])}: {clean(e.message, limit[1])}"))
    if len(report.errors) > max_rows:
        lines.append(Text(f"  … {len(report.errors) - max_rows} more"))
    return lines


def _verdict(report: Report) -> Text:
    text, worst = verdict_text(report)
    style = SEVERITY_STYLE.get(worst, "bold green") if worst else "bold green"
    if worst in (Severity.INFO, Severity.LOW):
        style = "bold"
    return Text(text, style=style)
