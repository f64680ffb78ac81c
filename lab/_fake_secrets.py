"""Fake credentials that leaking twins plant where the real products put real ones, so a test
can prove that none of them reaches a report. New ones every process, and plainly fake.
"""

from __future__ import annotations

import secrets

PLANTED: list[str] = []  # every value handed out, for the tests that look for them in reports


def fake(prefix: str, nbytes: int = 20) -> str:
    """`prefix` + "labfake" + random hex: the shape of a real key, plainly fake."""
    value = f"{prefix}labfake{secrets.token_hex(nbytes)}"
    PLANTED.append(value)
    return value
