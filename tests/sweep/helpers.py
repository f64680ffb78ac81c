"""Helpers for the sweep tests: run a sweep and keep what it yielded."""

from __future__ import annotations

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
