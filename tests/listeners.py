"""Plain TCP listeners for tests: bound and listening, never accepting (a sweep sees them open).

The sweep fixture `listen` and the CLI tests' `tcp_listeners` both open theirs here.
"""

from __future__ import annotations

import socket


def tcp_listener(host: str, port: int = 0) -> socket.socket:
    """A socket listening on (host, port), IPv6 when `host` has a colon; the caller closes it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    return sock
