"""Progress that tells the truth (issue 20 item 6), the engine's side: identify and checks say
how far they are and which endpoint is in flight longest; stats name each phase's time; a
sweep longer than a day at the configured rate is said before the first probe."""

from __future__ import annotations

import asyncio

import pytest

from gatescan.model import Report, Service
from gatescan.app import NullObserver, ScanStages, run_scan, sweep_eta
from gatescan.scope import build_plan
from gatescan.sweep import SweepConfig


class Recorder(NullObserver):
    def __init__(self) -> None:
        self.stages: list[tuple] = []
        self.notices: list[str] = []

    def stage_progress(self, stage, done, total, slowest, since) -> None:
        self.stages.append((stage, done, total, slowest, since))

    def notice(self, message) -> None:
        self.notices.append(message)


async def slow_identify(endpoints):
    async for endpoint in endpoints:
        await asyncio.sleep(0.05)
        yield Service(host=endpoint.host, port=endpoint.port, product="lab")


async def no_findings(service):
    await asyncio.sleep(0.05)
    return []


async def test_identify_and_checks_report_progress_and_phase_times(listen):
    endpoints = [listen("127.0.0.1"), listen("127.0.0.1")]
    plan = build_plan(["127.0.0.1"], [e.port for e in endpoints])
    observer, report = Recorder(), Report()
    await run_scan(plan, SweepConfig(workers=0), report, observer=observer,
                   stages=ScanStages(identify=slow_identify, checks=no_findings))
    where = {f"127.0.0.1:{e.port}" for e in endpoints}
    for stage in ("identify", "checks"):
        events = [e for e in observer.stages if e[0] == stage]
        assert events[-1][1:3] == (2, 2), stage  # all done, of all handed to it
        assert {e[3] for e in events if e[3] is not None} <= where and any(e[3] for e in events)
        assert events[-1][3] is None  # nothing left in flight
    phases = report.stats["phases"]
    assert list(phases) == ["sweep_s", "identify_s", "checks_s"]
    assert all(isinstance(v, float) and v >= 0 for v in phases.values())


async def test_no_identify_times_the_sweep_only(listen):
    endpoint = listen("127.0.0.1")
    observer, report = Recorder(), Report()
    await run_scan(build_plan(["127.0.0.1"], [endpoint.port]), SweepConfig(workers=0), report, observer=observer)
    assert list(report.stats["phases"]) == ["sweep_s"] and observer.stages == []


def test_sweep_eta_uses_the_rate_or_the_timeout_window():
    assert sweep_eta(1000, SweepConfig(rate=10))[0] == 100
    seconds, how = sweep_eta(2048 * 100, SweepConfig(concurrency=2048, timeout=1.0))
    assert seconds == 100 and "if nothing answers" in how


class StopAtNotice(Recorder):
    def notice(self, message) -> None:
        super().notice(message)
        raise RuntimeError("stop")  # before the sweep sends anything


@pytest.mark.parametrize("config, how", [(SweepConfig(rate=0.5, workers=0), "--rate 0.5/s"),
                                         (SweepConfig(concurrency=1, timeout=10, workers=0), "if nothing answers")])
async def test_a_sweep_longer_than_a_day_is_said_first(config, how):
    plan = build_plan(["127.0.0.1"], list(range(1, 65536)))  # 65535 probes: 1.5 days at 0.5/s, 7.6 at 1 per 10 s
    observer, report = StopAtNotice(), Report()
    with pytest.raises(RuntimeError, match="stop"):
        await run_scan(plan, config, report, observer=observer)
    [warning] = observer.notices
    assert f"this sweep is {plan.total:,} probes" in warning and how in warning and "days" in warning
    assert report.stats["notices"] == [warning] and report.stats["probes_done"] == 0


async def test_a_day_long_sweep_at_the_rate_is_not_warned_below_a_day(listen):
    endpoint = listen("127.0.0.1")
    observer, report = Recorder(), Report()
    await run_scan(build_plan(["127.0.0.1"], [endpoint.port]), SweepConfig(workers=0), report, observer=observer)
    assert observer.notices == []
