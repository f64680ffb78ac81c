"""The one interface every output format implements, so a new format is one module plus one
line in the registry (`report.FORMATS`); pip-audit's `_format/interface.py` is the model.

A format is a pure function of the Report: it never touches the network or the file system.
Where the text goes (a file written atomically, stdout, a live stream) is the writer's job.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import IO, ClassVar, Iterable, Protocol

from ..model import ErrorRecord, Finding, Report, Service, SkillRecord

STYLES = ("table", "tree", "plain")


@dataclass(frozen=True)
class RenderOptions:
    """What a caller may ask of a renderer; formats ignore what does not concern them."""

    style: str = "table"  # the console layout
    width: int = 120  # console text width

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"--style must be one of {', '.join(STYLES)}, not {self.style!r}")


class EventWriter(Protocol):
    """Receives a run's records as they happen (the pipeline observer's half that a stream needs)."""

    def service(self, service: Service) -> None: ...
    def finding(self, finding: Finding) -> None: ...
    def skill(self, skill: SkillRecord) -> None: ...
    def error(self, error: ErrorRecord) -> None: ...
    def progress(self, done: int, total: int | None, open: int, rate: float) -> None: ...  # noqa: A002
    def summary(self, report: Report) -> None: ...


class ReportFormat(ABC):
    """One output format."""

    #: True: written while the run goes, record by record, to an `event_writer`; False: the
    #: whole document is rendered at the end and replaces the file atomically.
    streams_events: ClassVar[bool] = False

    @abstractmethod
    def render(self, report: Report, options: RenderOptions) -> Iterable[str]:
        """The finished report as text, in pieces (big reports need not be one string)."""

    def event_writer(self, out: IO[str]) -> EventWriter:
        """A writer of this format's events to `out`; only for formats that stream events."""
        raise TypeError(f"{type(self).__name__} is written whole at the end, not streamed")
