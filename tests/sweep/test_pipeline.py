"""run_scan does not lose a failure in a per-service task: it fails the run (exit 3 in the CLI)
instead of vanishing as 'Task exception was never retrieved' while the report says complete."""

from __future__ import annotations

import asyncio

import pytest

from gatescan.model import Report, Service
from gatescan.pipeline import NullObserver, ScanStages, run_scan
from gatescan.scope import build_plan
from gatescan.sweep import SweepConfig


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
