"""The dispatcher's live view: a Rich bar of shards, with the probes and services the workers report."""

from __future__ import annotations

import sys

from .dispatch import DispatchProgress


class DispatchBar:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._progress = None
        self._task = None

    def __enter__(self) -> "DispatchBar":
        return self

    def start(self, total: int) -> None:
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("shards"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                                  console=Console(stderr=True), transient=True)
        self._task = self._progress.add_task("shards", total=total, detail="")
        self._progress.start()

    def update(self, p: DispatchProgress) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=p.shards_done, total=p.shards_total,
                                  detail=f"probes {p.probes_done:,}/{p.probes_total:,}  services {p.services:,}")

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()
