"""Stopping a sweep early (aclose, task cancel, Ctrl-C, the parent killed) leaves no worker behind
and no traceback from one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from gatescan.scope import build_plan
from gatescan.sweep import Progress, SweepConfig, sweep
from tests.netns import requires_netns
from tests.sweep.helpers import STUFFED_LISTENER, stuffed_listener

pytestmark = requires_netns

# Never finishes during a test: every port of 127.0.0.1, one of them a listener that drops every
# SYN (tests/sweep/helpers.py), whose probe stays in flight for the 120 s timeout.
LONG_PLAN = (["127.0.0.1"], list(range(1, 65536)))
LONG_CONFIG = SweepConfig(workers=2, timeout=120.0, retries=0)


@pytest.fixture(autouse=True)
def in_flight_pair():
    with stuffed_listener() as port:
        yield port


def _workers_of(pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if "gatescan.sweep.worker" in " ".join(child.cmdline()):
                found.append(child)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    return found


def _gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_gone(procs: list[psutil.Process], limit: float = 15.0) -> list[psutil.Process]:
    """The processes still alive after waiting up to `limit` seconds (a bound, not an assertion)."""
    end = time.monotonic() + limit
    alive = [p for p in procs if not _gone(p)]
    while alive and time.monotonic() < end:
        time.sleep(0.05)
        alive = [p for p in alive if not _gone(p)]
    return alive


async def test_aclose_reaps_the_workers():
    events = sweep(build_plan(*LONG_PLAN), LONG_CONFIG)
    async for event in events:
        if isinstance(event, Progress):
            break
    assert len(_workers_of(os.getpid())) == 2
    await events.aclose()
    assert _workers_of(os.getpid()) == []


async def test_cancelling_the_consumer_reaps_the_workers():
    started = asyncio.Event()

    async def consume() -> None:
        async for event in sweep(build_plan(*LONG_PLAN), LONG_CONFIG):
            if isinstance(event, Progress):
                started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 30)
    assert len(_workers_of(os.getpid())) == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _workers_of(os.getpid()) == []


async def test_a_second_cancellation_during_cleanup_still_reaps_the_workers():
    # asyncio.run cancels leftover tasks again when the main task ended first (a sibling in
    # gather() finished cancelling sooner): the sweep must still reap its workers in the loop.
    from contextlib import aclosing

    started = asyncio.Event()

    async def discover() -> None:
        async with aclosing(sweep(build_plan(*LONG_PLAN), LONG_CONFIG)) as events:
            async for event in events:
                if isinstance(event, Progress):
                    started.set()

    task = asyncio.create_task(discover())
    await asyncio.wait_for(started.wait(), 30)
    pids = [w.pid for w in _workers_of(os.getpid())]
    assert len(pids) == 2
    task.cancel()
    await asyncio.sleep(0)  # the task is now inside its cleanup, waiting for the workers
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [pid for pid in pids if psutil.pid_exists(pid)] == []  # exited and reaped


async def test_thread_engine_stops_on_aclose():
    events = sweep(build_plan(*LONG_PLAN), SweepConfig(workers=0, timeout=120.0, retries=0))
    async for event in events:
        if isinstance(event, Progress):
            break
    await events.aclose()
    import threading

    assert not [t for t in threading.enumerate() if t.name == "gatescan-sweep"]


SCRIPT = STUFFED_LISTENER + """
import asyncio, os, sys
from gatescan.scope import build_plan
from gatescan.sweep import Progress, SweepConfig, sweep

port, held = stuffed_listener()

async def main():
    async for event in sweep(build_plan(["127.0.0.1"], list(range(1, 65536))),
                             SweepConfig(workers=2, timeout=120.0, retries=0)):
        if isinstance(event, Progress):
            print("running", flush=True)

try:
    asyncio.run(main())
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def _start_script(tmp_path) -> tuple[subprocess.Popen, list[psutil.Process]]:
    path = tmp_path / "long_sweep.py"
    path.write_text(textwrap.dedent(SCRIPT))
    proc = subprocess.Popen(
        [sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,  # its own process group, as a terminal would make
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "running", proc.stderr.read() if proc.stderr else ""
    workers = _workers_of(proc.pid)
    assert len(workers) == 2
    return proc, workers


def test_ctrl_c_in_the_parent_leaves_no_worker_and_no_traceback(tmp_path):
    proc, workers = _start_script(tmp_path)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    out, err = proc.communicate(timeout=30)
    assert "interrupted" in out
    assert "Traceback" not in err, err
    assert _wait_gone(workers) == []


def test_workers_exit_when_the_parent_is_killed(tmp_path):
    proc, workers = _start_script(tmp_path)
    proc.kill()  # no cleanup code runs in the parent: the workers see their stdin close
    proc.communicate(timeout=30)
    assert _wait_gone(workers) == []


@pytest.mark.parametrize("workers", [0, 2])
async def test_a_failing_plan_raises_sweep_error_and_leaves_no_worker(workers):
    from gatescan.sweep import SweepError
    from tests.sweep.helpers import BrokenPlan

    with pytest.raises(SweepError, match="plan broke"):
        async for _event in sweep(BrokenPlan(total=20_000, fail_after=3_000), SweepConfig(workers=workers)):
            pass
    assert _workers_of(os.getpid()) == []
