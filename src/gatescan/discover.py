"""mDNS discovery for `gatescan scan --mdns` and `gatescan discover`: browse the service types the
fingerprints say their products advertise (net/mdns.py, bounded), put every advertised endpoint
through the scope policy like a typed target (ScanPlan.with_advertised: refused ones become
errors, never probes), and keep what each advertisement said for the service it leads to.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable

from .identify.fingerprints import Fingerprint, load_fingerprints
from .model import ErrorRecord
from .net.mdns import Advert, BrowseLimits, BrowseResult, browse
from .scope import ScanPlan

DEFAULT_SECONDS = 3.0
MAX_SECONDS = 60.0


def advertised_types(fingerprints: Iterable[Fingerprint] | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(service types, type prefixes) the fingerprints list under `mdns:`."""
    fps = list(fingerprints if fingerprints is not None else load_fingerprints())
    types = sorted({t for fp in fps for t in fp.mdns_types})
    prefixes = sorted({p for fp in fps for p in fp.mdns_prefixes})
    return tuple(types), tuple(prefixes)


def label(advert: Advert) -> str:
    """Where an advertisement's error is filed: `mdns <type> '<instance>'`."""
    return f"mdns {advert.service_type} {advert.instance!r}"


def record(advert: Advert) -> dict[str, Any]:
    """What a service keeps of the advertisement that led to it (services[].discovery[])."""
    return {"via": "mdns", "service_type": advert.service_type, "instance": advert.instance,
            "server": advert.server, "port": advert.port, "addresses": list(advert.addresses),
            "txt": dict(advert.txt)}


@dataclass
class Discovered:
    """A browse and its outcome: the plan with the admitted endpoints added, the advertisements
    for each admitted endpoint, and errors beyond the plan's own (which hold the refusals)."""

    result: BrowseResult
    plan: ScanPlan
    records: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    refused: list[ErrorRecord] = field(default_factory=list)  # also in plan.errors
    errors: list[ErrorRecord] = field(default_factory=list)


def advert_key(address: str, port: int) -> tuple[str, int]:
    """The (host, port) a swept endpoint of that address carries (IPv4-mapped as IPv4)."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip), port


def _endpoints(advert: Advert) -> list[tuple[str, int]]:
    return [(a, p) for a in advert.addresses for p in advert.ports()]


async def discover(plan: ScanPlan, limits: BrowseLimits | None = None,
                   fingerprints: Iterable[Fingerprint] | None = None, *, interfaces=None) -> Discovered:
    """Browse, then police every advertised endpoint into `plan`."""
    limits = limits or BrowseLimits()
    types, prefixes = advertised_types(fingerprints)
    errors, items, owners = [], [], []
    try:
        result = await browse(types, prefixes, limits, interfaces=interfaces)
    except OSError as exc:  # no multicast-capable interface, or sockets refused: nothing advertised
        result = BrowseResult(adverts=(), types=types)
        errors.append(ErrorRecord(where="mdns", message=f"cannot browse: {exc.strerror or exc}"))
    for advert in result.adverts:
        endpoints = _endpoints(advert)
        if not endpoints:
            errors.append(ErrorRecord(where=label(advert), message="advertised no address: not probed"))
        for address, port in endpoints:
            items.append((address, port, label(advert)))
            owners.append(advert)
    new_plan, verdicts = plan.with_advertised(items)
    out = Discovered(result=result, plan=new_plan, refused=[v for v in verdicts if v], errors=errors)
    for (address, port, _label), advert, refusal in zip(items, owners, verdicts):
        if refusal is None:
            out.records.setdefault(advert_key(address, port), []).append(record(advert))
    if result.dropped:
        out.errors.append(ErrorRecord(where="mdns", message=(
            f"{result.dropped} more instances advertised than the {limits.max_instances}"
            " kept: not resolved, not probed")))
    if result.ended_early:
        out.errors.append(ErrorRecord(where="mdns", message=result.ended_early))
    for name in result.unresolved[:20]:
        out.errors.append(ErrorRecord(where=f"mdns {name}", message="no SRV record in time: not probed"))
    if len(result.unresolved) > 20:
        out.errors.append(ErrorRecord(where="mdns", message=f"{len(result.unresolved) - 20} more instances unresolved"))
    return out


def listing(found: Discovered) -> dict[str, Any]:
    """`gatescan discover --json`: every advertisement with its endpoints and the scope's verdict
    on each, and the errors."""
    refusals = {}
    for error in found.refused:
        refusals.setdefault(error.where, []).append(error.message)
    adverts = []
    for advert in found.result.adverts:
        entry = record(advert)
        del entry["via"]
        entry["endpoints"] = [{"host": advert_key(a, p)[0], "port": p,
                               "in_scope": advert_key(a, p) in found.records
                               and any(r["instance"] == advert.instance for r in found.records[advert_key(a, p)])}
                              for a, p in _endpoints(advert)]
        entry["refused"] = refusals.get(label(advert), [])
        adverts.append(entry)
    return {"types": list(found.result.types), "adverts": adverts,
            "errors": [e.to_dict() for e in found.errors]}
