"""The adaptive sweep: the window and timeout rules on their own, then real sweeps behind
nftables in a namespace of the test's own, proven by packet counters and the engine's own
progress, never by timing. Bad input: a low descriptor limit, extreme --concurrency, --rate 1,
all dropped, all refused: each finishes with every probe done and none lost."""

from __future__ import annotations

import shutil

import pytest

from gatescan.sweep.adapt import MIN_RTO, QUEUE_FLOOR, RttTable, Window, block_of
from tests.sweep.helpers import run_sweep_script

needs_nft = pytest.mark.skipif(shutil.which("nft") is None, reason="needs nftables (Debian: nftables)")

# --- the rules ------------------------------------------------------------------------------------

def _interval(w: Window, t: float, *, full: bool, idle: float, length: float = 0.1) -> float:
    w.full, w.idle = full, idle
    t += length
    w.tick(t)
    return t


def test_window_doubles_while_sockets_wait_then_grows_by_an_eighth_after_a_shrink():
    w = Window(ceiling=100_000, start=2048)
    t = 0.0
    w.tick(t)
    t = _interval(w, t, full=True, idle=0.08)
    assert w.size == 4096
    t = _interval(w, t, full=True, idle=0.08)
    assert w.size == 8192
    w.resource_error(inflight=8000)
    assert w.size == 4000 and w.ceiling == 7984
    t = _interval(w, t, full=True, idle=0.08)
    assert w.size == 4500  # additive now: an eighth
    for _ in range(20):
        t = _interval(w, t, full=True, idle=0.08)
    assert w.size == w.ceiling == 7984  # never above the ceiling the error lowered


@pytest.mark.parametrize("full, idle", [(False, 0.09), (True, 0.01)])
def test_window_stays_when_not_full_or_when_the_cpu_is_the_limit(full, idle):
    w = Window(ceiling=100_000, start=2048)
    w.tick(0.0)
    _interval(w, 0.0, full=full, idle=idle)
    assert w.size == 2048 and w.grown == 0


def test_window_halves_when_answers_slow_down():
    w = Window(ceiling=100_000, start=4096)
    w.tick(0.0)
    w.answered(0.001)  # the fastest answer seen
    t = _interval(w, 0.0, full=True, idle=0.08)
    assert w.size == 8192
    for _ in range(10):
        w.answered(0.001 + QUEUE_FLOOR + 0.05)  # latency far above base, and above the floor
    _interval(w, t, full=True, idle=0.08)
    assert w.size == 4096 and w.shrunk == 1


def test_window_ignores_jitter_below_the_queue_floor():
    w = Window(ceiling=100_000, start=2048)
    w.tick(0.0)
    w.answered(0.0001)
    w.answered(0.01)  # 100x the base, but only 10 ms: scheduling noise, not a queue
    _interval(w, 0.0, full=True, idle=0.08)
    assert w.size == 4096 and w.shrunk == 0


def test_window_start_and_ceiling_bounds():
    assert Window(ceiling=1).size == 1
    assert Window(ceiling=10_000_000).size == 2048
    w = Window(ceiling=1, start=1)
    w.tick(0.0)
    _interval(w, 0.0, full=True, idle=0.1)
    assert w.size == 1
    assert w.resource_error(inflight=1) == 1


def test_unanswered_block_waits_the_maximum_answered_block_its_round_trip():
    table = RttTable(maximum=5.0)
    assert table.ladder[0] == MIN_RTO and table.ladder[-1] == 5.0
    assert table.ladder == tuple(sorted(table.ladder))
    assert table.ladder[table.rung("10.0.0")] == 5.0  # nothing seen: never cut short
    table.sample("10.0.0", 0.0002)
    assert table.ladder[table.rung("10.0.0")] == MIN_RTO  # a fast LAN: the floor
    table.sample("10.0.9", 0.8)
    slow = table.ladder[table.rung("10.0.9")]
    assert slow >= 0.8 + 4 * 0.4 - 1e-9 and slow <= 5.0  # srtt + 4 x rttvar, on the ladder
    table.sample("10.0.8", 30.0)
    assert table.ladder[table.rung("10.0.8")] == 5.0  # --timeout stays the maximum


def test_estimates_follow_the_answers():
    table = RttTable(maximum=10.0)
    table.sample("b", 0.5)
    first = table.ladder[table.rung("b")]
    for _ in range(50):
        table.sample("b", 0.01)
    assert table.ladder[table.rung("b")] < first


def test_tracked_blocks_are_bounded():
    table = RttTable(maximum=1.0, max_blocks=3)
    for i in range(10):
        table.sample(f"10.0.{i}", 0.001)
    assert len(table) == 3
    assert table.ladder[table.rung("10.0.9")] == 1.0  # untracked: the maximum


@pytest.mark.parametrize("a, b, same", [
    ("10.1.2.3", "10.1.2.250", True),
    ("10.1.2.3", "10.1.3.3", False),
    ("fd00::1", "fd00:0:0:0::ffff", True),
    ("fd00::1", "fd00:0:0:1::1", False),
    ("2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0002", True),
])
def test_blocks_are_slash24_and_slash64(a, b, same):
    assert (block_of(a) == block_of(b)) is same


# --- real sweeps behind nftables ------------------------------------------------------------------

PROGRESS_BODY = """
import asyncio
from gatescan.sweep import Notice, OpenPort, Progress, sweep

async def run(plan, config):
    peak = {"inflight": 0, "window": 0}
    out = {"open": [], "notices": [], "done": 0, "total": plan.total, "errors": []}
    async for event in sweep(plan, config):
        if isinstance(event, Progress):
            out["done"] = event.done
            peak["inflight"] = max(peak["inflight"], event.inflight)
            peak["window"] = max(peak["window"], event.window)
        elif isinstance(event, OpenPort):
            out["open"].append(f"{event.endpoint.host}:{event.endpoint.port}")
        elif isinstance(event, Notice):
            out["notices"].append(event.message)
    out["peak"] = peak
    print("RESULT " + json.dumps(out))
"""


@needs_nft
@pytest.mark.parametrize("workers", [0, 2])
def test_window_grows_past_the_old_fixed_one_while_syns_are_dropped(tmp_path, workers):
    """8,192 dropped probes: the old fixed window (2,048) would wait four timeouts in a row; the
    adaptive one holds more than that in flight at once, and every probe is still done once.
    The timeout (2 s) is long next to the time it takes to fill the window even on a loaded
    machine, so the engine is seen waiting, not busy (the kernel also resends each SYN at 1 s)."""
    result, counters = run_sweep_script(tmp_path, PROGRESS_BODY + f"""
listener = socket.create_server(("127.0.0.5", 8080))
plan = build_plan(["127.1.0.0/20", "127.0.0.0/24"], [8080, 8081])
asyncio.run(run(plan, SweepConfig(timeout=2.0, workers={workers})))
""")
    assert result["done"] == result["total"] == 8192 + 512
    assert result["open"] == ["127.0.0.5:8080"]
    assert counters["dropped"] >= 8192  # each dropped pair tried (and resent by the kernel at 1 s)
    assert result["peak"]["inflight"] > 2048, result["peak"]
    assert result["peak"]["window"] > 2048, result["peak"]


@needs_nft
def test_a_block_that_answers_gets_a_short_timeout_a_silent_one_the_maximum(tmp_path):
    """The kernel resends an unanswered SYN after 1 s. A dropped host in a block whose other hosts
    refused at once is given up after the round-trip floor, before any resend (one SYN); a host
    in a block that never answered waits --timeout (3 s), so its SYN is resent (more than one).
    The rules below drop SYNs to 127.0.0.77 and count them, inside the refusing 127.0.0.0/24."""
    result, counters = run_sweep_script(tmp_path, """
import subprocess
subprocess.run(["nft", "insert", "rule", "ip", "gs", "out", "ip", "daddr", "127.0.0.77",
                "tcp", "flags", "&", "(syn|ack)", "==", "syn", "counter", "drop", "comment", '"lan"'], check=True)
plan = build_plan(["127.0.0.1-77", "127.1.0.9"], [9])
report(sweep_sync(plan, SweepConfig(timeout=3.0, workers=0)))
""")
    assert result["done"] == result["total"] == 78
    assert counters["lan"] == 1, counters  # given up at the floor: no resend
    assert counters["dropped"] >= 2, counters  # the silent block waited the maximum: resent


@needs_nft
def test_low_descriptor_hard_limit_is_said_and_the_sweep_completes(tmp_path):
    result, counters = run_sweep_script(tmp_path, """
plan = build_plan(["127.1.0.0/22", "127.0.0.1"], [80, 81])
report(sweep_sync(plan, SweepConfig(timeout=0.3, workers=0)))
""", prefix="prlimit --nofile=1024:1024 ")
    assert result["done"] == result["total"] == 2050
    assert counters["dropped"] == 2048
    assert any("hard limit 1024 is low" in n for n in result["notices"]), result["notices"]


@needs_nft
@pytest.mark.parametrize("concurrency", [1, 10_000_000])
def test_extreme_concurrency(tmp_path, concurrency):
    result, counters = run_sweep_script(tmp_path, f"""
listener = socket.create_server(("127.0.0.1", 8080))
plan = build_plan(["127.1.0.1-3", "127.0.0.1"], [8080, 8081])
report(sweep_sync(plan, SweepConfig(concurrency={concurrency}, timeout=0.2, workers=0)))
""")
    assert result["done"] == result["total"] == 8
    assert result["open"] == ["127.0.0.1:8080"]
    assert counters["dropped"] == 6
    if concurrency > 1_000_000:
        assert any("concurrency lowered from 10000000" in n for n in result["notices"]), result["notices"]


@needs_nft
def test_rate_of_one_per_second(tmp_path):
    result, counters = run_sweep_script(tmp_path, """
plan = build_plan(["127.0.0.1"], [81, 82, 83])
report(sweep_sync(plan, SweepConfig(rate=1, timeout=0.2, workers=0)))
""")
    assert result["done"] == result["total"] == 3
    assert counters["refused"] == 3


@needs_nft
@pytest.mark.parametrize("workers", [0, 2])
def test_everything_dropped(tmp_path, workers):
    result, counters = run_sweep_script(tmp_path, f"""
plan = build_plan(["127.1.0.0/22"], [80, 443])
report(sweep_sync(plan, SweepConfig(timeout=0.3, retries=1, workers={workers})))
""")
    assert result["done"] == result["total"] == 2048
    assert result["open"] == [] and result["errors"] == []
    assert counters["dropped"] == 2 * 2048  # one retry each, every one of them


@needs_nft
@pytest.mark.parametrize("workers", [0, 2])
def test_everything_refused(tmp_path, workers):
    result, counters = run_sweep_script(tmp_path, f"""
plan = build_plan(["127.0.0.0/22"], [81, 82, 83, 84, 85, 86, 87, 88])
report(sweep_sync(plan, SweepConfig(timeout=0.3, retries=2, workers={workers})))
""")
    assert result["done"] == result["total"] == 8192
    assert counters["refused"] == 8192  # refusals are answers: never retried
