"""The TCP connect loop behind gatescan.sweep: non-blocking sockets on one epoll, no coroutine per probe.
It runs in a worker process (or a thread for small plans) and reports through a plain callback."""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import time
from collections import deque
from typing import Callable, Iterable, Iterator

from .adapt import START_WINDOW, RttTable, Window, block_of

# The C socket type: socket.socket's Python-level __init__ costs more than the connect itself.
from _socket import socket as _RawSocket

__all__ = ["EngineParams", "FatalSweepError", "run_engine"]

# Linux only (epoll, SOCK_NONBLOCK, the connect() semantics below); the getattr defaults only
# keep `import gatescan.sweep` working elsewhere, and run_engine says why it cannot run.
_LINUX = hasattr(select, "epoll") and hasattr(socket, "SOCK_NONBLOCK")
_STREAM = socket.SOCK_STREAM | getattr(socket, "SOCK_NONBLOCK", 0) | getattr(socket, "SOCK_CLOEXEC", 0)
_AF4, _AF6 = socket.AF_INET, socket.AF_INET6
_SOL_SOCKET, _SO_ERROR, _SO_LINGER = socket.SOL_SOCKET, socket.SO_ERROR, socket.SO_LINGER
_LINGER0 = struct.pack("ii", 1, 0)  # close() sends RST: no TIME_WAIT per open port found
_EPOLLOUT, _EPOLLIN, _EPOLLERR = (getattr(select, name, 0) for name in ("EPOLLOUT", "EPOLLIN", "EPOLLERR"))

_EINPROGRESS, _EALREADY, _EISCONN = errno.EINPROGRESS, errno.EALREADY, errno.EISCONN
_ECONNREFUSED, _ECONNABORTED, _ECONNRESET = errno.ECONNREFUSED, errno.ECONNABORTED, errno.ECONNRESET
_ETIMEDOUT = errno.ETIMEDOUT
# Running out of descriptors or kernel memory: shrink the window, never fail the probe.
_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

BATCH = 1024  # probes started per loop turn before looking at completions again
PROGRESS_EVERY = 0.1  # seconds
MAX_ERROR_HOSTS = 256  # ProbeError records per engine; further failing hosts are only counted
_STALL_LIMIT = 100  # turns of EMFILE with nothing in flight (x 50 ms) before giving up


class FatalSweepError(RuntimeError):
    """The engine cannot go on (no descriptor can be opened at all)."""


class EngineParams:
    """What one engine needs besides its pairs (picklable, small). `window` is the ceiling of
    sockets in flight (the adaptive window starts at `start` and grows up to it); `timeout` the
    longest any connect waits (per-block estimates may wait less)."""

    __slots__ = ("window", "timeout", "retries", "rate", "start")

    def __init__(self, window: int, timeout: float, retries: int, rate: float | None,
                 start: int = START_WINDOW) -> None:
        self.window = max(1, int(window))
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.rate = float(rate) if rate else None
        self.start = max(1, min(int(start), self.window))

    def as_tuple(self) -> tuple:
        return (self.window, self.timeout, self.retries, self.rate, self.start)


# Messages passed to `emit` (tuples, so they cross a pipe or a thread cheaply):
#   ("O", host, port)              open port
#   ("E", host, port, errno)       a per-address failure (first per host only)
#   ("N", text)                    notice
#   ("P", done, open, inflight, timed_out, retries_waiting, window)   progress (cumulative for this engine)
#   ("D", done, open, timed_out, suppressed)   finished

RETRY_FIRST = 65536  # timed-out probes waiting for a retry: beyond this, retry them before new pairs


def run_engine(
    pairs: Iterable[tuple[str, int]],
    params: EngineParams,
    emit: Callable[[tuple], None],
    should_stop: Callable[[], bool] | None = None,
    watch_fd: int | None = None,
) -> bool:
    """Probe every pair; return True when finished, False when stopped early.

    `watch_fd` (a worker's stdin) ends the run when it becomes readable or hangs up: the
    parent closed it or died, so the worker never outlives it.
    """
    if not _LINUX:
        raise FatalSweepError("the TCP sweep engine needs Linux (epoll)")
    ep = select.epoll()
    try:
        return _loop(iter(pairs), params, emit, should_stop, watch_fd, ep)
    finally:
        ep.close()


def _loop(it: Iterator, params: EngineParams, emit, should_stop, watch_fd, ep) -> bool:
    timeout, retries, rate = params.timeout, params.retries, params.rate
    control = Window(params.window, params.start)
    window = control.size
    rtts = RttTable(timeout)
    ladder, rung_of, sample = rtts.ladder, rtts.rung, rtts.sample
    answered = control.answered
    register, poll = ep.register, ep.poll
    monotonic = time.monotonic
    next_pair = it.__next__
    pending: dict[int, tuple] = {}  # fd -> (sock, host, port, attempt, started, block)
    # One FIFO per timeout rung: probes sharing a timeout expire in the order they started.
    expiry: list[deque] = [deque() for _ in ladder]  # (deadline, fd, rec)
    pushback: deque = deque()  # (host, port, attempt): pushed back on EMFILE; first to go again
    retry_q: deque = deque()  # (host, port, attempt): timed out; tried again after the rest
    err_hosts: set[str] = set()
    suppressed = done = opened = timed_out = stall = 0
    exhausted = False
    last_refused = None  # the host whose synchronous refusal last fed the round-trip table
    spare4 = spare6 = None  # one reusable socket per family (see the second connect() below)
    tokens = burst = 0.0
    if rate:
        burst = max(1.0, rate / 50)  # at most 20 ms of probes at once
        tokens = 1.0
    if watch_fd is not None:
        register(watch_fd, _EPOLLIN)
    now = last_tick = monotonic()
    control.tick(now)
    next_progress = now + PROGRESS_EVERY

    def fail(host: str, port: int, code: int) -> None:
        nonlocal suppressed
        if host in err_hosts:
            return
        if len(err_hosts) >= MAX_ERROR_HOSTS:
            suppressed += 1
            return
        err_hosts.add(host)
        emit(("E", host, port, code))

    def expired(rec: tuple) -> None:
        nonlocal done, timed_out
        if rec[3] < retries:
            retry_q.append((rec[1], rec[2], rec[3] + 1))
        else:
            done += 1
            timed_out += 1

    try:
        while True:
            # 1. Expire connects that outlived their timeout (oldest first on each rung).
            for queue in expiry:
                while queue and queue[0][0] <= now:
                    _, fd, rec = queue.popleft()
                    if pending.get(fd) is rec:
                        del pending[fd]
                        rec[0].close()
                        expired(rec)

            # 2. Start new connects while the window and the rate allow: pushed-back probes
            # first, then new pairs, then retries (first while too many wait, to bound memory).
            room = window - len(pending)
            if room <= 0:
                control.full = True
            budget = BATCH
            if rate:
                tokens = min(burst, tokens + (now - last_tick) * rate)
                last_tick = now
                budget = min(budget, int(tokens))
            started = 0
            while room > 0 and started < budget:
                if pushback:
                    host, port, attempt = pushback.popleft()
                elif retry_q and (exhausted or len(retry_q) >= RETRY_FIRST):
                    host, port, attempt = retry_q.popleft()
                elif exhausted:
                    break
                else:
                    try:
                        host, port = next_pair()
                    except StopIteration:
                        exhausted = True
                        continue
                    attempt = 0
                started += 1
                v6 = ":" in host
                sock = spare6 if v6 else spare4
                if sock is None:
                    try:
                        sock = _RawSocket(_AF6 if v6 else _AF4, _STREAM)
                    except OSError as exc:
                        if exc.errno not in _RESOURCE_ERRNOS:
                            raise
                        pushback.appendleft((host, port, attempt))
                        started -= 1
                        inflight = len(pending)
                        if inflight:
                            stall = 0
                            lower = control.resource_error(inflight)
                            if lower < window:
                                emit(("N", f"{errno.errorcode.get(exc.errno, exc.errno)}: "
                                           f"out of descriptors, window lowered from {window} to {lower}"))
                                window = lower
                        else:
                            stall += 1
                            if stall > _STALL_LIMIT:
                                raise FatalSweepError(f"cannot open any socket: {exc}") from None
                            time.sleep(0.05)
                        break
                    if v6:
                        spare6 = sock
                    else:
                        spare4 = sock
                addr = (host, port)
                try:
                    code = sock.connect_ex(addr)
                    if code == _ECONNABORTED:  # a socket whose last connect failed: reset, go again
                        code = sock.connect_ex(addr)
                    if code == _EINPROGRESS:
                        # Linux: a second connect() on the same socket reports how the first one
                        # is doing without sending anything: ECONNREFUSED (already refused; the
                        # socket is reset and reusable), EALREADY (still in flight), 0 (connected).
                        # On loopback the RST has usually been processed by now, so a closed port
                        # costs two syscalls and no new socket (checked on Linux 6.x).
                        code = sock.connect_ex(addr)
                except (OSError, OverflowError, TypeError, ValueError):
                    # Not an address this socket can take (the plan only yields addresses, so
                    # this is a bug upstream): record it and go on.
                    done += 1
                    fail(host, port, errno.EINVAL)
                    continue
                if code == _ECONNREFUSED:
                    done += 1
                    if host is not last_refused:  # once per host: the block answers at once
                        last_refused = host
                        sample(block_of(host), 0.0)
                    continue
                if code == _EALREADY or code == _EINPROGRESS:
                    fd = sock.fileno()
                    block = block_of(host)
                    rung = rung_of(block)
                    rec = (sock, host, port, attempt, now, block)
                    pending[fd] = rec
                    expiry[rung].append((now + ladder[rung], fd, rec))
                    register(fd, _EPOLLOUT)
                    room -= 1
                    if room <= 0:
                        control.full = True
                elif code == 0 or code == _EISCONN:
                    done += 1
                    if _close_open(sock):
                        opened += 1
                        emit(("O", host, port))
                else:
                    sock.close()
                    if code == _ETIMEDOUT and attempt < retries:
                        retry_q.append((host, port, attempt + 1))
                    else:
                        done += 1
                        fail(host, port, code)
                if v6:
                    spare6 = None
                else:
                    spare4 = None
            if rate:
                tokens -= started

            if exhausted and not retry_q and not pushback and not pending:
                break

            # 3. Collect completions. Do not wait when there is more to start right now.
            now = monotonic()
            more = bool(pushback or retry_q or not exhausted)
            if more and room > 0 and (not rate or tokens >= 1.0):
                wait = 0.0
            else:
                wait = next_progress - now
                for queue in expiry:
                    if queue and queue[0][0] - now < wait:
                        wait = queue[0][0] - now
                if rate and more and room > 0:
                    wait = min(wait, (1.0 - tokens) / rate)
                wait = max(0.0, wait)
            events = poll(wait)
            if wait > 0.0:
                after = monotonic()
                control.idle += after - now
                now = after
            for fd, ev in events:
                rec = pending.pop(fd, None)
                if rec is None:
                    if fd == watch_fd:
                        return False
                    continue
                sock = rec[0]
                code = sock.getsockopt(_SOL_SOCKET, _SO_ERROR) if ev & _EPOLLERR else 0
                if code == 0 or code == _ECONNRESET:  # reset after the handshake: still open
                    latency = now - rec[4]
                    sample(rec[5], latency)
                    answered(latency)
                    done += 1
                    if _close_open(sock):
                        opened += 1
                        emit(("O", rec[1], rec[2]))
                    continue
                sock.close()
                if code == _ECONNREFUSED:
                    latency = now - rec[4]
                    sample(rec[5], latency)
                    answered(latency)
                    done += 1
                elif code == _ETIMEDOUT:
                    expired(rec)
                else:
                    done += 1
                    fail(rec[1], rec[2], code)

            now = monotonic()
            if now >= next_progress:
                next_progress = now + PROGRESS_EVERY
                window = control.tick(now)
                emit(("P", done, opened, len(pending), timed_out, len(retry_q), window))
                if should_stop is not None and should_stop():
                    return False
    finally:
        for rec in pending.values():
            rec[0].close()
        for sock in (spare4, spare6):
            if sock is not None:
                sock.close()

    if suppressed:
        emit(("N", f"{suppressed} more probes failed on hosts beyond the first "
                   f"{MAX_ERROR_HOSTS} with errors; not listed one by one"))
    emit(("D", done, opened, timed_out, suppressed))
    return True


def _close_open(sock) -> bool:
    """Close a connected socket at once (RST, no FIN wait); False when it was connected to itself."""
    own = _connected_to_itself(sock)
    sock.setsockopt(_SOL_SOCKET, _SO_LINGER, _LINGER0)
    sock.close()
    return not own


def _connected_to_itself(sock) -> bool:
    """A loopback connect whose ephemeral port is the port it dials "succeeds" against itself
    (TCP simultaneous open): nothing listens there, so it is not an open port. Only sweeps of
    every loopback port meet it, once in a while; checked on open ports only."""
    try:
        return sock.getsockname() == sock.getpeername()
    except OSError:  # reset already: not connected to itself
        return False


def errno_message(code: int) -> str:
    """`ENETUNREACH: Network is unreachable` for a ProbeError."""
    return f"{errno.errorcode.get(code, f'errno {code}')}: {os.strerror(code)}"
