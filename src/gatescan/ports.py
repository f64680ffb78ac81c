"""Named port sets for `-p`. `agents` is the union of the fingerprints' default ports once
identification lands; until then it is this one list (products.md, "Port list for discovery")."""

from __future__ import annotations

AGENT_PORTS: tuple[int, ...] = tuple(
    sorted(
        {11434, 1234, 3000, 3001, 4000, 5000, 5001, 5678, 6274, 6277, 7860, 8000, 8080, 8188,
         8265, 8283, 8888, 8931, 9222, 9999, *range(18789, 18794), *range(18800, 18900)}
    )
)


def named_port_sets() -> dict[str, tuple[int, ...]]:
    """Every name `-p` accepts, mapped to its ports."""
    return {"agents": AGENT_PORTS}
