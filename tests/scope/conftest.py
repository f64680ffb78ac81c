"""Scope fixtures: a stub resolver (no lookup ever leaves the process)."""

from __future__ import annotations

import pytest

from gatescan.scope import ResolveError

NAMES = {
    "gw.lan": ["10.1.2.3"],
    "multi.lan": ["10.0.0.9", "fd00::9", "10.0.0.9"],
    "box.lan": ["192.168.1.7"],
    "public.example": ["93.184.216.34"],
    "mixed.example": ["10.0.0.1", "8.8.8.8"],
    "mapped.lan": ["::ffff:10.5.5.5"],
    "junk.lan": ["not-an-address"],
    "empty.lan": [],
}


class StubResolver:
    def __init__(self, names=None):
        self.names = dict(NAMES if names is None else names)
        self.calls: list[str] = []

    def __call__(self, name: str) -> list[str]:
        self.calls.append(name)
        if name not in self.names:
            raise ResolveError(name, "Name or service not known")
        return list(self.names[name])


@pytest.fixture
def resolver():
    return StubResolver()
