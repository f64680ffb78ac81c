"""What a check run needs besides the network client (net.client.Client carries the limits and
counts the probes): names that exist nowhere, for tools, rebinding hosts and wrong secrets.
"""

from __future__ import annotations

import secrets


def random_token(prefix: str = "gatescan") -> str:
    """A name that exists nowhere: tool names, rebinding hosts, wrong secrets."""
    return f"{prefix}-{secrets.token_hex(6)}"


def is_loopback(host: str | None) -> bool:
    """localhost, 127/8, ::1 and their IPv4-mapped forms; a name that is none of these is not."""
    import ipaddress

    if not host:
        return False
    h = host.strip("[]").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        addr = ipaddress.ip_address(h.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)
    return bool(addr.is_loopback or (mapped is not None and mapped.is_loopback))


def identification_exchanges(service, *, version_only: bool = False, limit: int = 4) -> list[dict]:
    """What identification sent and the fragment it read, as evidence of a check that sends nothing."""
    evidence = [e for e in service.evidence if not version_only or e.observed.startswith("version ")]
    evidence = evidence or service.evidence
    return [{"request": {"identification": e.probe}, "response": {"observed": e.observed}} for e in evidence[:limit]]
