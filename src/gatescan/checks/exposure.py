"""exposure.network and tls.missing: where the service answered, and whether it spoke TLS there.

Both send nothing: the address is the one the scan reached (or, where local mode saw it, the
listen address), the TLS fact is identification's. A finding proves reachability from this
scanner's vantage, not from the internet; exposure.network is rated by the product's impact class
when auth.missing also found no authentication, and a step lower when authentication is enforced.
"""

from __future__ import annotations

import ipaddress

from ..catalog import ExposureParams
from ..model import Access
from .context import identification_exchanges, is_loopback
from .registry import Outcome, register


def _where(run) -> tuple[str | None, str]:
    """(the non-loopback address it answers on, how we know), or (None, why not)."""
    if not is_loopback(run.host):
        return run.host, f"the scan reached it at {run.netloc}"
    bind = run.service.bind
    if bind and not is_loopback(bind):
        every = bind in ("0.0.0.0", "::", "[::]", "*")
        return bind, (f"it listens on {bind} ({'every interface' if every else 'a non-loopback address'}), "
                      f"seen in this host's listening sockets")
    if bind:
        return None, f"it listens on {bind} only"
    return None, ("it was scanned over loopback, and its listen address is not visible from here "
                  "(local mode reads it)")


def _reach(addr: str) -> str:
    try:
        ip = ipaddress.ip_address(addr.strip("[]").split("%", 1)[0])
    except ValueError:
        return "other machines that resolve this name"
    if ip.is_unspecified:
        return "any machine on any network this host is on"
    if ip.is_private or ip.is_link_local:
        return "other machines on this private network"
    return "any machine that can route to this address (possibly the internet)"


@register("exposure.network")
async def exposure_network(run, params: ExposureParams) -> Outcome:
    addr, how = _where(run)
    if addr is None:
        if run.service.bind:
            return Outcome.passed(f"not exposed beyond loopback: {how}")
        return Outcome.not_applicable(f"cannot tell: {how}")
    auth = run.auth_state()
    if auth is Access.OPEN:
        gate = ("It also answered without authentication (auth.missing), so whoever reaches the "
                "address can drive it.")
    elif auth is Access.CLOSED:
        gate = "It does require authentication, so a neighbour still needs its credential."
    else:
        gate = "Whether it requires authentication was not decided here."
    summary = (f"{run.service.product_name or run.service.product} answers on a non-loopback address: {how}, "
               f"reachable by {_reach(addr)}. {gate} This proves reachability from this scanner's "
               "vantage point, not from the internet.")
    return Outcome.finding(f"answers on {addr}, not only on loopback", summary,
                           identification_exchanges(run.service, limit=2),
                           data={"auth_missing": auth is Access.OPEN, "address": addr})


@register("tls.missing")
async def tls_missing(run, params: ExposureParams) -> Outcome:
    addr, how = _where(run)
    if addr is None:
        return Outcome.not_applicable(f"plaintext on loopback never crosses a network: {how}")
    if run.service.tls:
        return Outcome.passed(f"it speaks TLS on {run.netloc}")
    auth = run.auth_state()
    carried = ("its credential (token or password) and " if auth is Access.CLOSED else "")
    summary = (f"It answered plaintext HTTP on a non-loopback address ({how}); {carried}everything the "
               "agent sends and receives (prompts, files, tool results) crosses the network readable and "
               "changeable by anyone on the path.")
    return Outcome.finding(f"plaintext on {addr}", summary, identification_exchanges(run.service, limit=2),
                           data={"address": addr})
