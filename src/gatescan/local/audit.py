"""`gatescan local`: what on this machine a web page or a neighbour could drive, what setting
makes it so, and what is installed that should not be.

It composes what exists: the listener census (local/listeners.py), the file readers
(local/readers.py), the network pipeline of the scan API run over exactly the listening ports
(loopback, plus this host's own addresses for wide binds, so exposure.network sees what a
neighbour sees) and the skills audit over every default root; then it joins the two sides:
a service of an agent whose configuration was read names the keys behind what its checks found.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlsplit

from ..model import CheckStatus, ErrorRecord, Finding, Report, Service
from . import listeners as census
from .model import ConfigCause, Listener, LocalFindings

if TYPE_CHECKING:
    from ..app import LocalObserver
    from ..skills.allowlist import Allowlist

# Loopback answers at once: a port silent this long is not an agent service (net.Limits' defaults
# are for networks; 50 silent listeners must not cost 50 read timeouts in sequence of stages).
LOCAL_READ_TIMEOUT = 2.0
LOCAL_ENDPOINT_DEADLINE = 6.0


def _pair(host: str, port: int) -> tuple[int, int, int]:
    ip = ipaddress.ip_address(host)
    return (ip.version, int(ip), port)


def _local_url_pair(url: str) -> tuple[str, int] | None:
    """(host, port) of a URL on this machine's loopback; None for anything else (never scanned)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(parts.scheme)
    except ValueError:
        return None
    if host == "localhost":
        host = "127.0.0.1"
    try:
        if host is None or port is None or not ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        return None
    return str(ipaddress.ip_address(host)), port


async def _timed(work) -> tuple[Any, float]:
    t0 = time.monotonic()
    result = await work
    return result, round(time.monotonic() - t0, 3)


def plan_targets(listeners: list[Listener], own: list[str], urls: tuple[str, ...]) -> dict[tuple[str, int], Listener | None]:
    """(host, port) to probe -> the listener it reaches (None: a URL a config names that no
    listener serves). A specific bind wins over a wildcard on the same (host, port)."""
    out: dict[tuple[str, int], Listener | None] = {}
    for listener in sorted(listeners, key=lambda l: l.bind in ("0.0.0.0", "::")):
        for host in census.scan_hosts(listener, own):
            out.setdefault((host, listener.port), listener)
    for url in urls:
        pair = _local_url_pair(url)
        if pair is not None:
            out.setdefault(pair, None)
    return out


async def _scan(targets: dict[tuple[str, int], Listener | None], report: Report, observer: Any,
                timeout: float) -> None:
    from dataclasses import replace

    from ..app import NullObserver, network_stages, run_scan
    from ..net.limits import Limits
    from ..scope import ScanPlan
    from ..sweep import SweepConfig

    observer = observer or NullObserver()
    pairs = tuple(sorted(_pair(h, p) for h, p in targets))
    plan = ScanPlan(intervals=(), ports=(), pairs=pairs, targets=sorted({h for h, _ in targets}),
                    port_spec=",".join(str(p) for p in sorted({p for _, p in targets})))
    report.scope = plan.describe()

    def on_error(error: ErrorRecord) -> None:
        report.errors.append(error)
        observer.error(error)

    limits = replace(Limits(), read_timeout=LOCAL_READ_TIMEOUT, endpoint_deadline=LOCAL_ENDPOINT_DEADLINE)
    async with network_stages(identify=True, checks=True, on_error=on_error, limits=limits) as stages:
        inner = stages.checks

        async def checks(service: Service) -> list[Finding]:
            # the listen address and owner before the checks: exposure.network judges a loopback
            # probe of a wide bind by it (checks/exposure.py)
            _own(service, targets.get((service.host, service.port)))
            return await inner(service) if inner is not None else []

        stages.checks = checks
        await run_scan(plan, SweepConfig(timeout=timeout, workers=0), report, observer=observer, stages=stages)


def _own(service: Service, listener: Listener | None) -> None:
    if listener is not None:
        service.bind = listener.bind
        service.process = listener.process()


def attach(report: Report, targets: dict[tuple[str, int], Listener | None], causes: tuple[ConfigCause, ...]) -> None:
    """Each service gets its listener's bind and process, and the config keys behind what its
    checks found; each network finding the key to change (`config_cause`)."""
    by_service: dict[tuple[str, int], list[Finding]] = {}
    for f in report.findings:
        if f.host is not None and f.port is not None:
            by_service.setdefault((f.host, f.port), []).append(f)
    for service in report.services:
        _own(service, targets.get((service.host, service.port)))
        found = by_service.get((service.host, service.port), [])
        proven = {c.check for c in service.checks if c.result == CheckStatus.FINDING} | {f.check for f in found}
        mine = [c for c in causes if c.product == service.product and c.check in proven
                and (c.port is None or c.port == service.port)]
        if not mine:
            continue
        service.extra["config_causes"] = [c.to_dict() for c in mine]
        for f in found:
            cause = next((c for c in mine if c.check == f.check), None)
            if cause is not None:
                f.extra["config_cause"] = cause.to_dict()


async def run_local(report: Report, *, home: Path, cwd: Path, env: Mapping[str, str],
                    allowlist: Allowlist | None, skills: bool, timeout: float,
                    observer: LocalObserver | None = None) -> Report:
    """The whole local audit into `report` (filled in place; an interrupted run keeps what it found)."""
    from .readers import read_all

    started = time.monotonic()
    found_listeners, errors = census.collect()
    own, more = census.own_addresses()
    files: LocalFindings = read_all(home, env, cwd)
    for error in [*errors, *more, *files.errors]:
        report.errors.append(error)
        if observer is not None:
            observer.error(error)
    report.local = {
        "listeners": [l.to_dict() for l in found_listeners],
        "configs": [dict(c) for c in files.configs],
        "mcp_servers": [dict(m) for m in files.mcp_servers],
    }
    targets = plan_targets(found_listeners, own, files.scan_urls)
    skills_job = None
    if skills:  # files only: it reads while the network side waits on sockets
        from ..app import skills_audit

        skills_job = asyncio.create_task(_timed(asyncio.to_thread(skills_audit, (), allowlist, home=home, cwd=cwd,
                                                                  env=env)))
    network_s = 0.0
    try:
        if targets:
            t0 = time.monotonic()
            await _scan(targets, report, observer, timeout)
            network_s = time.monotonic() - t0
    finally:
        audit, skills_s = (await skills_job) if skills_job is not None else (None, 0.0)
    attach(report, targets, files.causes)
    for finding in files.findings:
        report.findings.append(finding)
        if observer is not None:
            observer.finding(finding)
    if audit is not None:
        audit.apply_to(report)
        if observer is not None:
            for record in audit.skills:
                observer.skill(record)
            for finding in audit.findings:
                observer.finding(finding)
            for error in audit.errors:
                observer.error(error)
    report.stats["local"] = {
        "listeners": len(found_listeners),
        "wide": sum(census.is_wide(l.bind) for l in found_listeners),
        "probed": len(targets),
        "own_addresses": own,
        "configs": len(files.configs),
        "mcp_servers": len(files.mcp_servers),
        "network_s": round(network_s, 3),
        "skills_s": round(skills_s, 3),
        "duration_s": round(time.monotonic() - started, 3),
    }
    report.finish()
    return report
