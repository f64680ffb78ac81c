"""Helpers for the sweep tests: run a sweep and keep what it yielded."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass, field

from gatescan.model import Endpoint
from gatescan.sweep import Notice, OpenPort, ProbeError, Progress, SweepConfig, sweep


@dataclass
class Collected:
    open: set[Endpoint] = field(default_factory=set)
    open_events: int = 0
    errors: list[ProbeError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)


async def collect(plan, config: SweepConfig) -> Collected:
    out = Collected()
    async for event in sweep(plan, config):
        if isinstance(event, OpenPort):
            out.open.add(event.endpoint)
            out.open_events += 1
        elif isinstance(event, Progress):
            out.progress.append(event)
        elif isinstance(event, ProbeError):
            out.errors.append(event)
        elif isinstance(event, Notice):
            out.notices.append(event.message)
    return out


class BrokenPlan:
    """A plan whose iteration fails part-way, as a bug in scope would (picklable for workers)."""

    def __init__(self, total: int, fail_after: int) -> None:
        self.total = total
        self.fail_after = fail_after

    def count(self, part=None) -> int:
        return self.total if part is None else len(range(part.index - 1, self.total, part.count))

    def iter_pairs(self, part=None):
        start, step = (0, 1) if part is None else (part.index - 1, part.count)
        for i in range(start, self.total, step):
            if i >= self.fail_after:
                raise RuntimeError("plan broke")
            yield "127.0.0.1", 1 + i % 1000


# Put in front of a sweep script: a listener whose accept queue is full drops every new SYN, so a
# probe of it stays in flight until its timeout (work that cannot finish, in place of a slow rate).
STUFFED_LISTENER = """
import socket
def stuffed_listener(host="127.0.0.1"):
    listener = socket.create_server((host, 0), backlog=0)
    port = listener.getsockname()[1]
    held = [listener]
    for _ in range(3):  # backlog 0 queues one; these fill it, the sweep's SYN is then dropped
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
        c.connect_ex((host, port))
        held.append(c)
    return port, held
"""
_ns: dict = {}
exec(STUFFED_LISTENER, _ns)


@contextlib.contextmanager
def stuffed_listener(host: str = "127.0.0.1"):
    """The port of a listener that never completes a handshake (see STUFFED_LISTENER)."""
    port, held = _ns["stuffed_listener"](host)
    try:
        yield port
    finally:
        for sock in held:
            sock.close()
