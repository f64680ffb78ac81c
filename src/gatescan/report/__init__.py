"""Report: every output format is a pure function of the Report model, so a renderer never touches
the network or the engine; `FORMATS` is the registry, one line per format, loaded on first use."""

from __future__ import annotations

import importlib
import sys

from ..model import Report
from .interface import RenderOptions, ReportFormat

FORMATS: dict[str, str] = {
    "console": ".console:ConsoleFormat",
    "json": ".jsonout:JsonFormat",
    "jsonl": ".jsonl:JsonlFormat",
    "sarif": ".sarif:SarifFormat",
    "html": ".html:HtmlFormat",
}


class UnknownFormat(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown format {name!r} (one of {', '.join(FORMATS)})")


def get_format(name: str) -> ReportFormat:
    """The registered format `name` (its module imported now)."""
    try:
        module, _, attr = FORMATS[name].partition(":")
    except KeyError:
        raise UnknownFormat(name) from None
    return getattr(importlib.import_module(module, __name__), attr)()


def render_report(report: Report, fmt: str, options: RenderOptions = RenderOptions()) -> str:
    """`report` as text in `fmt` (console text is uncoloured, for files)."""
    return "".join(get_format(fmt).render(report, options))


def write_report(report: Report, fmt: str, dest: str, options: RenderOptions = RenderOptions()) -> None:
    """Write `report` in `fmt` to the file `dest`, replaced atomically, or to stdout ("-")."""
    from .jsonout import write_text_atomic

    chunks = get_format(fmt).render(report, options)
    if dest == "-":
        sys.stdout.writelines(chunks)
        sys.stdout.flush()
    else:
        write_text_atomic(dest, chunks)
