"""The check registry: stable check ids mapped to small async functions.

Bandit-style: each check module registers one function per id with `@register`; the id's title,
remediation, references, order and severity policy are its catalogue entry (gatescan/catalog.py).
The runner runs, in catalogue order, only the ids a product's fingerprint names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from .. import catalog
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
    references: list[str] = field(default_factory=list)  # what this outcome rests on (advisory ids), first

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


CheckFn = Callable[[Any, catalog.CheckParams], Awaitable[Outcome]]  # (ServiceRun, typed params) -> Outcome


@dataclass(frozen=True)
class Check:
    entry: catalog.CheckEntry
    fn: CheckFn

    @property
    def id(self) -> str:
        return self.entry.id


REGISTRY: dict[str, Check] = {}


def register(check_id: str) -> Callable[[CheckFn], CheckFn]:
    """Bind `fn` to a network check id of the catalogue (KeyError for an id it lacks); the entry
    declares the parameters `fn` receives, which fingerprints are validated against."""
    entry = catalog.get(check_id)
    if entry.family != "network":
        raise ValueError(f"{check_id!r} is a {entry.family} check, not a network one")
    if entry.params is None:
        raise ValueError(f"{check_id!r} declares no parameters in the catalogue")

    def wrap(fn: CheckFn) -> CheckFn:
        if check_id in REGISTRY and REGISTRY[check_id].fn is not fn:
            raise ValueError(f"check {check_id!r} registered twice")
        REGISTRY[check_id] = Check(entry, fn)
        return fn
    return wrap


def ordered(ids) -> list[Check]:
    """The registered checks among `ids`, dependencies first (auth.missing feeds the others)."""
    return sorted((REGISTRY[i] for i in ids if i in REGISTRY), key=lambda c: (c.entry.order, c.id))
