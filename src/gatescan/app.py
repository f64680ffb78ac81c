"""The scan API: what the CLI, local mode and the distributed workers all call (docs/architecture.md), and
the network pipeline it runs (sweep -> identify -> checks, streaming into one Report).

A request is a frozen dataclass that round-trips through JSON (workers take it off a broker, so
never pickle); `prepare_*` checks it and plans the work without sending anything, and `scan` /
`audit_skills` run the prepared job into its Report. The engine never prints: it tells an
observer what happened as it happens (the console, JSONL) and fills the Report in place, so an
interrupted run still holds what it found.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Protocol, TypeVar

from . import scope, typed
from .model import Endpoint, ErrorRecord, Finding, Report, Service, SkillRecord
from .scope import ScanPlan
from .sweep import Notice, OpenPort, ProbeError, Progress, SweepConfig, sweep

if TYPE_CHECKING:
    from .skills.allowlist import Allowlist
    from .skills.registry import RegistryAnswers

__all__ = [
    "RequestError", "ScanRequest", "SkillsRequest", "ScanJob", "SkillsJob", "ScanObserver", "NullObserver",
    "SkillsObserver", "prepare_scan", "scan", "scan_async", "run_scan", "ScanStages", "network_stages",
    "prepare_skills", "audit_skills", "query_registry", "skills_audit", "LocalRequest", "LocalJob", "prepare_local",
    "local",
]


class RequestError(ValueError):
    """A request that cannot run (a bad field, target, port list, shard or allowlist): the CLI
    exits 2, and nothing has been sent."""


# --- requests: frozen, typed, JSON in and out ----------------------------------------------------

_Req = TypeVar("_Req", bound="_Request")


class _Request:
    """Typed fields, checked on construction and when read from JSON (gatescan.typed: a list
    becomes a tuple, an int a float where a float is declared); `to_json` / `from_json` carry
    exactly those fields."""

    __pydantic_config__ = typed.STRICT

    def __post_init__(self) -> None:
        if typed.building():  # pydantic is building it from checked data; from_json checks the rest
            return
        try:
            checked = typed.check(self, type(self).__name__)
        except typed.TypedError as exc:
            raise RequestError(str(exc)) from None
        for f in dataclasses.fields(self):  # the checked copy: an int given for a float is a float
            object.__setattr__(self, f.name, getattr(checked, f.name))
        self._check()

    def _check(self) -> None:
        """Checks beyond a field's type; RequestError."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), allow_nan=False, sort_keys=True)

    @classmethod
    def from_json(cls: type[_Req], text: str | bytes) -> _Req:
        try:
            request = typed.from_json(cls, text, cls.__name__)
        except typed.TypedError as exc:
            raise RequestError(str(exc)) from None
        request._check()
        return request


@dataclass(frozen=True)
class ScanRequest(_Request):
    """One network scan, as `gatescan scan` takes it. No targets: scope.DEFAULT_TARGETS."""

    targets: tuple[str, ...] = ()
    ports: str | None = None  # the -p spec as typed; None: scope.DEFAULT_PORTS or TARGET_PORTS
    excludes: tuple[str, ...] = ()
    exclude_files: tuple[str, ...] = ()
    allow_public: bool = False
    shard: str | None = None  # "i/n"
    sweep: SweepConfig = field(default_factory=SweepConfig)
    identify: bool = True
    checks: bool = True
    intrusive: bool = False  # checks that leave a trace on the target (auth.ratelimit.missing)
    # mDNS/DNS-SD (gatescan.discover): browse this long first; advertised endpoints join the plan
    mdns: bool = False
    mdns_seconds: float = 3.0
    browser_proof: bool = False  # --browser-proof: headless Chromium replays the browser-shaped findings

    def _check(self) -> None:
        try:
            self.sweep.check()
        except ValueError as exc:
            raise RequestError(f"ScanRequest.sweep: {exc}") from None
        from .discover import MAX_SECONDS

        if not 0 < self.mdns_seconds <= MAX_SECONDS:
            raise RequestError(f"ScanRequest.mdns_seconds: {self.mdns_seconds:g} is not in (0, {MAX_SECONDS:g}]")


@dataclass(frozen=True)
class SkillsRequest(_Request):
    """One skills audit, as `gatescan skills` takes it. No roots: every agent's default roots."""

    roots: tuple[str, ...] = ()
    allowlists: tuple[str, ...] = ()  # allowlist files, merged in order
    registry: str | None = None  # ask this marketplace (ClawHub's base URL); None: never online

    def _check(self) -> None:
        if self.registry is not None:
            from .skills.registry import RegistryOptions

            try:
                RegistryOptions(url=self.registry)
            except ValueError as exc:
                raise RequestError(str(exc)) from None


# --- the network scan: what it tells its observer, the job, the entry points ---------------------

class ScanObserver(Protocol):
    """What a scan tells as it happens (the CLI's ReportSink draws and writes it)."""

    def progress(self, done: int, total: int, open_found: int, rate: float) -> None: ...
    def service(self, service: Service) -> None: ...
    def finding(self, finding: Finding) -> None: ...
    def error(self, error: ErrorRecord) -> None: ...
    def notice(self, message: str) -> None: ...
    def interrupted(self) -> None: ...  # Ctrl-C ended the run (app.scan); the report is partial
    # identify or checks moved: `done` of the `total` handed to it so far; `slowest` is the
    # endpoint in flight longest and `since` its time.monotonic() start (None: none in flight)
    def stage_progress(self, stage: str, done: int, total: int, slowest: str | None, since: float | None) -> None: ...
    # the sweep's sockets in flight, probes given up after timing out, timed-out probes waiting to retry
    def sweep_state(self, inflight: int, timed_out: int, retries_waiting: int) -> None: ...


class NullObserver:
    """The observer of a scan nobody watches."""

    def progress(self, done: int, total: int, open_found: int, rate: float) -> None: ...
    def service(self, service: Service) -> None: ...
    def finding(self, finding: Finding) -> None: ...
    def error(self, error: ErrorRecord) -> None: ...
    def notice(self, message: str) -> None: ...
    def interrupted(self) -> None: ...
    def stage_progress(self, stage: str, done: int, total: int, slowest: str | None, since: float | None) -> None: ...
    def sweep_state(self, inflight: int, timed_out: int, retries_waiting: int) -> None: ...


@dataclass(frozen=True)
class ScanJob:
    """A checked, planned scan; `report` is filled in place as it runs (so an observer that
    writes it, the CLI's ReportSink, can be built before the first probe)."""

    request: ScanRequest
    plan: ScanPlan
    report: Report


def prepare_scan(request: ScanRequest) -> ScanJob:
    """Parse the ports, build and police the plan; RequestError on anything refused (nothing sent)."""
    from .identify.fingerprints import FingerprintError
    from .scope.ports import named_port_sets

    spec = request.ports if request.ports is not None else (
        scope.TARGET_PORTS if request.targets or request.mdns else scope.DEFAULT_PORTS)
    try:
        port_list = scope.parse_ports(spec, named_port_sets())
        plan = scope.build_plan(  # --mdns alone: only what the LAN advertises
            list(request.targets) or ([] if request.mdns else list(scope.DEFAULT_TARGETS)), port_list,
            excludes=request.excludes, exclude_files=request.exclude_files,
            allow_public=request.allow_public,
            shard=scope.Shard.parse(request.shard) if request.shard else None,
            port_spec=spec,
        )
    except (scope.ScopeError, FingerprintError) as exc:
        raise RequestError(str(exc)) from None
    return ScanJob(request=request, plan=plan, report=Report(scope=plan.describe()))


def scan(request: ScanRequest | ScanJob, observer: ScanObserver | None = None) -> Report:
    """Run a scan to its end in a new event loop and return its Report.

    Ctrl-C (KeyboardInterrupt) or a failure of the run itself does not raise: the Report holds
    what was found, is marked incomplete (and, for a failure, says why in errors[])."""
    job = request if isinstance(request, ScanJob) else prepare_scan(request)
    observer = NullObserver() if observer is None else observer
    try:
        return asyncio.run(scan_async(job, observer))
    except KeyboardInterrupt:
        job.report.finish(complete=False)
        observer.interrupted()
        return job.report


async def scan_async(request: ScanRequest | ScanJob, observer: ScanObserver | None = None) -> Report:
    """`scan` inside a running loop. Cancellation marks the Report incomplete and propagates."""
    job = request if isinstance(request, ScanJob) else prepare_scan(request)
    observer = NullObserver() if observer is None else observer
    report = job.report

    def on_error(error: ErrorRecord) -> None:
        report.errors.append(error)
        observer.error(error)

    plan, advertised = job.plan, None
    try:
        if job.request.mdns:
            plan, advertised = await _mdns(job, on_error)
        async with network_stages(identify=job.request.identify, checks=job.request.checks,
                                  intrusive=job.request.intrusive, browser_proof=job.request.browser_proof,
                                  on_error=on_error) as stages:
            await run_scan(plan, job.request.sweep, report, observer=observer, stages=stages, discovered=advertised)
    except asyncio.CancelledError:
        report.finish(complete=False)
        raise
    except Exception as exc:  # the run itself failed: keep what was found, say why
        report.errors.append(ErrorRecord(where="scan", message=f"{type(exc).__name__}: {exc}"))
        report.finish(complete=False)
        return report
    reason = plan.empty_reason() or _unreachable(plan, report)
    if reason and job.request.mdns and not job.request.targets:
        reason = f"mDNS found no advertised agent service in scope in {job.request.mdns_seconds:g} s"
    if reason:  # a run that probed nothing is never a pass (docs/architecture.md, Exit codes: 3)
        record = ErrorRecord(where="scan", message=f"nothing was scanned: {reason}")
        report.errors.insert(0, record)  # first: the console lists only the first errors
        observer.error(record)
    report.finish(complete=False if reason else None)  # None: what an observer already marked stays
    return report


async def _mdns(job: ScanJob, on_error: Callable[[ErrorRecord], None]):
    """--mdns: browse (bounded), police what was advertised into the plan; the refusals are the
    new plan's errors (run_scan reports them), the rest of what went wrong is reported here."""
    from .discover import discover
    from .net.mdns import BrowseLimits

    found = await discover(job.plan, BrowseLimits(seconds=job.request.mdns_seconds))
    job.report.scope.extra["mdns"] = {"seconds": job.request.mdns_seconds, "types": list(found.result.types),
                                      "advertised": len(found.result.adverts)}
    for error in found.errors:
        on_error(error)
    return found.plan, found.records


def _unreachable(plan: ScanPlan, report: Report) -> str | None:
    """Every host failed its connects (ENETUNREACH, ...) and none answered. The sweep reports one
    error per host, so this counts hosts: a host with an error and an answer is not judged."""
    hosts = plan.host_count + len({(v, a) for v, a, _port in plan.pairs})
    if report.stats.get("open") or not report.stats.get("probes_done") or report.stats.get("probe_errors", 0) < hosts:
        return None
    return f"every connect failed ({report.errors[-1].message})"


# --- the pipeline: sweep -> identify -> checks, one TaskGroup ------------------------------------

# identify: endpoints in, services out (streaming); checks: one service in, its findings out.
IdentifyStage = Callable[[AsyncIterator[Endpoint]], AsyncIterator[Service]]
CheckStage = Callable[[Service], Awaitable[list[Finding]]]


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
    from .sweep.runner import AUTO_CEILING

    ceiling = config.concurrency or AUTO_CEILING
    per_s = ceiling / config.timeout
    return total / per_s, (f"{per_s:,.0f} probes/s if nothing answers "
                           f"({ceiling:,} sockets in flight at most, --timeout {config.timeout:g})")


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
    discovered: dict[tuple[str, int], list[dict[str, Any]]] | None = None,
) -> Report:
    """Run the whole network pipeline for `plan`, filling `report` as results arrive.

    One TaskGroup owns every task of the scan (the sweep, the identify stream, one task per
    service), so the scan ends only when all have: a check that raises costs its service an
    error record, but any other failure cancels the rest and is raised as itself, not wrapped
    in an ExceptionGroup. Cancellation (Ctrl-C) stops the sweep's workers on its way out.
    `discovered`: what advertised an endpoint (--mdns), kept on the service found there."""
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
                        observer.sweep_state(event.inflight, event.timed_out, event.retries_waiting)
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
            if discovered and (service.host, service.port) in discovered:
                service.discovery = discovered[(service.host, service.port)]
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


# --- the stage wiring: identify and checks over one network client -------------------------------

@asynccontextmanager
async def network_stages(*, identify: bool, checks: bool, intrusive: bool = False,
                         browser_proof: bool = False,
                         on_error: Callable[[ErrorRecord], None], limits: Any = None) -> AsyncIterator[ScanStages]:
    """The identify and check stages asked for (none with --no-identify).

    Both stages share one network client (one aiohttp session, one set of limits) that lives
    exactly as long as the scan, so it is built here, inside the running event loop.
    """
    if not identify:
        yield ScanStages()
        return
    from .identify import engine as identify_mod
    from .identify.fingerprints import load_fingerprints
    from .checks.runner import run_checks
    from .net.client import Client

    from contextlib import AsyncExitStack

    async with Client(limits) as client, AsyncExitStack() as stack:  # limits: net.Limits (None: the defaults)
        fingerprints = load_fingerprints()
        by_product = {fp.id: fp for fp in fingerprints}
        prover = None
        if browser_proof:  # one browser for the whole scan, started at the first proof
            from .checks.browser import BrowserProof
            prover = await stack.enter_async_context(BrowserProof())

        async def check(service: Service) -> list[Finding]:
            fingerprint = by_product.get(service.product)
            return await run_checks(service, fingerprint, client, intrusive=intrusive,
                                    proof=prover.prove if prover else None) if fingerprint else []

        yield ScanStages(
            identify=identify_mod.stage(client, on_error=on_error, fingerprints=fingerprints),
            checks=check if checks else None,
        )


# --- the skills audit ----------------------------------------------------------------------------

class SkillsObserver(Protocol):
    def skill(self, skill: SkillRecord) -> None: ...
    def finding(self, finding: Finding) -> None: ...
    def error(self, error: ErrorRecord) -> None: ...


@dataclass(frozen=True)
class SkillsJob:
    """A checked audit (its allowlists read); `report` is filled when it runs."""

    request: SkillsRequest
    allowlist: Allowlist | None
    report: Report


# --- the marketplace, only when asked (skills/registry.py) ---------------------------------------

def query_registry(job: SkillsJob) -> RegistryAnswers:
    """Ask `job.request.registry` about the skills the audit will see; the answers go to
    `audit_skills(job, registry=...)` and can be saved (registry.snapshot). Raises
    registry.RegistryUnreachable when the registry never answers (offline)."""
    from .skills.registry import RegistryOptions, ask_registry, local_skills

    roots = [Path(root) for root in job.request.roots] or None
    return ask_registry(local_skills(roots), RegistryOptions(url=job.request.registry or ""))


def _skill_hooks() -> list:
    """What every skills audit matches besides identity: the indicators (rules/iocs.yaml)."""
    from .skills.iocs import ioc_hook

    return [ioc_hook()]


def prepare_skills(request: SkillsRequest) -> SkillsJob:
    """Read and merge the allowlists; RequestError naming the file that cannot be used."""
    from functools import reduce

    from .skills.allowlist import AllowlistError, load_allowlist

    try:
        approved = (reduce(lambda a, b: a.merge(b), [load_allowlist(p) for p in request.allowlists])
                    if request.allowlists else None)
    except AllowlistError as exc:
        raise RequestError(str(exc)) from None
    return SkillsJob(request=request, allowlist=approved, report=Report())


def skills_audit(roots: tuple[str, ...], allowlist: Allowlist | None, **where: Any):
    """The skills audit with the static rules (rules/, skills/rules.py; the allowlist's slugs are
    what typosquats imitate) and the indicators. `where`: home, cwd, env for the default roots."""
    from .skills.audit import audit_skills as run_audit
    from .skills.rules import StaticRules

    known = [e.slug or e.name for e in allowlist.entries] if allowlist else ()
    return run_audit([Path(root) for root in roots] or None, allowlist=allowlist,
                     rules=[StaticRules(known_slugs=known), *_skill_hooks()], **where)


def audit_skills(request: SkillsRequest | SkillsJob, observer: SkillsObserver | None = None,
                 registry: RegistryAnswers | None = None) -> Report:
    """Audit the skills into the job's Report; the observer hears every skill, finding and error.
    Never raises for what it reads: unreadable or hostile files are findings or errors."""
    job = request if isinstance(request, SkillsJob) else prepare_skills(request)
    approved = job.allowlist
    if registry is not None:  # the registry's answers are one more allowlist, keyed to exact hashes
        approved = registry.allowlist if approved is None else approved.merge(registry.allowlist)
    audit = skills_audit(job.request.roots, approved)
    if registry is not None:
        registry.annotate(audit.skills)
        audit.errors.extend(registry.errors)
        audit.stats["registry"] = {"url": registry.url, **registry.stats}
    report = audit.to_report(job.report)
    if not any(root.path.is_dir() for root in audit.roots):  # nothing audited is never a pass
        report.errors.insert(0, ErrorRecord(where="skills", message="nothing was scanned: no skills root exists"
                                                                    " (or none is a directory)"))
        report.complete = False
    if observer is not None:
        for record in report.skills or []:
            observer.skill(record)
        for finding in report.findings:
            observer.finding(finding)
        for error in report.errors:
            observer.error(error)
    return report


# --- local mode: this machine (local/audit.py composes the network scan and the skills audit) ----

@dataclass(frozen=True)
class LocalRequest(_Request):
    """One `gatescan local`: this machine's listeners, agent configs, IDE locks, MCP client
    configs and skills. home / cwd: whose files (None: the user's own, the working directory)."""

    home: str | None = None
    cwd: str | None = None
    allowlists: tuple[str, ...] = ()
    skills: bool = True
    timeout: float = 1.0  # per connect; loopback answers at once

    def _check(self) -> None:
        if self.timeout <= 0:
            raise RequestError("LocalRequest.timeout: must be positive")


class LocalObserver(ScanObserver, SkillsObserver, Protocol):
    """What local mode tells as it happens: the scan's events and the skills'."""


@dataclass(frozen=True)
class LocalJob:
    request: LocalRequest
    allowlist: Allowlist | None
    report: Report


def prepare_local(request: LocalRequest) -> LocalJob:
    """Read the allowlists; RequestError naming the file that cannot be used (nothing read yet)."""
    skills_job = prepare_skills(SkillsRequest(allowlists=request.allowlists))
    return LocalJob(request=request, allowlist=skills_job.allowlist, report=Report())


def local(request: LocalRequest | LocalJob, observer: LocalObserver | None = None) -> Report:
    """Audit this machine into the job's Report. Never raises for what it finds: unreadable files,
    vanished processes and silent ports are errors[] entries; Ctrl-C leaves a partial report."""
    import os

    from .local.audit import run_local

    job = request if isinstance(request, LocalJob) else prepare_local(request)
    req = job.request
    home = Path(req.home) if req.home else Path.home()
    cwd = Path(req.cwd) if req.cwd else Path.cwd()
    try:
        return asyncio.run(run_local(job.report, home=home, cwd=cwd, env=dict(os.environ), allowlist=job.allowlist,
                                     skills=req.skills, timeout=req.timeout, observer=observer))
    except KeyboardInterrupt:
        job.report.finish(complete=False)
        if observer is not None:
            observer.interrupted()
        return job.report
