"""How many connects to keep in flight and how long to wait for each: the sweep engine asks here.

On a real network most of a sweep's time is spent waiting for SYNs a firewall drops, so a fixed
window decides the wall time; these two small controllers let what the network shows decide it.
Pure bookkeeping (no sockets), so the rules below are unit-tested on their own.
"""

from __future__ import annotations

import ipaddress
import math

__all__ = ["Window", "RttTable", "MIN_RTO", "block_of"]

START_WINDOW = 2048  # sockets in flight before the network has shown anything (the old fixed window)
MIN_RTO = 0.1  # seconds: never wait less than this for a connect (nmap's default floor)
QUEUE_FLOOR = 0.05  # seconds of extra answer latency that count as queueing, not jitter


class Window:
    """Sockets in flight, AIMD. The rule, applied once per control interval (the engine's tick):

    - grow while the probes in flight are mostly waiting: the window was full at some point in
      the interval and the engine sat idle in poll() for at least half of it (timeouts, not CPU,
      are the bottleneck). Double it ("slow start") until the first shrink, then add an eighth of
      it per interval; never above the ceiling (`--concurrency`);
    - shrink to half of what was in flight on a resource error (EMFILE, ENFILE, ENOBUFS, ENOMEM),
      and lower the ceiling there so it is not hit again;
    - shrink by half when answers slow down: the interval's mean answer latency (refusals and
      accepts that arrived through epoll) exceeds four times the fastest seen and that plus
      QUEUE_FLOOR: a queue is building up somewhere on the path.

    On loopback closed ports refuse at once and the window never fills, so it stays where it started.
    """

    __slots__ = ("size", "ceiling", "slow_start", "full", "idle", "_lat_sum", "_lat_n", "base_rtt",
                 "grown", "shrunk", "_last")

    def __init__(self, ceiling: int, start: int = START_WINDOW) -> None:
        self.ceiling = max(1, int(ceiling))
        self.size = max(1, min(int(start), self.ceiling))
        self.slow_start = True
        self.full = False  # the window limited starts during this interval
        self.idle = 0.0  # seconds spent waiting in poll() during this interval
        self._last: float | None = None  # when the interval began
        self._lat_sum = 0.0
        self._lat_n = 0
        self.base_rtt = math.inf
        self.grown = self.shrunk = 0  # how many times, for progress and tests

    def answered(self, latency: float) -> None:
        """A refusal or an accept arrived `latency` seconds after its connect started."""
        self._lat_sum += latency
        self._lat_n += 1
        if latency < self.base_rtt:
            self.base_rtt = latency

    def resource_error(self, inflight: int) -> int:
        """The kernel refused a socket: shrink below what was in flight; the new size."""
        lower = max(1, inflight // 2 if inflight > 1 else 1)
        self.ceiling = max(1, min(self.ceiling, max(lower, inflight - 16)))
        self.size = max(1, min(lower, self.ceiling))
        self.slow_start = False
        self.shrunk += 1
        return self.size

    def tick(self, now: float) -> int:
        """End of a control interval at `now` (time.monotonic()): apply the rule; the new size."""
        began, self._last = self._last, now
        if began is None or now <= began:
            self._reset()
            return self.size
        if self._lat_n:
            mean = self._lat_sum / self._lat_n
            if mean > 4 * self.base_rtt and mean > self.base_rtt + QUEUE_FLOOR and self.size > 1:
                self.size = max(1, self.size // 2)
                self.slow_start = False
                self.shrunk += 1
                self._reset()
                return self.size
        if self.full and self.idle >= (now - began) / 2 and self.size < self.ceiling:
            step = self.size if self.slow_start else max(16, self.size // 8)
            self.size = min(self.ceiling, self.size + step)
            self.grown += 1
        self._reset()
        return self.size

    def _reset(self) -> None:
        self.full = False
        self.idle = 0.0
        self._lat_sum = 0.0
        self._lat_n = 0


def block_of(host: str) -> str:
    """The network block whose hosts share a round-trip estimate: a /24 of IPv4, a /64 of IPv6."""
    if ":" not in host:
        return host[: host.rfind(".")]
    try:
        return ipaddress.IPv6Address(host.split("%", 1)[0]).packed[:8].hex()
    except ValueError:
        return host


class RttTable:
    """Per-block round-trip estimates (RFC 6298's SRTT/RTTVAR, as nmap keeps per host group) and
    the connect timeout they give: srtt + 4 x rttvar, at least MIN_RTO, at most `--timeout`. A block
    that has answered nothing yet gets the maximum, so a network's silence is never cut short
    on another network's evidence. Timeouts come from a fixed ladder of values (MIN_RTO x 1.25^k),
    so probes that share one expire in start order and each rung is a plain FIFO for the engine."""

    __slots__ = ("maximum", "ladder", "_blocks", "max_blocks")

    def __init__(self, maximum: float, max_blocks: int = 65536) -> None:
        self.maximum = float(maximum)
        ladder = []
        value = MIN_RTO
        while value < self.maximum:
            ladder.append(value)
            value *= 1.25
        ladder.append(self.maximum)
        self.ladder = tuple(ladder)
        self._blocks: dict[str, list[float]] = {}  # block -> [srtt, rttvar]
        self.max_blocks = max_blocks  # memory bound: beyond it new blocks are not tracked (they get the maximum)

    def sample(self, block: str, rtt: float) -> None:
        est = self._blocks.get(block)
        if est is None:
            if len(self._blocks) < self.max_blocks:
                self._blocks[block] = [rtt, rtt / 2]
            return
        srtt, rttvar = est
        est[1] = 0.75 * rttvar + 0.25 * abs(srtt - rtt)
        est[0] = 0.875 * srtt + 0.125 * rtt

    def rung(self, block: str) -> int:
        """Index into `ladder` of the timeout for a new connect to this block."""
        est = self._blocks.get(block)
        if est is None:
            return len(self.ladder) - 1
        rto = est[0] + 4 * est[1]
        for i, value in enumerate(self.ladder):
            if value >= rto:
                return i
        return len(self.ladder) - 1

    def __len__(self) -> int:
        return len(self._blocks)
