"""Advisories as data: a fingerprint's `advisories:` entries, validated when it loads.

Each entry (the format docs/checks.md documents) names an id (CVE, GHSA or a vendor id), a one-line
summary, the affected ranges, the first fixed version (or null), a severity, an optional CVSS
vector and note, and its references. Ranges and versions are parsed in the fingerprint's
`version_scheme` (versions.py), so a bad range fails the load naming file and field, never at scan time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from .. import typed
from ..typed import STRICT
from . import versions
from .versions import Range, Version, VersionError


@dataclass(frozen=True)
class AdvisoryEntry:
    """One `advisories:` entry as written (strict JSON types, no unknown fields)."""

    __pydantic_config__ = STRICT

    id: str
    summary: str
    affected: tuple[str, ...]
    fixed: str | None  # required: null says no fixed version exists
    severity: Literal["info", "low", "medium", "high", "critical"]
    references: tuple[str, ...]
    cvss: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Advisory:
    """A validated advisory: ranges and fixed version parsed in the product's scheme."""

    id: str
    summary: str
    affected: tuple[Range, ...]
    fixed: Version | None
    severity: str
    references: tuple[str, ...]
    cvss: str | None = None
    note: str | None = None

    def matching(self, v: Version) -> Range | None:
        return versions.any_contains(self.affected, v)


class AdvisoryError(ValueError):
    def __init__(self, where: str, reason: str):
        self.where, self.reason = where, reason
        super().__init__(f"{where}: {reason}")


_ID = re.compile(r"CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|[A-Za-z][A-Za-z0-9._-]{2,63}")
_CVSS = re.compile(r"CVSS:(3\.[01]|4\.0)/[A-Z]{1,3}:[A-Z](/[A-Z]{1,3}:[A-Z])+")
_REFERENCE = re.compile(r"https://\S+|CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|CWE-\d+")


def parse_advisories(raw: Any, scheme: str, where: str = "advisories") -> list[Advisory]:
    """The `advisories:` list as Advisory records; AdvisoryError naming the entry and field."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise AdvisoryError(where, "expected a list of advisories")
    out: list[Advisory] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        try:
            entry = typed.from_data(AdvisoryEntry, item, at)
        except typed.TypedError as exc:
            raise AdvisoryError(exc.where, exc.reason) from None
        if not _ID.fullmatch(entry.id):
            raise AdvisoryError(f"{at}.id", f"{entry.id!r} is no CVE, GHSA or vendor id")
        if entry.id in seen:
            raise AdvisoryError(f"{at}.id", f"duplicate advisory {entry.id!r} (also {where}[{seen[entry.id]}])")
        seen[entry.id] = i
        if not entry.summary.strip() or "\n" in entry.summary.strip():
            raise AdvisoryError(f"{at}.summary", "one line of text is required")
        if not entry.affected:
            raise AdvisoryError(f"{at}.affected", "at least one affected range is required")
        ranges = []
        for j, text in enumerate(entry.affected):
            try:
                ranges.append(versions.parse_range(text, scheme))
            except VersionError as exc:
                raise AdvisoryError(f"{at}.affected[{j}]", f"{exc} ({scheme} scheme)") from None
        fixed = None
        if entry.fixed is not None:
            try:
                fixed = versions.parse(entry.fixed, scheme)
            except VersionError as exc:
                raise AdvisoryError(f"{at}.fixed", f"{exc} ({scheme} scheme)") from None
            inside = versions.any_contains(ranges, fixed)
            if inside is not None:
                raise AdvisoryError(f"{at}.fixed", f"the fixed version {fixed} lies inside the affected "
                                                   f"range {inside}")
        if entry.cvss is not None and not _CVSS.fullmatch(entry.cvss):
            raise AdvisoryError(f"{at}.cvss", f"{entry.cvss[:60]!r} is not a CVSS 3.x or 4.0 vector")
        if not entry.references:
            raise AdvisoryError(f"{at}.references", "at least one reference (the advisory's source) is required")
        for j, ref in enumerate(entry.references):
            if not _REFERENCE.fullmatch(ref):
                raise AdvisoryError(f"{at}.references[{j}]", f"{ref[:60]!r} is not an https URL, CVE, GHSA or CWE id")
        out.append(Advisory(entry.id, entry.summary.strip(), tuple(ranges), fixed, entry.severity,
                            tuple(entry.references), entry.cvss, entry.note))
    return out


__all__ = ["Advisory", "AdvisoryEntry", "AdvisoryError", "parse_advisories"]
