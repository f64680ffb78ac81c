"""The one suppression format (docs/architecture.md): entries of a finding key with a reason and an
optional expiry, used by `--baseline` and by the skills audit; a saved report works too.

File format (YAML or JSON):

    schema: gatescan.suppressions/v1      # optional
    suppressions:
      - check: auth.missing               # required; `*` and `?` globs allowed
        host: 10.0.0.5                    # host, port, product, skill, path: optional,
        port: 11434                       #   an omitted field matches anything
        reason: lab box, firewalled       # required
        expires: 2027-01-31               # optional; after that day it suppresses nothing
      - check: skill.rule.*
        skill: weather
        file_tree_sha256: sha256:93e0...  # optional: only while the skill's files are exactly these
        reason: reviewed 2026-12
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable

import yaml

from ..userio import UserFileError, YamlError, json_problem, load_yaml, read_user_text
from ..model import SCHEMA as REPORT_SCHEMA
from ..model import ErrorRecord, Finding, Report, SuppressedFinding

SUPPRESSIONS_SCHEMA = "gatescan.suppressions/v1"
KEY_FIELDS = ("check", "host", "port", "product", "skill", "path")
PIN = "file_tree_sha256"  # a skill finding's exact tree (Finding.extra), set by the skills audit
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_YAML_VALUES = 20_000_000  # room for a fleet's baseline; aliases and depth stay bounded


class SuppressionError(ValueError):
    """A suppression file that cannot be used; names the file and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


@dataclass(frozen=True)
class Suppression:
    check: str
    host: str | None = None
    port: int | None = None
    product: str | None = None
    skill: str | None = None
    path: str | None = None
    reason: str | None = None
    expires: str | None = None
    file_tree_sha256: str | None = None  # skill findings: applies only to exactly this tree
    source: str = ""  # "file: entry 3", for messages
    exact: bool = False  # from a saved report: every key field must be equal, None included

    def pinned_to(self, finding: Finding) -> bool:
        """False when this entry is keyed to a skill tree the finding's skill no longer has."""
        return not self.file_tree_sha256 or finding.extra.get(PIN) == self.file_tree_sha256

    def matches(self, finding: Finding) -> bool:
        if not self.pinned_to(finding):
            return False
        if self.exact:
            return finding.key() == (self.check, self.host, self.port, self.product, self.skill, self.path)
        for name in KEY_FIELDS:
            want = getattr(self, name)
            if want is None:
                continue
            have = getattr(finding, name)
            if name == "port":
                if have != want:
                    return False
            elif have is None or not _glob_equal(str(have), str(want)):
                return False
        return True

    def expired(self, now: datetime | None = None) -> bool:
        if not self.expires:
            return False
        now = now or datetime.now(timezone.utc)
        when = _parse_expiry(self.expires)
        if isinstance(when, datetime):
            return now > when
        return now.date() > when

    def describe(self) -> str:
        parts = [f"{name}={getattr(self, name)}" for name in (*KEY_FIELDS, PIN) if getattr(self, name) is not None]
        return " ".join(parts)


def _glob_equal(have: str, want: str) -> bool:
    if any(c in want for c in "*?["):
        return fnmatch.fnmatchcase(have, want)
    return have == want


def _parse_expiry(text: str) -> date | datetime:
    text = text.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(f"expires {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None


def suppression_from_finding(finding: Finding, *, reason: str | None = None, expires: str | None = None,
                             source: str = "") -> Suppression:
    """An exact entry for one finding (a saved report used as a baseline)."""
    return Suppression(check=finding.check, host=finding.host, port=finding.port, product=finding.product,
                       skill=finding.skill, path=finding.path, reason=reason, expires=expires,
                       file_tree_sha256=_pin(finding), source=source, exact=True)


def _pin(finding: Finding) -> str | None:
    value = finding.extra.get(PIN)
    return value if isinstance(value, str) else None


def parse_suppressions(data: Any, where: str) -> list[Suppression]:
    """Entries from a parsed suppression document (a mapping with `suppressions`, or a list)."""
    if isinstance(data, dict):
        schema = data.get("schema")
        if schema is not None and schema != SUPPRESSIONS_SCHEMA:
            raise SuppressionError(where, f"schema {schema!r} is neither {SUPPRESSIONS_SCHEMA!r} nor a gatescan report")
        if "suppressions" not in data:
            raise SuppressionError(where, "no 'suppressions' list (and not a gatescan report)")
        items = data["suppressions"] or []
    elif isinstance(data, list):
        items = data
    else:
        raise SuppressionError(where, "expected a mapping with a 'suppressions' list, or a saved gatescan report")
    if not isinstance(items, list):
        raise SuppressionError(where, "'suppressions' must be a list")
    out = []
    for n, item in enumerate(items, 1):
        at = f"entry {n}"
        if not isinstance(item, dict):
            raise SuppressionError(where, f"{at}: expected a mapping, got {type(item).__name__}")
        unknown = set(item) - set(KEY_FIELDS) - {"reason", "expires", PIN}
        if unknown:
            raise SuppressionError(where, f"{at}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        check = item.get("check")
        if not isinstance(check, str) or not check.strip():
            raise SuppressionError(where, f"{at}: 'check' is required (use '*' to match every check)")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise SuppressionError(where, f"{at}: 'reason' is required: say why this is accepted")
        port = item.get("port")
        if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535):
            raise SuppressionError(where, f"{at}: port {port!r} is not a port number")
        expires = item.get("expires")
        if isinstance(expires, (date, datetime)):  # YAML parses bare dates
            expires = expires.isoformat()
        if expires is not None:
            try:
                _parse_expiry(str(expires))
            except ValueError as exc:
                raise SuppressionError(where, f"{at}: {exc}") from None
            expires = str(expires)
        strings = {}
        for name in ("host", "product", "skill", "path", PIN):
            value = item.get(name)
            if value is not None and not isinstance(value, (str, int, float)) or (
                    isinstance(value, int) and value.bit_length() > 1_000):  # YAML 0x + 5,000 digits
                raise SuppressionError(where, f"{at}: {name} must be a string")
            strings[name] = None if value is None else str(value)
        out.append(Suppression(check=check.strip(), port=port, reason=reason.strip(), expires=expires,
                               source=f"{where}: {at}", **strings))
    return out


def load_suppressions(path: str | os.PathLike) -> list[Suppression]:
    """Entries from a suppression file or a saved report (its findings and its suppressed)."""
    where = str(path)
    try:
        text = read_user_text(path, MAX_FILE_BYTES)
    except UserFileError as exc:
        raise SuppressionError(where, str(exc)) from None
    stripped = text.lstrip()
    if stripped.startswith("{") and f'"{REPORT_SCHEMA}"' in text[:4096]:
        return _from_report(text, where)
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SuppressionError(where, f"not valid JSON: {json_problem(exc)}") from None
        except (ValueError, RecursionError):  # a number over 4300 digits; nesting past the stack
            raise SuppressionError(where, "not usable JSON (a number too long or nesting too deep)") from None
    else:
        try:
            data = load_yaml(text, max_nodes=MAX_YAML_VALUES)
        except YamlError as exc:
            raise SuppressionError(where, str(exc)) from None
    if isinstance(data, dict) and data.get("schema") == REPORT_SCHEMA:
        return _from_report(text, where)
    return parse_suppressions(data, where)


def _from_report(text: str, where: str) -> list[Suppression]:
    from .jsonout import ReportLoadError, parse_report

    try:
        baseline = parse_report(text, where)
    except ReportLoadError as exc:
        raise SuppressionError(where, exc.problem) from None
    entries = [suppression_from_finding(f, source=f"{where}: baseline report") for f in baseline.findings]
    entries += [suppression_from_finding(s.finding, reason=s.reason, expires=s.expires, source=f"{where}: baseline report")
                for s in baseline.suppressed]
    return entries


def apply_suppressions(report: Report, entries: Iterable[Suppression], *, now: datetime | None = None) -> None:
    """Move matched findings from `findings` to `suppressed`; expired entries go to `errors`."""
    live: list[Suppression] = []
    exact: dict[tuple, Suppression] = {}
    for entry in entries:
        if entry.expired(now):
            report.errors.append(ErrorRecord(
                where=entry.source or "suppressions",
                message=f"suppression expired on {entry.expires}, so it suppresses nothing: {entry.describe()}"
                        + (f" ({entry.reason})" if entry.reason else "")))
        elif entry.exact:
            exact.setdefault((entry.check, entry.host, entry.port, entry.product, entry.skill, entry.path), entry)
        else:
            live.append(entry)
    kept: list[Finding] = []
    for finding in report.findings:
        match = exact.get(finding.key())
        if match is not None and not match.pinned_to(finding):
            match = None
        if match is None:
            match = next((e for e in live if e.matches(finding)), None)
        if match is None:
            kept.append(finding)
        else:
            report.suppressed.append(SuppressedFinding(finding=finding, reason=match.reason, expires=match.expires))
    report.findings = kept


def apply_baseline(report: Report, path: str | os.PathLike, *, now: datetime | None = None) -> None:
    """`--baseline FILE`: suppress what FILE lists; raises SuppressionError for an unusable file."""
    apply_suppressions(report, load_suppressions(path), now=now)


def dump_suppressions(findings: Iterable[Finding], *, reason: str, expires: str | None = None) -> str:
    """A suppression file (YAML) accepting `findings`, for an admin to edit and commit."""
    items = []
    for f in findings:
        item: dict[str, Any] = {name: getattr(f, name) for name in KEY_FIELDS if getattr(f, name) is not None}
        if _pin(f):
            item[PIN] = _pin(f)
        item["reason"] = reason
        if expires:
            item["expires"] = expires
        items.append(item)
    return yaml.safe_dump({"schema": SUPPRESSIONS_SCHEMA, "suppressions": items}, sort_keys=False, allow_unicode=True)
