"""What may be scanned: the allowed and never-scanned address blocks, the public-address rule,
excludes as interval sets, and `system_resolver`, the program's one name lookup.

Policy: loopback, RFC 1918, CGNAT 100.64/10, link-local 169.254/16 and fe80::/10, and ULA
fc00::/7 are allowed. Any other address is refused (ScopeError naming it) unless
`allow_public` is set AND the token that produced it denotes exactly one address (an address,
a /32 or /128, a name's resolved address, one line or host of a file). A public CIDR or range,
even with `allow_public`, is refused: public addresses are listed one by one. Multicast,
broadcast, reserved and unspecified addresses are never scanned. Excludes are applied before
the policy (so an excluded public part does not cause a refusal) and always win, over
imports too.
"""

from __future__ import annotations

import bisect
import ipaddress
import socket
from typing import Callable, Iterable


class ScopeError(ValueError):
    """A target, port, shard or file the scope refuses; the CLI exits 2 with this message."""


class ResolveError(Exception):
    """A name the resolver could not turn into addresses."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name, reason)
        self.name, self.reason = name, reason

    def __str__(self) -> str:
        return f"cannot resolve {self.name}: {self.reason}"


Resolver = Callable[[str], "list[str]"]


def system_resolver(name: str) -> list[str]:
    """The one place a name lookup happens: getaddrinfo, addresses deduplicated in order."""
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise ResolveError(name, getattr(exc, "strerror", None) or str(exc)) from None
    out: list[str] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in out:
            out.append(sockaddr[0])
    return out


# --- addresses as integer intervals --------------------------------------------------------


def _net(text: str) -> tuple[int, int, int]:
    n = ipaddress.ip_network(text)
    return (n.version, int(n.network_address), int(n.broadcast_address))


# Allowed by default (the list); merged and sorted per version.
_ALLOWED = {
    4: [(a, b) for _v, a, b in sorted(_net(c) for c in (
        "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.168.0.0/16"))],
    6: [(a, b) for _v, a, b in sorted(_net(c) for c in ("::1/128", "fc00::/7", "fe80::/10"))],
}
# Never scanned, whatever the flags: not a unicast host.
_NEVER = {
    4: [(a, b) for _v, a, b in sorted(_net(c) for c in ("0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4"))],
    6: [(a, b) for _v, a, b in sorted(_net(c) for c in ("::/128", "ff00::/8"))],
}


def _first_outside(blocks: list[tuple[int, int]], start: int, end: int) -> int | None:
    """The first address of [start, end] that no block covers, or None."""
    cur = start
    for a, b in blocks:
        if b < cur:
            continue
        if a > cur:
            return cur
        cur = b + 1
        if cur > end:
            return None
    return cur if cur <= end else None


def _first_inside(blocks: list[tuple[int, int]], start: int, end: int) -> int | None:
    for a, b in blocks:
        if a <= end and b >= start:
            return max(a, start)
    return None


def _fmt(version: int, value: int) -> str:
    if version == 4:
        return socket.inet_ntoa(value.to_bytes(4, "big"))
    return str(ipaddress.IPv6Address(value))


def _collapse(intervals: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    for v, a, b in sorted(intervals):
        if out and out[-1][0] == v and a <= out[-1][2] + 1:
            if b > out[-1][2]:
                out[-1] = (v, out[-1][1], b)
        else:
            out.append((v, a, b))
    return out


class _IntervalSet:
    """Collapsed intervals with bisect lookups; used for excludes and the product's hosts."""

    def __init__(self, intervals: Iterable[tuple[int, int, int]]) -> None:
        self.items = _collapse(intervals)
        self.keys = [(v, b) for v, _a, b in self.items]  # sorted by (version, end)

    def contains(self, version: int, value: int) -> bool:
        i = bisect.bisect_left(self.keys, (version, value))
        return i < len(self.items) and self.items[i][0] == version and self.items[i][1] <= value

    def subtract(self, version: int, start: int, end: int) -> list[tuple[int, int, int]]:
        out = []
        cur = start
        i = bisect.bisect_left(self.keys, (version, start))
        while cur <= end and i < len(self.items):
            v, a, b = self.items[i]
            if v != version or a > end:
                break
            if a > cur:
                out.append((version, cur, a - 1))
            cur = max(cur, b + 1)
            i += 1
        if cur <= end:
            out.append((version, cur, end))
        return out


def check_policy(v: int, a: int, b: int, *, label: str, single: bool, allow_public: bool) -> None:
    """ScopeError unless every address of [a, b] (from the token `label`) may be scanned;
    `single`: the token denotes exactly one address."""
    public = _first_outside(_ALLOWED[v], a, b)
    if public is None:
        return
    addr = _fmt(v, public)
    head = f"refused {addr}" if label == addr else f"refused {addr} (from {label})"
    # never scanned, whatever the flags: so no hint of --allow-public (`scan 0.0.0.0`)
    if _first_inside(_NEVER[v], public, public) is not None:
        raise ScopeError(
            f"{head}: not a unicast host address "
            "(multicast, broadcast, reserved or unspecified); these are never scanned"
        )
    if single and allow_public:
        return
    if allow_public:
        raise ScopeError(
            f"{head}: a public address inside a range; "
            "--allow-public admits public addresses only when each is listed on its own"
        )
    raise ScopeError(
        f"{head}: not a private address (allowed: "
        "loopback, RFC 1918, CGNAT, link-local, IPv6 ULA); to scan it, pass --allow-public "
        "and list it on its own"
    )
