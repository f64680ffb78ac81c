"""run_scan does not lose a failure in a per-service task: it fails the run (exit 3 in the CLI)
instead of vanishing as 'Task exception was never retrieved' while the report says complete."""

from __future__ import annotations

import asyncio

import pytest

from gatescan.app import NullObserver, ScanStages, run_scan
from gatescan.model import Finding, Report, Service, Severity
from gatescan.scope import build_plan
from gatescan.sweep import SweepConfig
from tests.netns import requires_netns


class BrokenObserver(NullObserver):
    def service(self, service) -> None:
        raise RuntimeError("observer bug")


async def lingering_identify(endpoints):
    """Names every endpoint, then lingers: the service's task is long done when the stream ends."""
    async for endpoint in endpoints:
        yield Service(host=endpoint.host, port=endpoint.port)
    await asyncio.sleep(0.3)


async def test_a_failing_service_task_fails_the_run(listen):
    endpoint = listen("127.0.0.1")
    plan = build_plan(["127.0.0.1"], [endpoint.port])
    report = Report()
    with pytest.raises(RuntimeError, match="observer bug"):
        await run_scan(plan, SweepConfig(workers=0), report, observer=BrokenObserver(),
                       stages=ScanStages(identify=lingering_identify))
    assert [(s.host, s.port) for s in report.services] == [("127.0.0.1", endpoint.port)]


async def named(endpoints):
    """An identify stage that names every endpoint `lab`, so the checks run on it."""
    async for endpoint in endpoints:
        yield Service(host=endpoint.host, port=endpoint.port, product="lab")


@requires_netns
async def test_a_failing_identify_stream_fails_the_run_as_itself_and_leaves_no_task(listen):
    async def broken_identify(endpoints):
        async for endpoint in endpoints:
            yield Service(host=endpoint.host, port=endpoint.port)
            raise ValueError("identify bug")

    endpoint = listen("127.0.0.1")
    # the listener is the first pair; the sweep of the rest is still going when identify fails
    plan = build_plan(["127.0.0.1-254"], [endpoint.port])
    with pytest.raises(ValueError, match="identify bug"):  # the error itself, not an ExceptionGroup
        await run_scan(plan, SweepConfig(workers=0, rate=100), Report(), stages=ScanStages(identify=broken_identify))
    # the sweep and every per-service task were cancelled and waited for, none left running
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_a_check_that_raises_costs_only_its_service(listen):
    good, bad = listen("127.0.0.1"), listen("127.0.0.1")

    async def checks(service):
        if service.port == bad.port:
            raise KeyError("check bug")
        return [Finding(check="auth.missing", severity=Severity.HIGH, title="t", target="lab", host=service.host,
                        port=service.port)]

    plan = build_plan(["127.0.0.1"], [good.port, bad.port])
    report = await run_scan(plan, SweepConfig(workers=0), Report(), stages=ScanStages(identify=named, checks=checks))
    assert sorted(s.port for s in report.services) == sorted([good.port, bad.port])
    assert [(f.port, f.check) for f in report.findings] == [(good.port, "auth.missing")]
    assert [(e.where, e.message) for e in report.errors] == [(f"127.0.0.1:{bad.port}", "checks failed: KeyError('check bug')")]


async def test_checks_run_at_most_check_concurrency_at_once(listen):
    endpoints = [listen("127.0.0.1") for _ in range(6)]
    in_flight, most = 0, 0
    two_in = asyncio.Event()

    async def checks(service):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        if in_flight >= 2:
            two_in.set()
        await asyncio.wait_for(two_in.wait(), 10)  # hold the first two until both are in
        await asyncio.sleep(0)
        in_flight -= 1
        return []

    plan = build_plan(["127.0.0.1"], [e.port for e in endpoints])
    report = await run_scan(plan, SweepConfig(workers=0), Report(),
                            stages=ScanStages(identify=named, checks=checks, check_concurrency=2))
    assert len(report.services) == 6 and not report.errors
    assert most == 2
