"""The product table: one row per shipped fingerprint (id, name, default ports, how it is
recognised, version source, impact class, checks), for `gatescan fingerprints list --markdown`
and the README, whose table a test holds equal to this, so the two cannot drift.
"""

from __future__ import annotations

from typing import Iterable

from .identify.fingerprints import Fingerprint
from .scope.ports import format_ports

COLUMNS = ("id", "name", "default ports", "recognised by", "version from", "impact", "checks")
NO_VERSION = "not shown without credentials"
# the README's table sits between these two lines; `gatescan fingerprints list --markdown` prints what goes between
BEGIN, END = "<!-- product-table: begin (gatescan fingerprints list --markdown) -->", "<!-- product-table: end -->"


def rows(fingerprints: Iterable[Fingerprint]) -> list[tuple[str, ...]]:
    """The table's rows, sorted by id; what a fingerprint does not say is "-"."""
    out = []
    for fp in sorted(fingerprints, key=lambda f: f.id):
        version = NO_VERSION if fp.version_source is None else (fp.version_source or "-")
        out.append((f"`{fp.id}`", fp.name, format_ports(fp.ports).replace(",", ", ") or "random",
                    fp.recognition or "-", version, fp.impact,
                    ", ".join(f"`{c}`" for c in fp.checks) or "-"))
    return out


def markdown(fingerprints: Iterable[Fingerprint]) -> str:
    """The table as GitHub Markdown, one line per product, ending in a newline."""
    def line(cells: Iterable[str]) -> str:
        return "| " + " | ".join(" ".join(c.split()).replace("|", "\\|").replace("<", "&lt;") for c in cells) + " |"

    lines = [line(COLUMNS), line("---" for _ in COLUMNS), *(line(r) for r in rows(fingerprints))]
    return "\n".join(lines) + "\n"


def readme_table(text: str) -> str | None:
    """What the README holds between BEGIN and END (None when the markers are missing)."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start + len(BEGIN):end].strip("\n") + "\n"
