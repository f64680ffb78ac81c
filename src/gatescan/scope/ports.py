"""The ports of `-p`: the port-list parser and the named sets. `agents` is the union of the shipped
fingerprints' default ports (issue 10), so a new fingerprint file widens the default scan, no code change;
`agents-wide` adds the ports users commonly move agents to (agents-wide.yaml, data with a reason per port)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .policy import ScopeError
from .targets import _show


def named_port_sets() -> dict[str, tuple[int, ...]]:
    """Every name `-p` accepts, mapped to its ports."""
    from ..identify.fingerprints import agent_ports

    agents = agent_ports()
    return {"agents": agents, "agents-wide": tuple(sorted(set(agents) | set(wide_ports())))}


WIDE_FILE = Path(__file__).resolve().parent / "agents-wide.yaml"


@lru_cache(maxsize=1)
def wide_ports() -> tuple[int, ...]:
    """The alternative agent ports of agents-wide.yaml (without `agents` itself)."""
    from ..userio import load_yaml

    found: set[int] = set()
    for i, entry in enumerate(load_yaml(WIDE_FILE.read_text(encoding="utf-8"))["ports"]):
        first, last = entry["ports"]
        if not (isinstance(first, int) and isinstance(last, int) and 1 <= first <= last <= 65535) or not entry.get("why"):
            raise ValueError(f"{WIDE_FILE}: ports[{i}]: expected {{ports: [first, last], why: text}}, 1 <= first <= last <= 65535")
        found.update(range(first, last + 1))
    return tuple(sorted(found))


def parse_ports(spec: str, named: Mapping[str, Sequence[int]]) -> tuple[int, ...]:
    """"22,80-90,agents" -> sorted unique ports; names are matched case-insensitively."""
    if not isinstance(spec, str) or not spec.strip():
        raise ScopeError(f"bad port list {_show(spec)}: empty")
    names = {k.lower(): v for k, v in named.items()}
    found: set[int] = set()
    for raw in spec.split(","):
        token = raw.strip()
        if not token:
            raise ScopeError(f"bad port list {_show(spec)}: empty entry between commas")
        if token.lower() in names:
            ports = names[token.lower()]
            bad = [p for p in ports if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 65535]
            if bad:
                raise ScopeError(f"named port set {_show(token)} holds bad port {bad[0]!r}")
            found.update(ports)
            continue
        m = re.fullmatch(r"([0-9]{1,5})(?:\s*-\s*([0-9]{1,5}))?", token)
        if not m:
            known = ", ".join(sorted(names)) or "none"
            raise ScopeError(
                f"bad port {_show(token)}: expected a port 1-65535, a range like 80-90, "
                f"or a named set ({known})"
            )
        low = int(m[1])
        high = int(m[2]) if m[2] else low
        if not (1 <= low <= 65535 and 1 <= high <= 65535):
            raise ScopeError(f"bad port {_show(token)}: ports are 1-65535")
        if low > high:
            raise ScopeError(f"bad port range {_show(token)}: start is after end")
        found.update(range(low, high + 1))
    return tuple(sorted(found))


def format_ports(ports: Iterable[int]) -> str:
    """(22, 80, 81, 82) -> "22,80-82": the spec text a report shows for a port tuple."""
    out: list[str] = []
    run: list[int] = []
    for port in sorted(set(ports)):
        if run and port == run[-1] + 1:
            run[-1] = port
            continue
        if run:
            out.append(str(run[0]) if run[0] == run[-1] else f"{run[0]}-{run[-1]}")
        run = [port, port]
    if run:
        out.append(str(run[0]) if run[0] == run[-1] else f"{run[0]}-{run[-1]}")
    return ",".join(out)
