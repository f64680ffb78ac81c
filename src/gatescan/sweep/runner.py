"""TCP connect discovery: the open (host, port) pairs of a ScanPlan, streamed as they are found,
by one epoll engine per core in worker processes (a thread for small plans, to skip spawning)."""

from __future__ import annotations

import asyncio
import os
import pickle
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Protocol

from .adapt import START_WINDOW
from .engine import EngineParams, errno_message, run_engine
from .events import Notice, OpenPort, ProbeError, Progress, SweepError, SweepEvent
from .worker import encode_job
from ..model import Endpoint

IN_PROCESS_MAX = 5_000  # plans smaller than this run in a thread: a process costs ~100 ms
PROGRESS_EVERY = 0.15  # seconds between Progress events
FD_RESERVE = 64  # descriptors left for everything else when the window is capped to RLIMIT_NOFILE
AUTO_CEILING = 65536  # sockets in flight at most when --concurrency is not given (all engines together)
_STOP_GRACE = 2.0  # seconds a worker gets after SIGTERM before SIGKILL


@dataclass(frozen=True)
class SweepConfig:
    concurrency: int | None = None  # ceiling of sockets in flight, all workers together; None: AUTO_CEILING
    rate: float | None = None  # global probes/s limit (split across workers); None: unlimited
    timeout: float = 1.0  # per connect, seconds
    retries: int = 0  # extra attempts for connects that timed out (never for refused ones)
    workers: int | None = None  # None: auto (a thread for small plans, else one process per core); 0: thread

    def check(self) -> None:
        """Refuse settings the engine cannot run (ValueError naming the setting)."""
        if self.concurrency is not None and self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.retries < 0:
            raise ValueError("retries must be 0 or more")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be positive")
        if self.workers is not None and self.workers < 0:
            raise ValueError("workers must be 0 or more")


class _Plan(Protocol):
    total: int

    def iter_pairs(self, part: Any = None): ...

    def count(self, part: Any = None) -> int: ...


# --- public API --------------------------------------------------------------------------------


async def sweep(plan: _Plan, config: SweepConfig = SweepConfig()) -> AsyncIterator[SweepEvent]:
    """Probe every pair of `plan`; yield open ports as they are found, Progress periodically
    (and once at the end), ProbeError records and Notices. Closing or cancelling the iterator
    stops and reaps every worker."""
    config.check()
    total = plan.total
    notices: list[str] = []
    window = _fit_window(config.concurrency, notices)
    for text in notices:
        yield Notice(text)
    if total == 0:
        yield Progress(0, 0, 0)
        return
    n = _worker_count(config.workers, total)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple] = asyncio.Queue()
    if n == 0:
        runner: _Runner = _ThreadRunner(plan, _params(config, window, 1), queue, loop)
        slots = 1
    else:
        runner = _ProcessRunner(plan, [_params(config, window, n)] * n, queue)
        slots = n
    done = [0] * slots
    opened = [0] * slots
    state = [(0, 0, 0, 0)] * slots  # per engine: in flight, timed out, retries waiting, window
    finished = 0
    error_hosts: set[str] = set()  # workers dedupe per host each; this dedupes across them
    last_progress = time.monotonic()
    try:
        await runner.start()
        while finished < slots:
            msg = await queue.get()
            kind = msg[0]
            if kind == "O":
                yield OpenPort(Endpoint(msg[2], int(msg[3])))
            elif kind == "P" or kind == "D":
                slot = msg[1]
                done[slot], opened[slot] = int(msg[2]), int(msg[3])
                if kind == "D":
                    finished += 1
                    state[slot] = (0, int(msg[4]), 0, 0)
                elif len(msg) >= 8:
                    state[slot] = (int(msg[4]), int(msg[5]), int(msg[6]), int(msg[7]))
                now = time.monotonic()
                if now - last_progress >= PROGRESS_EVERY and finished < slots:
                    last_progress = now
                    yield _progress(done, total, opened, state)
            elif kind == "E":
                if msg[2] in error_hosts:
                    continue
                error_hosts.add(msg[2])
                yield ProbeError(msg[2], int(msg[3]), errno_message(int(msg[4])))
            elif kind == "N":
                yield Notice(msg[2])
            elif kind == "F":
                raise SweepError(f"sweep worker {msg[1] + 1} failed: {msg[2]}")
        yield _progress(done, total, opened, state)
    finally:
        await runner.stop()


def _progress(done: list[int], total: int, opened: list[int], state: list[tuple]) -> Progress:
    return Progress(sum(done), total, sum(opened), inflight=sum(s[0] for s in state),
                    timed_out=sum(s[1] for s in state), retries_waiting=sum(s[2] for s in state),
                    window=sum(s[3] for s in state))


@dataclass
class SweepResult:
    """Everything one sweep yielded, for callers without a loop (bench, scripts)."""

    open: list[Endpoint] = field(default_factory=list)
    errors: list[ProbeError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    done: int = 0
    total: int = 0
    seconds: float = 0.0


def sweep_sync(plan: _Plan, config: SweepConfig = SweepConfig()) -> SweepResult:
    """Run `sweep` to the end in a fresh event loop and collect what it yielded."""

    async def collect() -> SweepResult:
        result = SweepResult(total=plan.total)
        started = time.perf_counter()
        async for event in sweep(plan, config):
            if isinstance(event, OpenPort):
                result.open.append(event.endpoint)
            elif isinstance(event, Progress):
                result.done = event.done
            elif isinstance(event, ProbeError):
                result.errors.append(event)
            else:
                result.notices.append(event.message)
        result.seconds = time.perf_counter() - started
        return result

    return asyncio.run(collect())


# --- sizing ------------------------------------------------------------------------------------


def _fit_window(concurrency: int | None, notices: list[str]) -> int:
    """Raise the soft RLIMIT_NOFILE to the hard one (every socket in flight is a descriptor) and
    cap the ceiling of sockets in flight to what fits, saying so when the hard limit is what caps
    it. Workers inherit the limit, and each has its own descriptor table, so the cap is per engine;
    the caller's total is still split across engines afterwards."""
    ceiling = concurrency if concurrency is not None else AUTO_CEILING
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    want = ceiling + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < want:
        window = max(1, soft - FD_RESERVE if soft > 2 * FD_RESERVE else soft // 2)
        if concurrency is not None:
            notices.append(f"open-file limit {soft}: concurrency lowered from {concurrency} to {window}")
        elif window < START_WINDOW:
            notices.append(f"open-file hard limit {soft} is low: at most {window} sockets in flight "
                           f"(raise it with `ulimit -Hn` for faster sweeps of filtered networks)")
        return window
    return ceiling


def _worker_count(requested: int | None, total: int) -> int:
    """0 means the in-process thread engine. Each worker iterates its own shard of the plan,
    so no pair list crosses a pipe."""
    if not sys.executable:  # embedded interpreter: nothing to spawn workers with
        return 0
    if requested is not None:
        return max(0, min(requested, total))
    if total < IN_PROCESS_MAX:
        return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, total // (IN_PROCESS_MAX // 2)))


def _params(config: SweepConfig, window: int, engines: int) -> EngineParams:
    """Each engine's share: of the ceiling, of the starting window and of the rate."""
    rate = config.rate / engines if config.rate else None
    ceiling = max(1, window // engines)
    return EngineParams(ceiling, config.timeout, config.retries, rate, start=max(1, min(window, START_WINDOW) // engines))


# --- runners: the same engine in a thread or in worker processes -------------------------------


class _Runner(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class _ThreadRunner:
    """One engine in a daemon thread; messages hop to the loop with call_soon_threadsafe."""

    def __init__(self, plan: _Plan, params: EngineParams, queue: asyncio.Queue, loop) -> None:
        self._plan, self._params, self._queue, self._loop = plan, params, queue, loop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gatescan-sweep", daemon=True)

    def _post(self, msg: tuple) -> None:
        if self._stop.is_set():
            return
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (msg[0], 0, *msg[1:]))
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._stop.set()

    def _run(self) -> None:
        try:
            run_engine(self._plan.iter_pairs(None), self._params, self._post, self._stop.is_set)
        except Exception as exc:  # surfaced as SweepError by sweep()
            self._post(("F", f"{type(exc).__name__}: {exc}"))

    async def start(self) -> None:
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            # The engine checks the flag every PROGRESS_EVERY; join off the loop thread.
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 5.0)


# The worker imports this very gatescan (found first from its root, whatever put it on the
# parent's path), then moves that root to the end of sys.path: a site-packages root ahead of
# the standard library could shadow it with a stale backport.
_WORKER_BOOT = (
    "import sys; root = sys.argv[1]; sys.path.insert(0, root); import gatescan; "
    "sys.path.remove(root); sys.path.append(root); "
    "from gatescan.sweep.worker import main; sys.exit(main())"
)


class _ProcessRunner:
    """Worker processes (`python -m gatescan.sweep.worker`), one shard of the plan each.

    Spawned, not forked: the parent runs an event loop (and maybe other threads), which a fork
    would copy in an arbitrary state. Workers get their own session so a terminal's Ctrl-C
    reaches only the parent, which then stops them; they also stop on their own when the
    parent's end of their stdin closes (the parent died)."""

    def __init__(self, plan: _Plan, params: list[EngineParams], queue: asyncio.Queue) -> None:
        self._plan, self._params, self._queue = plan, params, queue
        self._procs: list[asyncio.subprocess.Process] = []
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        from ..scope import Shard

        n = len(self._params)
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        for i, params in enumerate(self._params):
            job = encode_job({
                "sys_path": list(sys.path),
                "plan_and_shard": pickle.dumps((self._plan, Shard(i + 1, n)), pickle.HIGHEST_PROTOCOL),
                "params": params.as_tuple(),
            })
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-P", "-c", _WORKER_BOOT, package_root,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, start_new_session=True,
            )
            self._procs.append(proc)
            assert proc.stdin is not None
            proc.stdin.write(job)  # stdin stays open: its EOF is the worker's stop signal
            self._tasks.append(asyncio.create_task(self._read(i, proc)))

    async def _read(self, slot: int, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        stderr_task = asyncio.create_task(proc.stderr.read(64 * 1024))
        finished = False
        try:
            async for raw in proc.stdout:
                parts = raw.decode("utf-8", "replace").rstrip("\n").split("\t")
                if parts[0] == "D":
                    finished = True
                self._queue.put_nowait((parts[0], slot, *parts[1:]))
            code = await proc.wait()
            if not finished:
                err = (await stderr_task).decode("utf-8", "replace").strip().splitlines()
                why = err[-1] if err else f"exit status {code}"
                self._queue.put_nowait(("F", slot, why))
        finally:
            stderr_task.cancel()

    async def stop(self) -> None:
        """Terminate and reap every worker, to the end even if cancelled meanwhile: when a
        sibling in asyncio.gather() ends first, asyncio.run cancels this task a second time while
        it cleans up, and an unreaped worker would outlive the loop. A cancellation is re-raised
        once the workers are reaped."""
        for proc in self._procs:
            if proc.returncode is None:
                try:
                    proc.terminate()
                except ProcessLookupError:
                    pass
            if proc.stdin is not None:
                proc.stdin.close()
        for task in self._tasks:
            task.cancel()
        loop = asyncio.get_running_loop()
        cancelled = False
        for proc in self._procs:
            killed = False
            deadline = loop.time() + _STOP_GRACE
            while proc.returncode is None:
                try:
                    await asyncio.wait_for(proc.wait(), max(0.01, deadline - loop.time()))
                except asyncio.TimeoutError:
                    if killed:
                        break  # SIGKILLed and still not reaped: nothing more to do from here
                    proc.kill()
                    killed = True
                    deadline = loop.time() + _STOP_GRACE
                except asyncio.CancelledError:
                    cancelled = True
        while any(not task.done() for task in self._tasks):
            try:
                await asyncio.wait(self._tasks)
            except asyncio.CancelledError:
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError
