"""Sweep: the TCP connect discovery of a ScanPlan, open ports streamed as they are found.
The hot loop lives in its own folder so nothing above it knows epoll, sockets or worker processes."""

from .events import Notice, OpenPort, ProbeError, Progress, SweepError, SweepEvent
from .runner import IN_PROCESS_MAX, SweepConfig, SweepResult, sweep, sweep_sync

__all__ = [
    "SweepConfig", "OpenPort", "Progress", "ProbeError", "Notice", "SweepEvent", "SweepError",
    "SweepResult", "sweep", "sweep_sync", "IN_PROCESS_MAX",
]
