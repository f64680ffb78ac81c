"""What a sweep tells its caller: the events it yields as it goes, and the error it ends with
when the sweep itself fails. Frozen dataclasses, so the pipeline and tests need nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..model import Endpoint


@dataclass(frozen=True)
class OpenPort:
    endpoint: Endpoint


@dataclass(frozen=True)
class Progress:
    """Probes done of total and open ports so far; and where the engines stand: sockets in
    flight, probes given up after timing out, timed-out probes waiting for a retry, and the
    adaptive window (sockets the engines may keep in flight now)."""

    done: int
    total: int
    open: int
    inflight: int = 0
    timed_out: int = 0
    retries_waiting: int = 0
    window: int = 0


@dataclass(frozen=True)
class ProbeError:
    """A per-address failure (ENETUNREACH, EADDRNOTAVAIL, ...): one per host, not per port."""

    host: str
    port: int
    message: str


@dataclass(frozen=True)
class Notice:
    message: str


SweepEvent = Union[OpenPort, Progress, ProbeError, Notice]


class SweepError(RuntimeError):
    """The sweep itself failed (a worker crashed, no socket could be opened at all)."""
