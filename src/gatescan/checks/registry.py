"""The check registry: stable check ids (DESIGN.md catalogue) mapped to small async functions.

Bandit-style: each check module registers one function per id with `@register`; the runner
runs, in registry order, only the ids a product's fingerprint names. Later issues
(advisories.py: version.vulnerable, exposure.py: exposure.network / tls.missing) plug in here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from ..model import CheckStatus


@dataclass
class Outcome:
    """What one check concluded; a FINDING outcome carries the evidence for its Finding."""

    status: CheckStatus
    reason: str
    summary: str = ""  # why the exchanges prove the issue (findings only)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    title: str | None = None  # overrides the check's default title
    target: str | None = None  # URL probed, when not the service's base URL
    data: dict[str, Any] = field(default_factory=dict)  # facts later checks and severity use

    @classmethod
    def finding(cls, reason: str, summary: str, exchanges: list, **kw: Any) -> "Outcome":
        return cls(CheckStatus.FINDING, reason, summary, list(exchanges), **kw)

    @classmethod
    def passed(cls, reason: str, **kw: Any) -> "Outcome":
        return cls(CheckStatus.PASSED, reason, **kw)

    @classmethod
    def inconclusive(cls, reason: str, **kw: Any) -> "Outcome":
        return cls(CheckStatus.INCONCLUSIVE, reason, **kw)

    @classmethod
    def not_applicable(cls, reason: str, **kw: Any) -> "Outcome":
        return cls(CheckStatus.NOT_APPLICABLE, reason, **kw)


CheckFn = Callable[[Any, dict[str, Any]], Awaitable[Outcome]]  # (ServiceRun, params) -> Outcome


@dataclass(frozen=True)
class Check:
    id: str
    title: str  # finding title; "{product}" is filled in
    remediation: str  # generic fallback; fingerprints give the product's own
    references: tuple[str, ...]
    fn: CheckFn
    order: int


REGISTRY: dict[str, Check] = {}


def register(check_id: str, *, title: str, remediation: str, references: tuple[str, ...] = (),
             order: int = 100) -> Callable[[CheckFn], CheckFn]:
    def wrap(fn: CheckFn) -> CheckFn:
        if check_id in REGISTRY and REGISTRY[check_id].fn is not fn:
            raise ValueError(f"check {check_id!r} registered twice")
        REGISTRY[check_id] = Check(check_id, title, remediation, tuple(references), fn, order)
        return fn
    return wrap


def ordered(ids) -> list[Check]:
    """The registered checks among `ids`, dependencies first (auth.missing feeds the others)."""
    return sorted((REGISTRY[i] for i in ids if i in REGISTRY), key=lambda c: (c.order, c.id))
