"""Named port sets for `-p`. `agents` is the union of the shipped fingerprints' default ports
(issue 10), so a new fingerprint file widens the default scan with no code change."""

from __future__ import annotations


def agent_ports() -> tuple[int, ...]:
    from .fingerprints import agent_ports as from_fingerprints

    return from_fingerprints()


def named_port_sets() -> dict[str, tuple[int, ...]]:
    """Every name `-p` accepts, mapped to its ports."""
    return {"agents": agent_ports()}


def __getattr__(name: str):
    # AGENT_PORTS stays importable for code written before the fingerprints existed.
    if name == "AGENT_PORTS":
        return agent_ports()
    raise AttributeError(name)
