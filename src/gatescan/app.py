"""The scan API: what the CLI, local mode and the distributed workers all call (DESIGN.md).

A request is a frozen dataclass that round-trips through JSON (workers take it off a broker, so
never pickle); `prepare_*` checks it and plans the work without sending anything, and `scan` /
`audit_skills` run the prepared job into its Report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import types
import typing
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Protocol, TypeVar, Union

from . import scope
from .model import ErrorRecord, Finding, Report, Service, SkillRecord
from .pipeline import NullObserver, ScanObserver, ScanStages, run_scan
from .scope import ScanPlan
from .sweep import SweepConfig

if TYPE_CHECKING:
    from .skills.allowlist import Allowlist

__all__ = [
    "RequestError", "ScanRequest", "SkillsRequest", "ScanJob", "SkillsJob", "SkillsObserver",
    "prepare_scan", "scan", "scan_async", "prepare_skills", "audit_skills", "network_stages",
]


class RequestError(ValueError):
    """A request that cannot run (a bad field, target, port list, shard or allowlist): the CLI
    exits 2, and nothing has been sent."""


# --- requests: frozen, typed, JSON in and out ----------------------------------------------------

_Req = TypeVar("_Req", bound="_Request")


class _Request:
    """Typed fields, checked on construction (a list becomes a tuple, an int a float where a
    float is declared); `to_json` / `from_json` carry exactly those fields."""

    def __post_init__(self) -> None:
        for name, value in _checked_fields(type(self), self, type(self).__name__).items():
            object.__setattr__(self, name, value)
        self._check()

    def _check(self) -> None:
        """Checks beyond a field's type; RequestError."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), allow_nan=False, sort_keys=True)

    @classmethod
    def from_json(cls: type[_Req], text: str | bytes) -> _Req:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and bad UTF-8 are ValueErrors
            raise RequestError(f"{cls.__name__}: not a JSON document: {exc}") from None
        return _decode(cls, data, cls.__name__)


def _decode(cls: type, data: Any, where: str) -> Any:
    """A dataclass from a JSON object: unknown fields are an error, missing ones take defaults."""
    if not isinstance(data, dict):
        raise RequestError(f"{where}: expected a JSON object, not {_json_kind(data)}")
    known = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in known:
            raise RequestError(f"{where}: unknown field {key!r} (fields: {', '.join(known)})")
    if cls is SweepConfig:  # not a _Request: its fields are checked here instead
        return SweepConfig(**_checked_fields(cls, data, where))
    return cls(**data)


def _checked_fields(cls: type, source: Any, where: str) -> dict[str, Any]:
    """The fields of `source` (a dataclass, or a dict of known names) checked against `cls`'s
    annotations."""
    hints = typing.get_type_hints(cls)
    if isinstance(source, dict):
        items = source.items()
    else:
        items = ((f.name, getattr(source, f.name)) for f in dataclasses.fields(cls))
    return {name: _value(hints[name], value, f"{where}.{name}") for name, value in items}


def _value(hint: Any, value: Any, where: str) -> Any:
    if typing.get_origin(hint) in (Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None and len(options) < len(typing.get_args(hint)):
            return None
        (hint,) = options
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise RequestError(f"{where}: expected true or false, not {_json_kind(value)}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise RequestError(f"{where}: expected an integer, not {_json_kind(value)}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value):
            return float(value)
        raise RequestError(f"{where}: expected a finite number, not {_json_kind(value)}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise RequestError(f"{where}: expected a string, not {_json_kind(value)}")
    if typing.get_origin(hint) is tuple:  # tuple[str, ...]
        (item,) = [a for a in typing.get_args(hint) if a is not Ellipsis]
        if isinstance(value, (list, tuple)):
            return tuple(_value(item, v, f"{where}[{i}]") for i, v in enumerate(value))
        raise RequestError(f"{where}: expected a list, not {_json_kind(value)}")
    if dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return dataclasses.replace(value, **_checked_fields(hint, value, where))
        return _decode(hint, value, where)
    raise TypeError(f"{where}: no JSON form for {hint!r}")  # a field type this codec lacks


def _finite(number: int | float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer too big for a float
        return False


def _json_kind(value: Any) -> str:
    """How a wrong value reads in an error: its JSON kind and a short repr."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "a list", tuple: "a list", dict: "an object", type(None): "null"}
    text = repr(value)
    return f"{kinds.get(type(value), type(value).__name__)} {text[:40] + '...' if len(text) > 40 else text}"


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

    def _check(self) -> None:
        try:
            self.sweep.check()
        except ValueError as exc:
            raise RequestError(f"ScanRequest.sweep: {exc}") from None


@dataclass(frozen=True)
class SkillsRequest(_Request):
    """One skills audit, as `gatescan skills` takes it. No roots: every agent's default roots."""

    roots: tuple[str, ...] = ()
    allowlists: tuple[str, ...] = ()  # allowlist files, merged in order


# --- the network scan ----------------------------------------------------------------------------

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
        scope.TARGET_PORTS if request.targets else scope.DEFAULT_PORTS)
    try:
        port_list = scope.parse_ports(spec, named_port_sets())
        plan = scope.build_plan(
            list(request.targets) or list(scope.DEFAULT_TARGETS), port_list,
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

    try:
        async with network_stages(identify=job.request.identify, checks=job.request.checks,
                                  on_error=on_error) as stages:
            await run_scan(job.plan, job.request.sweep, report, observer=observer, stages=stages)
    except asyncio.CancelledError:
        report.finish(complete=False)
        raise
    except Exception as exc:  # the run itself failed: keep what was found, say why
        report.errors.append(ErrorRecord(where="scan", message=f"{type(exc).__name__}: {exc}"))
        report.finish(complete=False)
        return report
    reason = job.plan.empty_reason() or _unreachable(job.plan, report)
    if reason:  # a run that probed nothing is never a pass (DESIGN.md, Exit codes: 3)
        record = ErrorRecord(where="scan", message=f"nothing was scanned: {reason}")
        report.errors.insert(0, record)  # first: the console lists only the first errors
        observer.error(record)
    report.finish(complete=False if reason else None)  # None: what an observer already marked stays
    return report


def _unreachable(plan: ScanPlan, report: Report) -> str | None:
    """Every host failed its connects (ENETUNREACH, ...) and none answered. The sweep reports one
    error per host, so this counts hosts: a host with an error and an answer is not judged."""
    hosts = plan.host_count + len({(v, a) for v, a, _port in plan.pairs})
    if report.stats.get("open") or not report.stats.get("probes_done") or report.stats.get("probe_errors", 0) < hosts:
        return None
    return f"every connect failed ({report.errors[-1].message})"


@asynccontextmanager
async def network_stages(*, identify: bool, checks: bool,
                         on_error: Callable[[ErrorRecord], None]) -> AsyncIterator[ScanStages]:
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

    async with Client() as client:
        fingerprints = load_fingerprints()
        by_product = {fp.id: fp for fp in fingerprints}

        async def check(service: Service) -> list[Finding]:
            fingerprint = by_product.get(service.product)
            return await run_checks(service, fingerprint, client) if fingerprint else []

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


def audit_skills(request: SkillsRequest | SkillsJob, observer: SkillsObserver | None = None) -> Report:
    """Audit the skills into the job's Report; the observer hears every skill, finding and error.
    Never raises for what it reads: unreadable or hostile files are findings or errors."""
    from .skills.audit import audit_skills as run_audit

    job = request if isinstance(request, SkillsJob) else prepare_skills(request)
    audit = run_audit([Path(root) for root in job.request.roots] or None, allowlist=job.allowlist)
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
