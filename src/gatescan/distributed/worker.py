"""`gatescan worker`: a Celery worker consuming only the queues of its vantages.

It needs no inbound connection (it dials the broker), so a segment that allows only outbound
traffic can host one. Its scope (vantages, --allow, caps) rides in the app's settings, which the
pool's processes inherit, and tasks.police applies it before any probe.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from .celeryapp import DEFAULT_VISIBILITY_S, Broker, Signing, check_vantage, make_app, queue_for


@dataclass(frozen=True)
class WorkerOptions:
    vantages: tuple[str, ...]
    allow: tuple[str, ...] = ()
    pool: int = 1  # processes in the worker's pool: shards run at once
    concurrency: int | None = None  # the sweep's window cap, as `scan --concurrency`
    rate: float | None = None  # the sweep's rate cap, as `scan --rate`
    visibility_timeout: float = DEFAULT_VISIBILITY_S

    def check(self) -> None:
        from ..scope.split import cidr_intervals

        if not self.vantages:
            raise ValueError("--vantage: name at least one vantage")
        for name in self.vantages:
            check_vantage(name)
        cidr_intervals(self.allow, "--allow")
        if self.pool < 1:
            raise ValueError("--pool must be at least 1")


def node_name(vantages: tuple[str, ...]) -> str:
    """`gatescan-<pid>@<host>`: unique per process, so several workers of one vantage on one host
    are told apart (the report's shards[].worker)."""
    return f"gatescan-{os.getpid()}@{socket.gethostname()}"


def run_worker(broker: Broker, options: WorkerOptions, signing: Signing | None = None) -> None:
    """Run until stopped (SIGTERM: warm shutdown, unfinished shards go back to the queue)."""
    options.check()
    config = {"vantages": list(options.vantages), "allow": list(options.allow),
              "concurrency": options.concurrency, "rate": options.rate}
    app = make_app(broker, visibility_timeout=options.visibility_timeout, signing=signing, worker_config=config)
    app.worker_main([
        "worker", "--queues", ",".join(queue_for(v) for v in options.vantages),
        "--concurrency", str(options.pool), "--pool", "prefork",
        "--hostname", node_name(options.vantages), "--loglevel", "WARNING",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ])
