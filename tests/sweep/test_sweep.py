"""The sweep finds exactly the listeners that exist, streams them, and records per-address errors."""

from __future__ import annotations

import pytest

from gatescan.model import Endpoint
from gatescan.scope import build_plan
from gatescan.sweep import OpenPort, Progress, SweepConfig, sweep
from tests.netns import requires_netns
from tests.sweep.helpers import collect

MODES = [pytest.param(0, id="thread"), pytest.param(2, id="two-workers"), pytest.param(None, id="auto")]


@pytest.mark.parametrize("workers", MODES)
async def test_own_listener_and_refused_port_on_127_0_0_1(listen, closed_port, workers):
    up = listen("127.0.0.1")
    down = closed_port("127.0.0.1")
    plan = build_plan(["127.0.0.1"], [up.port, down])
    got = await collect(plan, SweepConfig(workers=workers))
    assert got.open == {up}
    assert got.open_events == 1
    assert got.errors == []
    assert got.progress[-1] == Progress(2, 2, 1)


@requires_netns
@pytest.mark.parametrize("workers", MODES)
async def test_finds_exactly_the_listeners_on_several_addresses(listen, workers):
    ports = [18789, 18790, 11434, 20001]
    expected = {
        listen("127.211.0.1", 18789),
        listen("127.211.0.1", 11434),
        listen("127.211.0.7", 18790),
        listen("127.211.0.15", 20001),
        listen("::1", 18790),
    }
    listen("127.211.0.9", 20002)  # listening, but not on a port the plan covers
    listen("127.211.1.1", 18789)  # listening, but outside the plan's range
    plan = build_plan(["127.211.0.0/28", "::1"], ports)
    got = await collect(plan, SweepConfig(workers=workers))
    assert got.open == expected
    assert got.open_events == len(expected)  # each reported once
    assert got.errors == []
    assert got.progress[-1] == Progress(plan.total, plan.total, len(expected))


@requires_netns
async def test_bigger_plan_two_workers_covers_every_pair_once(listen):
    # 64 hosts x 100 ports: above the in-thread limit, so auto mode spawns workers.
    expected = {listen(f"127.213.0.{i}", 30000 + i) for i in (0, 5, 33, 63)}
    plan = build_plan(["127.213.0.0/26"], list(range(30000, 30100)))
    got = await collect(plan, SweepConfig())
    assert got.open == expected
    assert got.open_events == len(expected)
    assert got.progress[-1].done == plan.total == 6400


@requires_netns
async def test_open_ports_stream_before_the_sweep_ends(listen):
    """The open port is reported while another probe still cannot finish: a listener whose accept
    queue is full drops every new SYN, so that pair stays in flight until its (long) timeout."""
    from tests.sweep.helpers import stuffed_listener

    first = listen("127.214.0.0")
    with stuffed_listener("127.214.0.1") as port:
        plan = build_plan(["127.214.0.0-1"], sorted({first.port, port}))
        events = sweep(plan, SweepConfig(workers=2, timeout=120.0, retries=0))
        seen_open = False
        try:
            async for event in events:
                if isinstance(event, OpenPort):
                    assert event.endpoint == first
                    seen_open = True
                elif isinstance(event, Progress) and seen_open:
                    assert event.done < event.total  # the stuffed pair is still in flight
                    break
        finally:
            await events.aclose()
        assert seen_open


@requires_netns
@pytest.mark.parametrize("workers", [pytest.param(0, id="thread"), pytest.param(2, id="two-workers")])
async def test_unroutable_addresses_are_error_records_one_per_host(listen, workers):
    # Inside the namespace only lo exists: 10.99.0.2 (not the 10.99.0.1 alias) and fd00::1
    # have no route, so connect fails at once with ENETUNREACH.
    up = listen("127.0.0.1")
    plan = build_plan(["10.99.0.2", "fd00::1", "127.0.0.1"], [up.port, 81, 82])
    got = await collect(plan, SweepConfig(workers=workers))
    assert got.open == {up}
    assert sorted(e.host for e in got.errors) == ["10.99.0.2", "fd00::1"]
    for error in got.errors:
        assert "ENETUNREACH" in error.message
        assert error.port in (up.port, 81, 82)
    assert got.progress[-1].done == plan.total


async def test_empty_plan_ends_at_once():
    plan = build_plan([], [80])
    got = await collect(plan, SweepConfig())
    assert got.progress == [Progress(0, 0, 0)]


@pytest.mark.parametrize("bad", [
    {"concurrency": 0}, {"timeout": 0}, {"retries": -1}, {"rate": 0}, {"workers": -1},
])
async def test_bad_config_is_refused_before_anything_is_sent(bad):
    plan = build_plan(["127.0.0.1"], [9])
    with pytest.raises(ValueError):
        await collect(plan, SweepConfig(**bad))


def test_endpoint_hosts_are_plain_strings(listen):
    from gatescan.sweep import sweep_sync

    up = listen("127.0.0.1")
    result = sweep_sync(build_plan(["127.0.0.1"], [up.port]), SweepConfig(workers=0))
    assert result.open == [Endpoint("127.0.0.1", up.port)]
    assert result.done == result.total == 1
