"""ws.origin.unchecked: a WebSocket (and its application connect) accepted from a foreign Origin.

Variants: an attacker site, `null`, a suffix trick (`<scheme>://<target-host>.attacker.invalid`)
and a prefix trick (`<scheme>://attacker<target-host>`), against a baseline with no Origin
(or the product's own). `protocol: openclaw` goes through the gateway's connect handshake,
because the gateway accepts every upgrade and checks Origin inside `connect` (§6.2, §13);
`protocol: ws` (default) judges the upgrade itself.
"""

from __future__ import annotations

import asyncio
import ipaddress
from ..catalog import OriginParams, PathFrom
from ..model import CheckStatus
from ..protocols import mcp, openclaw
from .context import random_token
from .registry import Outcome, register
from . import wsio


def variants(scheme: str, host: str) -> list[tuple[str, str]]:
    """(label, Origin) pairs a hostile page could present."""
    bare = host.strip("[]")
    if ":" in bare:  # an IPv6 literal cannot sit inside a DNS name; loopback peers say localhost
        bare = "localhost"
    out = [
        ("attacker site", f"{scheme}://{random_token('gatescan')}.attacker.invalid"),
        ("null", "null"),
        ("suffix trick", f"{scheme}://{bare}.attacker.invalid"),
        ("prefix trick", f"{scheme}://attacker{bare}"),
    ]
    if scheme != "https":
        # The tricks as an https page presents them too: a check that compares only the host
        # part (or strips the scheme) is fooled by these as well.
        out += [("https suffix trick", f"https://{bare}.attacker.invalid"),
                ("https prefix trick", f"https://attacker{bare}")]
    return out


@register("ws.origin.unchecked")
async def ws_origin_unchecked(run, params: OriginParams) -> Outcome:
    if params.protocol == "openclaw-connect":
        return await _openclaw(run, params)
    return await _generic(run, params)


async def _generic(run, params: OriginParams) -> Outcome:
    path = params.path
    if params.path_from:
        path = await _discover_path(run, params.path_from)
        if path is None:
            return Outcome.inconclusive("could not learn the WebSocket path "
                                        f"from {params.path_from.path}")
    url = run.ws_url(path or "/")
    sub = params.subprotocol

    async def try_origin(origin: str | None):
        if params.confirm == "mcp":  # accepted = the MCP initialize is answered too
            return await _mcp_upgrade(run, url, origin, sub)
        return await wsio.upgrade(run.ctx, url, origin, subprotocol=sub)

    base = await try_origin(None)
    own = f"{run.scheme}://{run.netloc}"
    exchanges = [base.exchange]
    if not base.accepted:
        base = await try_origin(own)
        exchanges.append(base.exchange)
    if not base.accepted:
        if base.accepted is False:
            return Outcome.not_applicable(f"the baseline upgrade (no Origin, own Origin) is refused "
                                          f"({base.reason}): nothing to compare a foreign Origin with")
        return Outcome.inconclusive(f"baseline upgrade: {base.reason}")
    passed, refused, undecided = [], [], []
    # the variants go out together: an accepted socket costs a short grace read (wsio)
    pairs = variants(run.scheme, run.host)
    ups = await asyncio.gather(*(try_origin(origin) for _, origin in pairs))
    for (label, origin), up in zip(pairs, ups):
        bucket = passed if up.accepted else refused if up.accepted is False else undecided
        bucket.append((label, origin, up))
    return _verdict(url, exchanges, passed, refused, undecided, what="the WebSocket upgrade")


async def _openclaw(run, params: OriginParams) -> Outcome:
    ctx = run.ctx
    kw = dict(tls=run.service.tls, open_timeout=ctx.connect_timeout, reply_timeout=ctx.read_timeout,
              max_frame=ctx.max_frame, max_frames=ctx.max_frames, excerpt=ctx.excerpt)
    url = openclaw.ws_url(run.host, run.port, run.service.tls)
    gate = (openclaw.NEXT_GATE, openclaw.HELLO_OK)

    async def attempt(origin: str | None, client_id: str = "cli") -> openclaw.ConnectOutcome:
        outcome, used = await openclaw.connect_probe(run.host, run.port, origin=origin,
                                                     client_id=client_id, **kw)
        ctx.count(used)
        return outcome

    own = f"{run.scheme}://{run.netloc}"
    base = await attempt(None)
    exchanges = [base.exchange(url, None)]
    if base.kind not in gate:
        base = await attempt(own)
        exchanges.append(base.exchange(url, own))
    if base.kind not in gate:
        return Outcome.inconclusive(f"the baseline connect (no Origin, own Origin) did not reach the "
                                    f"credential gate: {base.reason}")
    passed, refused, undecided = [], [], []
    for label, origin in variants(run.scheme, run.host):
        outcome = await attempt(origin)
        entry = (label, origin, _Wrapped(outcome, url, origin))
        if outcome.kind in gate:
            passed.append(entry)
        elif outcome.kind == openclaw.ORIGIN_REJECTED:
            refused.append(entry)
        else:
            undecided.append(entry)
    verdict = _verdict(url, exchanges, passed, refused, undecided,
                       what="the gateway's connect request (client id `cli`, no credentials, no device)")
    sendable = [origin for _, origin, _ in passed if browser_sendable(origin)]
    if verdict.status is CheckStatus.FINDING and sendable:
        # Era hint (§6.2): 2026.2.2-2026.2.24 checked Origin only for Control UI client ids.
        ui = await attempt(sendable[0], "openclaw-control-ui")
        verdict.exchanges.append(ui.exchange(url, sendable[0]))
        if ui.kind == openclaw.ORIGIN_REJECTED:
            verdict.summary += (" The same Origin is refused for the Control UI client id: the gateway "
                                "checks Origin only for Control UI clients (2026.2.2 to 2026.2.24), so a "
                                "page connects by claiming to be the CLI (ClawJacked).")
        elif ui.kind in gate:
            verdict.summary += (" The Control UI client id is let through as well: no Origin check at all "
                                "(2026.2.1 and older) or gateway.controlUi.allowedOrigins contains \"*\".")
    return verdict


class _Wrapped:
    """Gives an OpenClaw connect outcome the (reason, exchange) face of a wsio.Upgrade."""

    def __init__(self, outcome, url, origin):
        self.reason = outcome.reason
        self.exchange = outcome.exchange(url, origin)


def browser_sendable(origin: str) -> bool:
    """Could a page in a browser present this Origin? A host whose last label is numeric is
    parsed as IPv4 by the URL standard, so `http://attacker127.0.0.1` is no valid origin."""
    if origin == "null":
        return True
    host = origin.split("://", 1)[-1].split("/", 1)[0]
    if ":" in host:
        return False
    if host.rsplit(".", 1)[-1].isdigit():
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
    return True


def _verdict(url, exchanges, passed, refused, undecided, *, what: str) -> Outcome:
    unsendable = [p for p in passed if not browser_sendable(p[1])]
    passed = [p for p in passed if browser_sendable(p[1])]
    if unsendable and not passed and not undecided:
        labels = ", ".join(f"{label} ({origin})" for label, origin, _ in unsendable)
        return Outcome.passed(f"the Origin check is loose ({labels} accepted), but no browser can present "
                              "that Origin for this address; every browser-sendable variant was refused")
    if passed:
        labels = ", ".join(f"{label} ({origin})" for label, origin, _ in passed)
        shown = exchanges + [up.exchange for _, _, up in passed]
        if refused:
            shown.append(refused[0][2].exchange)
        summary = (f"With no Origin, {what} gets past the Origin gate; with a foreign Origin it does "
                   f"too for: {labels}. A web page the user visits can therefore open this socket "
                   f"(cross-site WebSocket hijacking).")
        if unsendable:
            summary += (" Also accepted, though no browser can present it for this address: "
                        + ", ".join(f"{label} ({origin})" for label, origin, _ in unsendable) + ".")
        if refused:
            summary += " Refused: " + ", ".join(label for label, _, _ in refused) + "."
        return Outcome.finding(f"foreign Origin accepted: {', '.join(l for l, _, _ in passed)}",
                               summary, shown, target=url,
                               data={"origins_passed": [o for _, o, _ in passed]})
    if undecided:
        first = undecided[0]
        return Outcome.inconclusive(f"no variant was accepted, but {len(undecided)} could not be decided "
                                    f"({first[0]}: {first[2].reason})")
    return Outcome.passed(f"every foreign Origin variant was refused ({len(refused)} tried): "
                          f"{refused[0][2].reason}" if refused else "no variant tried")


async def _mcp_upgrade(run, url: str, origin: str | None, sub: str | None) -> wsio.Upgrade:
    ctx = run.ctx
    result = await mcp.list_tools_ws(url, origin=origin, open_timeout=ctx.connect_timeout,
                                     reply_timeout=ctx.read_timeout, max_frame=ctx.max_frame,
                                     max_frames=ctx.max_frames, excerpt=ctx.excerpt, subprotocol=sub)
    ctx.count(result.probes)
    accepted = {mcp.OPEN: True, mcp.CLOSED: False}.get(result.state)
    if result.state == mcp.UNDECIDED and "answered with HTTP" in result.reason:
        accepted = False  # the upgrade itself was refused (403 and the like)
    status = (result.exchanges[0].get("response") or {}).get("status")
    return wsio.Upgrade(accepted, status, result.reason, result.exchanges[0])


async def _discover_path(run, rule: PathFrom) -> str | None:
    """A WebSocket path published in a JSON document (CDP's /json/version webSocketDebuggerUrl)."""
    answer = await run.http("GET", rule.path)
    doc = answer.json() if answer.status == 200 else None
    value = doc.get(rule.json_key) if isinstance(doc, dict) else None
    if not isinstance(value, str) or "://" not in value:
        return None
    rest = value.split("://", 1)[1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"
