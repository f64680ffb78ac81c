"""Lab services that behave like the products (vulnerable and hardened twins) and decoys.

Every module here except base/runner exposes `SERVICES`; `services()` collects them all, so a
new product is one new module (lab/<product>.py) and nothing else to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from .base import LabService

_NOT_SERVICES = {"base", "runner", "registry", "certs"}


@lru_cache(maxsize=1)
def _all() -> tuple[LabService, ...]:
    found: list[LabService] = []
    keys: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name in _NOT_SERVICES:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for svc in getattr(module, "SERVICES", ()):
            if svc.key in keys:
                raise ValueError(f"lab service key {svc.key!r} defined twice ({keys[svc.key]} and {info.name})")
            keys[svc.key] = info.name
            found.append(svc)
    return tuple(found)


def services(*, include_hostile: bool = False) -> list[LabService]:
    """Every lab service (twins and decoys); hostile test servers only on request."""
    return [s for s in _all() if include_hostile or not s.hostile]


def get(key: str) -> LabService:
    for svc in _all():
        if svc.key == key:
            return svc
    raise KeyError(f"no lab service {key!r}")


def select(only: list[str] | None = None, *, include_hostile: bool = False) -> list[LabService]:
    """Services whose key, product id or twin matches any of `only` (None: all non-hostile)."""
    pool = services(include_hostile=include_hostile or bool(only))
    if not only:
        return [s for s in pool if not s.hostile]
    wanted = {w.strip() for w in only if w.strip()}
    picked = [s for s in pool if s.key in wanted or (s.product or "") in wanted
              or (s.twin == "decoy" and "decoys" in wanted and not s.hostile)]
    unknown = wanted - {s.key for s in picked} - {s.product for s in picked} - {"decoys"}
    if unknown:
        raise KeyError(f"unknown lab service or product: {', '.join(sorted(unknown))}")
    return picked


__all__ = ["LabService", "services", "get", "select"]
