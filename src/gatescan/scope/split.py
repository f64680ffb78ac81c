"""A plan's addresses against a list of CIDRs: the part inside them as target tokens (how a
distributed scan gives each vantage the targets in its CIDRs), and the first address outside
them (how a worker refuses a shard beyond its own --allow list). Nothing is resolved here."""

from __future__ import annotations

from typing import Sequence

from .plan import ScanPlan
from .policy import ScopeError, _IntervalSet, _collapse, _fmt, _net


def cidr_intervals(cidrs: Sequence[str], label: str) -> list[tuple[int, int, int]]:
    """(version, first, last) of each CIDR; ScopeError naming the one that does not parse."""
    out = []
    for cidr in cidrs:
        try:
            out.append(_net(cidr.strip()))
        except ValueError:
            raise ScopeError(f"{label}: bad CIDR {cidr!r} (e.g. 10.1.0.0/16 or fd00::/64)") from None
    return _collapse(out)


def _token(v: int, a: int, b: int) -> str:
    return _fmt(v, a) if a == b else f"{_fmt(v, a)}-{_fmt(v, b)}"


def targets_within(plan: ScanPlan, cidrs: Sequence[tuple[int, int, int]]) -> list[str]:
    """The plan's hosts inside `cidrs`, as range tokens the target parser reads back exactly."""
    out = []
    for v, a, b in plan.intervals:
        for cv, c, d in cidrs:
            if cv == v and c <= b and a <= d:
                out.append(_token(v, max(a, c), min(b, d)))
    return out


def outside(plan: ScanPlan, cidrs: Sequence[tuple[int, int, int]]) -> str | None:
    """The first of the plan's addresses (hosts and imported pairs) outside `cidrs`, or None."""
    allowed = _IntervalSet(cidrs)
    for v, a, b in plan.intervals:
        rest = allowed.subtract(v, a, b)
        if rest:
            return _fmt(v, rest[0][1])
    for v, a, _port in plan.pairs:
        if not allowed.contains(v, a):
            return _fmt(v, a)
    return None


def not_within(plan: ScanPlan, cidrs: Sequence[tuple[int, int, int]]) -> list[str]:
    """The plan's host ranges that no CIDR covers, as tokens (targets no vantage can scan)."""
    allowed = _IntervalSet(cidrs)
    return [_token(*part) for v, a, b in plan.intervals for part in allowed.subtract(v, a, b)]


__all__ = ["ScopeError", "cidr_intervals", "not_within", "outside", "targets_within"]
