"""Limits and shared state for one scan's checks (DESIGN.md, Safety: bounded, read-only).

The pipeline builds one CheckContext per scan and passes it to `run_checks`; every check
reads its timeouts and size caps here and counts the probes it sends.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CheckContext:
    connect_timeout: float = 3.0  # TCP connect / WebSocket opening handshake
    read_timeout: float = 5.0  # one HTTP answer or one WebSocket reply
    service_deadline: float = 30.0  # all checks on one service together
    max_body: int = 64 * 1024  # bytes read from any HTTP body
    max_frame: int = 256 * 1024  # largest WebSocket frame accepted
    max_frames: int = 16  # frames read while waiting for one reply
    excerpt: int = 400  # characters of a body kept in evidence
    user_agent: str = "gatescan (read-only security check)"
    intrusive: bool = False  # opt-in probes that leave a trace (none of this checks)
    session: Any = None  # an aiohttp.ClientSession to reuse (identification's), or None
    probes: int = 0  # requests and WebSocket connections sent, for bench/checks.py
    last_probes: int = 0  # how many the last run_checks call sent (one service)
    extra: dict[str, Any] = field(default_factory=dict)

    def count(self, n: int = 1) -> None:
        self.probes += n


def random_token(prefix: str = "gatescan") -> str:
    """A name that exists nowhere: tool names, rebinding hosts, wrong secrets."""
    return f"{prefix}-{secrets.token_hex(6)}"
