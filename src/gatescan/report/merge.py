"""`gatescan merge A.json B.json ... -o ALL.json`: shard reports into one.

Refuses reports from different tool versions and shards that overlap within one scan space
and vantage (two vantages covering the same range is normal, kept apart by `vantage`); a
missing shard makes the result incomplete (exit 3) with the gap named in `errors[]`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any, Sequence

from ..model import SCHEMA_VERSION, ErrorRecord, Report, Scope


MAX_MISSING_LISTED = 1000  # missing shards named one by one; the rest are counted


class MergeError(ValueError):
    """The reports cannot be merged; the CLI maps it to exit 2."""


def report_kind(report: Report) -> str | None:
    """What produced the report, read from its sections: a scan has ports (and services), an
    audit has skills; None for a report with neither. Merge and diff pair reports of one kind."""
    scanned = bool(report.scope.ports or report.services)
    if report.skills is None:
        return "network scan" if scanned else None
    return "network scan and skills audit" if scanned else "skills audit"


def kinds_differ(a: Report, b: Report) -> bool:
    return None not in (report_kind(a), report_kind(b)) and report_kind(a) != report_kind(b)


def _vantage(report: Report) -> str | None:
    names = sorted({v.get("name") for v in report.scope.vantages if isinstance(v, dict) and v.get("name")})
    return ",".join(names) if names else None


def _space(report: Report) -> tuple:
    s = report.scope
    return (tuple(s.targets), s.ports, tuple(sorted(s.excluded)))


def _shard(report: Report, name: str) -> tuple[int, int] | None:
    if not report.scope.shard:
        return None
    try:
        i, n = (int(x) for x in report.scope.shard.split("/"))
    except ValueError:
        raise MergeError(f"{name}: shard {report.scope.shard!r} is not i/n") from None
    if not 1 <= i <= n:
        raise MergeError(f"{name}: shard {report.scope.shard!r} is out of range")
    return i, n


def merge_reports(reports: Sequence[Report], names: Sequence[str] | None = None) -> Report:
    """One report from several; raises MergeError naming the reports that conflict."""
    if not reports:
        raise MergeError("nothing to merge")
    names = list(names) if names else [f"report {i + 1}" for i in range(len(reports))]
    first = reports[0]
    for r, name in zip(reports[1:], names[1:]):
        if (r.tool.get("name"), r.tool.get("version")) != (first.tool.get("name"), first.tool.get("version")):
            raise MergeError(
                f"{names[0]} was written by {first.tool.get('name')} {first.tool.get('version')} and {name} by "
                f"{r.tool.get('name')} {r.tool.get('version')}: merge reports from one version")
    for r, name in zip(reports[1:], names[1:]):
        if kinds_differ(first, r):
            raise MergeError(f"{names[0]} is a {report_kind(first)} and {name} a {report_kind(r)}: "
                             "merge reports of one kind (the shards of a scan, or skills audits)")

    merged = Report(
        scan_id=first.scan_id if all(r.scan_id == first.scan_id for r in reports) else uuid.uuid4().hex,
        tool=dict(first.tool),
        started_at=min(r.started_at for r in reports),
        finished_at=None if any(r.finished_at is None for r in reports) else max(r.finished_at for r in reports),
        complete=all(r.complete for r in reports),
        schema_version=max((r.schema_version for r in reports), key=_minor, default=SCHEMA_VERSION),
    )
    merged.scope = _merge_scope(reports)
    _check_shards(reports, names, merged)

    stats: dict[str, Any] = {}
    for r in reports:
        for key, value in r.stats.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(stats.get(key, 0), (int, float)):
                stats[key] = stats.get(key, 0) + value
            else:
                stats.setdefault(key, value)
    merged.stats = stats

    for r in reports:
        vantage = _vantage(r) if len(r.scope.vantages) == 1 else None
        for record in (*r.services, *r.findings, *r.errors):
            if vantage and getattr(record, "vantage", None) is None:
                record.vantage = vantage
        merged.services.extend(r.services)
        merged.findings.extend(r.findings)
        merged.suppressed.extend(r.suppressed)
        merged.errors.extend(r.errors)
        if r.skills is not None:
            merged.skills = (merged.skills or []) + list(r.skills)
        if r.local is not None:
            merged.local = _merge_local(merged.local, r.local)
        for key, value in r.extra.items():
            merged.extra.setdefault(key, value)
    merged.errors.extend(merged.extra.pop("_merge_errors", []))
    return merged


def why_incomplete(merged: Report, reports: Sequence[Report], names: Sequence[str]) -> list[str]:
    """Why a merged report is incomplete, in words: missing shards, inputs that were incomplete."""
    missing = [s for s in merged.shards or [] if s.get("status") == "missing"]
    why = [f"{len(missing)} shard{'s' if len(missing) != 1 else ''} missing"] if missing else []
    why += [f"{name} is incomplete" for r, name in zip(reports, names) if not r.complete]
    return why


def _minor(version: str) -> tuple:
    try:
        return tuple(int(x) for x in version.split("."))
    except ValueError:
        return (0,)


def _merge_scope(reports: Sequence[Report]) -> Scope:
    targets: list[str] = []
    excluded: list[str] = []
    ports: list[str] = []
    vantages: dict[str, dict[str, Any]] = {}
    for r in reports:
        s = r.scope
        targets += [t for t in s.targets if t not in targets]
        excluded += [e for e in s.excluded if e not in excluded]
        if s.ports and s.ports not in ports:
            ports.append(s.ports)
        for v in s.vantages:
            name = v.get("name")
            entry = vantages.setdefault(name, {**v, "cidrs": list(v.get("cidrs", []))})
            entry["cidrs"] += [c for c in v.get("cidrs", []) if c not in entry["cidrs"]]
    return Scope(targets=targets, ports=",".join(ports), excluded=excluded, shard=None,
                 vantages=list(vantages.values()))


def _check_shards(reports: Sequence[Report], names: Sequence[str], merged: Report) -> None:
    """Refuse overlaps within one (space, vantage); record present and missing shards."""
    groups: dict[tuple, list[tuple[str, Report, tuple[int, int] | None]]] = defaultdict(list)
    for r, name in zip(reports, names):
        groups[(_space(r), _vantage(r))].append((name, r, _shard(r, name)))
    shards: list[dict[str, Any]] = []
    errors: list[ErrorRecord] = []
    for (space, vantage), members in groups.items():
        whole = [m for m in members if m[2] is None]
        if whole and len(members) > 1:
            other = next(m for m in members if m is not whole[0])
            raise MergeError(f"{whole[0][0]} covers its whole scope, so it overlaps {other[0]}"
                             f"{_in_vantage(vantage)}")
        counts = {m[2][1] for m in members if m[2]}
        if len(counts) > 1:
            a, b = (next(m for m in members if m[2] and m[2][1] == n) for n in sorted(counts)[:2])
            raise MergeError(f"{a[0]} (shard {a[1].scope.shard}) and {b[0]} (shard {b[1].scope.shard}) "
                             f"split the same scope differently, so they overlap{_in_vantage(vantage)}")
        seen: dict[int, str] = {}
        for name, r, shard in members:
            if shard is None:
                continue
            if shard[0] in seen:
                raise MergeError(f"{seen[shard[0]]} and {name} are both shard {r.scope.shard}{_in_vantage(vantage)}")
            seen[shard[0]] = name
            if r.shards:
                shards.extend(r.shards)
            else:
                shards.append({"id": r.scope.shard, "vantage": vantage, "worker": r.extra.get("worker"),
                               "status": "done" if r.complete else "incomplete", "attempts": 1})
        if counts:
            n = counts.pop()
            missing = n - len(seen)
            listed = 0
            for i in range(1, n + 1):  # stops after MAX_MISSING_LISTED: n comes from the file
                if listed == min(missing, MAX_MISSING_LISTED):
                    break
                if i not in seen:
                    listed += 1
                    shards.append({"id": f"{i}/{n}", "vantage": vantage, "worker": None, "status": "missing",
                                   "attempts": 0})
                    errors.append(ErrorRecord(where="merge", vantage=vantage,
                                              message=f"shard {i}/{n}{_in_vantage(vantage)} is missing: "
                                                      "its part of the scope was not scanned"))
            if missing:
                merged.complete = False
            if missing > listed:
                errors.append(ErrorRecord(where="merge", vantage=vantage,
                                          message=f"{missing - listed} more of the {n} shards{_in_vantage(vantage)} "
                                                  "are missing (not listed one by one)"))
        for name, r, shard in whole:
            if r.shards:
                shards.extend(r.shards)
    if shards:
        merged.shards = shards
    merged.extra["_merge_errors"] = errors


def _in_vantage(vantage: str | None) -> str:
    return f" in vantage {vantage!r}" if vantage else ""


def _merge_local(into: dict[str, Any] | None, local: dict[str, Any]) -> dict[str, Any]:
    out = dict(into or {})
    machine = local.get("machine")
    for key, value in local.items():
        if isinstance(value, list):
            items = [dict(i, machine=i.get("machine", machine)) if machine and isinstance(i, dict) else i for i in value]
            out[key] = list(out.get(key, [])) + items
        elif key == "machine":
            continue
        else:
            out.setdefault(key, value)
    return out
