"""The network pipeline: sweep -> identify -> checks, streaming into one Report.

The engine never prints: it tells an observer what happened as it happens (the console,
JSONL) and fills the Report in place, so an interrupted run still holds what it found.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Protocol

from .model import Endpoint, ErrorRecord, Finding, Report, Service
from .scope import ScanPlan
from .sweep import Notice, OpenPort, ProbeError, Progress, SweepConfig, sweep

# identify: endpoints in, services out (streaming); checks: one service in, its findings out.
IdentifyStage = Callable[[AsyncIterator[Endpoint]], AsyncIterator[Service]]
CheckStage = Callable[[Service], Awaitable[list[Finding]]]


class ScanObserver(Protocol):
    def progress(self, done: int, total: int, open_found: int, rate: float) -> None: ...
    def service(self, service: Service) -> None: ...
    def finding(self, finding: Finding) -> None: ...
    def error(self, error: ErrorRecord) -> None: ...
    def notice(self, message: str) -> None: ...
    def interrupted(self) -> None: ...  # Ctrl-C ended the run (app.scan); the report is partial
    # identify or checks moved: `done` of the `total` handed to it so far; `slowest` is the
    # endpoint in flight longest and `since` its time.monotonic() start (None: none in flight)
    def stage_progress(self, stage: str, done: int, total: int, slowest: str | None, since: float | None) -> None: ...


class NullObserver:
    def progress(self, done: int, total: int, open_found: int, rate: float) -> None: ...
    def service(self, service: Service) -> None: ...
    def finding(self, finding: Finding) -> None: ...
    def error(self, error: ErrorRecord) -> None: ...
    def notice(self, message: str) -> None: ...
    def interrupted(self) -> None: ...
    def stage_progress(self, stage: str, done: int, total: int, slowest: str | None, since: float | None) -> None: ...


@dataclass
class ScanStages:
    """What runs after discovery; None means the stage is off (e.g. --no-identify)."""

    identify: IdentifyStage | None = None
    checks: CheckStage | None = None
    check_concurrency: int = 32


@dataclass
class _Counters:
    started: float = field(default_factory=time.monotonic)
    probes_done: int = 0
    open_found: int = 0
    probe_errors: int = 0
    notices: list[str] = field(default_factory=list)
    sweep_ended: float | None = None


@dataclass
class _StageClock:
    """What one stage after the sweep (identify, checks) has in flight, for the observer's
    progress and the phase's time in stats: from its first start to its last end."""

    name: str
    observer: "ScanObserver"
    total: int = 0
    done: int = 0
    in_flight: dict[str, float] = field(default_factory=dict)  # endpoint -> start, oldest first
    first: float | None = None
    last: float | None = None

    def begin(self, where: str) -> None:
        now = time.monotonic()
        self.first = now if self.first is None else self.first
        self.total += 1
        self.in_flight[where] = now
        self._tell()

    def end(self, where: str) -> None:
        self.last = time.monotonic()
        self.done += 1
        self.in_flight.pop(where, None)
        self._tell()

    def _tell(self) -> None:
        slowest = next(iter(self.in_flight.items()), None)
        self.observer.stage_progress(self.name, self.done, self.total, *(slowest or (None, None)))

    def seconds(self) -> float | None:
        return None if self.first is None else round((self.last or time.monotonic()) - self.first, 3)


DAY_S = 86_400.0


def sweep_eta(total: int, config: SweepConfig) -> tuple[float, str]:
    """(seconds, how) a sweep of `total` probes takes at most at the configured rate: --rate
    when set, else the window of connects each waiting out its timeout (a filtered network)."""
    if config.rate:
        return total / config.rate, f"--rate {config.rate:,g}/s"
    per_s = config.concurrency / config.timeout
    return total / per_s, f"{per_s:,.0f} probes/s if nothing answers (--concurrency {config.concurrency}, --timeout {config.timeout:g})"


def _duration(seconds: float) -> str:
    if seconds >= DAY_S:
        return f"{seconds / DAY_S:,.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"


def _where(host: str, port: int) -> str:
    """host:port for errors[], an IPv6 host bracketed ("fd00::1:80" would be ambiguous)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _unidentified(endpoint: Endpoint) -> Service:
    return Service(host=endpoint.host, port=endpoint.port, product="unknown", confidence=0.0)


async def run_scan(
    plan: ScanPlan,
    config: SweepConfig,
    report: Report,
    observer: ScanObserver | None = None,
    stages: ScanStages | None = None,
) -> Report:
    """Run the whole network pipeline for `plan`, filling `report` as results arrive.

    One TaskGroup owns every task of the scan (the sweep, the identify stream, one task per
    service), so the scan ends only when all have: a check that raises costs its service an
    error record, but any other failure cancels the rest and is raised as itself, not wrapped
    in an ExceptionGroup. Cancellation (Ctrl-C) stops the sweep's workers on its way out."""
    observer = observer or NullObserver()
    stages = stages or ScanStages()
    counters = _Counters()
    endpoints: asyncio.Queue[Endpoint | None] = asyncio.Queue()
    identify_clock, checks_clock = _StageClock("identify", observer), _StageClock("checks", observer)


    for error in plan.errors:
        report.errors.append(error)
        observer.error(error)

    async def discover() -> None:
        try:
            eta, how = sweep_eta(plan.total, config)
            if eta > DAY_S:  # said before the first probe, so nobody waits on a bar that will not move
                warning = f"this sweep is {plan.total:,} probes: at {how} it may take {_duration(eta)}"
                counters.notices.append(warning)
                observer.notice(warning)
            # aclosing: on cancellation (Ctrl-C) the sweep stops its workers inside this loop.
            async with aclosing(sweep(plan, config)) as events:
                async for event in events:
                    if isinstance(event, OpenPort):
                        counters.open_found += 1
                        endpoints.put_nowait(event.endpoint)
                    elif isinstance(event, Progress):
                        counters.probes_done = event.done
                        elapsed = max(time.monotonic() - counters.started, 1e-6)
                        observer.progress(event.done, event.total, event.open, event.done / elapsed)
                    elif isinstance(event, ProbeError):
                        counters.probe_errors += 1
                        record = ErrorRecord(where=_where(event.host, event.port), message=event.message)
                        report.errors.append(record)
                        observer.error(record)
                    elif isinstance(event, Notice):
                        counters.notices.append(event.message)
                        observer.notice(event.message)
        finally:
            counters.sweep_ended = time.monotonic()
            endpoints.put_nowait(None)

    async def endpoint_stream() -> AsyncIterator[Endpoint]:
        while (endpoint := await endpoints.get()) is not None:
            if stages.identify:
                identify_clock.begin(_where(endpoint.host, endpoint.port))
            yield endpoint

    async def checked(service: Service) -> None:
        if stages.checks is None or service.product == "unknown":
            return
        try:
            findings = await stages.checks(service)
        except Exception as exc:  # a check bug must cost one service, not the scan
            record = ErrorRecord(where=_where(service.host, service.port), message=f"checks failed: {exc!r}")
            report.errors.append(record)
            observer.error(record)
            return
        for finding in findings:
            report.findings.append(finding)
            observer.finding(finding)

    check_slots = asyncio.Semaphore(stages.check_concurrency)  # bounded checks, however many services

    async def one(service: Service) -> None:
        async with check_slots:
            if stages.checks is None or service.product == "unknown":
                await checked(service)
            else:
                checks_clock.begin(where := _where(service.host, service.port))
                try:
                    await checked(service)
                finally:
                    checks_clock.end(where)
        observer.service(service)

    async def consume(scan: asyncio.TaskGroup) -> None:
        services = stages.identify(endpoint_stream()) if stages.identify else _plain(endpoint_stream())
        async for service in services:
            if stages.identify:
                identify_clock.end(_where(service.host, service.port))
            report.services.append(service)
            scan.create_task(one(service))

    async def _plain(stream: AsyncIterator[Endpoint]) -> AsyncIterator[Service]:
        async for endpoint in stream:
            yield _unidentified(endpoint)

    try:
        async with asyncio.TaskGroup() as scan:
            scan.create_task(discover())
            scan.create_task(consume(scan))
    except BaseExceptionGroup as failed:
        raise _first_error(failed) from None
    finally:
        report.stats.update(_stats(plan, counters, report))
        report.stats["phases"] = _phases(counters, identify_clock, checks_clock)
    return report


def _first_error(group: BaseExceptionGroup) -> BaseException:
    """The first failure in a (possibly nested) group: what the run reports as its cause."""
    first = group.exceptions[0]
    return _first_error(first) if isinstance(first, BaseExceptionGroup) else first


def _phases(counters: _Counters, *clocks: _StageClock) -> dict[str, float]:
    """Seconds each phase ran, in order (phases overlap: identification starts with the first
    open port); a phase that never started is left out."""
    ended = counters.sweep_ended or time.monotonic()
    phases = {"sweep_s": round(ended - counters.started, 3)}
    phases.update({f"{c.name}_s": c.seconds() for c in clocks if c.first is not None})
    return phases


def _stats(plan: ScanPlan, counters: _Counters, report: Report) -> dict[str, Any]:
    elapsed = time.monotonic() - counters.started
    return {
        "probes_total": plan.total,
        "probes_done": counters.probes_done,
        "open": counters.open_found,
        "services": len(report.services),
        "identified": sum(1 for s in report.services if s.product != "unknown"),
        "findings": len(report.findings),
        "probe_errors": counters.probe_errors,
        "duration_s": round(elapsed, 3),
        "probes_per_s": round(counters.probes_done / elapsed, 1) if elapsed > 0 else None,
        "notices": counters.notices,
    }
