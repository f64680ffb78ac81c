"""Named port sets for `-p`. `agents` is the union of the shipped fingerprints' default ports
(issue 10), so a new fingerprint file widens the default scan with no code change."""

from __future__ import annotations


def named_port_sets() -> dict[str, tuple[int, ...]]:
    """Every name `-p` accepts, mapped to its ports."""
    from ..identify.fingerprints import agent_ports

    return {"agents": agent_ports()}
