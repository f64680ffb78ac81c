"""Report: every output format is a pure function of the Report model, so a renderer never touches
the network or the engine; `render_report` / `write_report` are what `gatescan report render` calls."""

from __future__ import annotations

from ..model import Report

FORMATS = ("console", "json", "jsonl", "sarif", "html")


def render_report(report: Report, fmt: str, *, style: str = "table", width: int = 120) -> str:
    """`report` as text in `fmt` (console text is uncoloured, for files)."""
    if fmt == "json":
        from .jsonout import report_to_json
        return report_to_json(report)
    if fmt == "jsonl":
        from .jsonl import render_jsonl
        return render_jsonl(report)
    if fmt == "sarif":
        from .sarif import render_sarif
        return render_sarif(report)
    if fmt == "html":
        from .html import render_html
        return render_html(report)
    if fmt == "console":
        from .console import render_console_text
        return render_console_text(report, style=style, width=width)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def write_report(report: Report, fmt: str, dest: str, *, style: str = "table") -> None:
    """Write `report` in `fmt` to the file `dest` atomically ("-" is stdout); JSON and SARIF stream."""
    import sys

    from .jsonout import iter_report_json, write_text_atomic

    if fmt == "json":
        chunks = iter_report_json(report)
    elif fmt == "sarif":
        from .sarif import iter_sarif
        chunks = iter_sarif(report)
    else:
        chunks = iter([render_report(report, fmt, style=style)])
    if dest == "-":
        sys.stdout.writelines(chunks)
        sys.stdout.flush()
    else:
        write_text_atomic(dest, chunks)
