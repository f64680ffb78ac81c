"""Helpers for the sweep tests: run a sweep and keep what it yielded."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import textwrap
from pathlib import Path
from dataclasses import dataclass, field

from gatescan.model import Endpoint
from gatescan.sweep import Notice, OpenPort, ProbeError, Progress, SweepConfig, sweep
from tests.netns import run_in_netns


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


# SYNs to 127.1.0.0/16 dropped (they time out, as dead hosts do), to 127.0.0.0/16 counted (the
# kernel refuses them), to 127.2.0.0/16 answered with ICMP host-unreachable; each rule counts.
NFT = " && ".join([
    "nft add table ip gs",
    "nft add chain ip gs out '{ type filter hook output priority 0; }'",
    "nft add rule ip gs out ip daddr 127.1.0.0/16 'tcp flags & (syn|ack) == syn' counter drop comment '\"dropped\"'",
    "nft add rule ip gs out ip daddr 127.0.0.0/16 'tcp flags & (syn|ack) == syn' counter comment '\"refused\"'",
    "nft add rule ip gs out ip daddr 127.2.0.0/16 'tcp flags & (syn|ack) == syn' counter "
    "reject with icmp type host-unreachable comment '\"unreachable\"'",
])

SCRIPT_HEAD = """
import json, os, resource, socket, sys
from gatescan.scope import build_plan
from gatescan.sweep import SweepConfig, sweep_sync

def report(result):
    print("RESULT " + json.dumps({
        "open": sorted(f"{e.host}:{e.port}" for e in result.open),
        "errors": [e.message for e in result.errors],
        "notices": result.notices, "done": result.done, "total": result.total,
    }))
"""


def run_sweep_script(tmp_path: Path, body: str, prefix: str = "") -> tuple[dict, dict[str, int]]:
    """Run `body` after SCRIPT_HEAD in a fresh namespace behind the NFT rules; (its RESULT, the
    rules' packet counters). `prefix` goes before the interpreter (e.g. `prlimit ... `)."""
    script = tmp_path / "sweep_script.py"
    script.write_text(SCRIPT_HEAD + textwrap.dedent(body))
    proc = run_in_netns(f"{NFT} && {prefix}{sys.executable} {script} && nft list table ip gs", timeout=180)
    assert proc.returncode == 0, proc.stderr
    result = next(json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    found = re.findall(r'counter packets (\d+) bytes \d+ (?:drop |reject[^"]*)?comment "(\w+)"', proc.stdout)
    return result, {name: int(packets) for packets, name in found}
