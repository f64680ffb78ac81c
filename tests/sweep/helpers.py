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
