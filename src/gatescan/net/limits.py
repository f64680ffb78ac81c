"""Every bound the network client honours, in one frozen object (docs/architecture.md, Safety).

One per scan: identification, checks and protocol clients read the same values, so a hostile
server costs the same timeout whoever talks to it. Counters live in the recorder, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

# Some deployments filter scanner-looking User-Agents (seen with MCP servers behind proxies): send a
# plain one; the recorder shows it in every exchange.
DEFAULT_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64)"


@dataclass(frozen=True)
class Limits:
    """Seconds, bytes and counts; `Limits()` is what a scan uses."""

    connect_timeout: float = 3.0  # TCP connect (and TLS handshake)
    read_timeout: float = 5.0  # one answer: the longest silence between two reads, one WebSocket reply
    endpoint_deadline: float = 12.0  # everything identify does on one endpoint
    service_deadline: float = 30.0  # all checks on one service together
    max_body: int = 256 * 1024  # bytes read from any HTTP body or event stream
    max_frame: int = 256 * 1024  # largest WebSocket frame accepted
    max_frames: int = 16  # frames read while waiting for one reply
    max_header_line: int = 16 * 1024  # one response header line
    max_headers: int = 128  # response headers
    excerpt: int = 400  # characters of a body or frame kept in evidence
    connections: int = 256  # sockets in flight across the scan
    per_endpoint: int = 4  # probes in flight on one endpoint
    user_agent: str = DEFAULT_USER_AGENT

    @property
    def request_timeout(self) -> float:
        """One request end to end, or one WebSocket opening handshake: a connect plus one read."""
        return self.connect_timeout + self.read_timeout
