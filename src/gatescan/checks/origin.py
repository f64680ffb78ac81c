"""ws.origin.unchecked: a WebSocket (and its application connect) accepted from a foreign Origin.

Variants: an attacker site, `null`, a suffix trick (`<scheme>://<target-host>.attacker.invalid`)
and a prefix trick (`<scheme>://attacker<target-host>`), against a baseline with no Origin
(or the product's own). `protocol: openclaw` goes through the gateway's connect handshake,
because the gateway accepts every upgrade and checks Origin inside `connect` (openclaw@2026.9.6);
`protocol: ws` (default) judges the upgrade itself.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed

from ..catalog import OriginParams, PathFrom
from ..model import Access, CheckStatus
from ..net.client import Client
from ..protocols import mcp, openclaw
from .context import random_token
from .registry import Outcome, register

# What a browser adds to a cross-site WebSocket handshake (Fetch Metadata): a page on a foreign
# Origin cannot leave it out, and servers such as ComfyUI refuse `Sec-Fetch-Site: cross-site`
# before comparing Origin (middleware/origin_middleware.py), so the foreign variants carry it.
CROSS_SITE = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "websocket"}

# A server may accept the upgrade and then close at once on a bad Origin (n8n closes 1008
# "Invalid origin!"); a short grace read tells that from an accepted socket.
CLOSE_GRACE = 0.5


@dataclass
class Attempt:
    """One connect with a chosen Origin, judged: did it get past the gate?"""

    access: Access
    reason: str
    exchange: dict[str, Any]
    status: int | None = None  # the upgrade's HTTP status

    @property
    def refused_at(self) -> str | None:
        """Where a refusal sat: `upgrade` (an HTTP status instead of 101, before any WebSocket
        frame) or `after upgrade` (101, then a close or an error frame); None when not refused."""
        if self.access is not Access.CLOSED:
            return None
        return "upgrade" if self.status not in (None, 101) else "after upgrade"


async def upgrade(client: Client, url: str, origin: str | None, *, subprotocol: str | None = None,
                  headers: dict[str, str] | None = None) -> Attempt:
    """A bare WebSocket upgrade: OPEN when 101 came and the socket stayed open through the grace
    read, CLOSED when refused (any HTTP status, or an immediate close 1008)."""
    status = None
    async with client.websocket(url, origin=origin, subprotocols=[subprotocol] if subprotocol else (),
                                headers=headers) as ws:
        status = ws.status
        if ws.status is not None and not ws.accepted:
            access, reason = Access.CLOSED, f"upgrade refused with HTTP {ws.status}"
        elif not ws.accepted:
            access, reason = Access.UNDECIDED, ("the WebSocket upgrade timed out" if ws.error == "timeout"
                                                else f"the WebSocket upgrade failed ({ws.error})")
        else:
            access, reason = Access.OPEN, "upgrade accepted (101) and the socket stayed open"
            status = 101
            try:
                await ws.recv(CLOSE_GRACE)  # any frame is fine; we only watch for an immediate close
            except TimeoutError:
                pass
            except ConnectionClosed:
                code, why = ws.close_code, ws.close_reason or ""
                access = Access.CLOSED if code == 1008 else Access.UNDECIDED
                reason = f"accepted, then closed 1008 {why!r}" if code == 1008 else f"accepted, then closed ({code} {why!r})"
    return Attempt(access, reason, ws.exchange, status)


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

    async def try_origin(origin: str | None, headers: dict[str, str] | None = None) -> Attempt:
        if params.confirm == "mcp":  # accepted = the MCP initialize is answered too
            return await _mcp_upgrade(run, url, origin, sub)
        return await upgrade(run.client, url, origin, subprotocol=sub, headers=headers)

    base = await try_origin(None)
    own = f"{run.scheme}://{run.netloc}"
    exchanges = [base.exchange]
    if base.access is not Access.OPEN:
        base = await try_origin(own)
        exchanges.append(base.exchange)
    if base.access is Access.CLOSED:
        return Outcome.not_applicable(f"the baseline upgrade (no Origin, own Origin) is refused "
                                      f"({base.reason}): nothing to compare a foreign Origin with")
    if base.access is Access.UNDECIDED:
        return Outcome.inconclusive(f"baseline upgrade: {base.reason}")
    # the variants go out together: an accepted socket costs a short grace read
    pairs = variants(run.scheme, run.host)
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(try_origin(origin, CROSS_SITE)) for _, origin in pairs]
    attempts = [(label, origin, task.result()) for (label, origin), task in zip(pairs, tasks)]
    return _verdict(url, exchanges, attempts, what="the WebSocket upgrade")


async def _openclaw(run, params: OriginParams) -> Outcome:
    url = openclaw.ws_url(run.host, run.port, run.service.tls)

    async def attempt(origin: str | None, client_id: str = "cli") -> openclaw.ConnectOutcome:
        return await openclaw.connect_probe(run.client, run.host, run.port, origin=origin,
                                            client_id=client_id, tls=run.service.tls)

    own = f"{run.scheme}://{run.netloc}"
    base = await attempt(None)
    exchanges = [base.exchange]
    if base.access is not Access.OPEN:
        base = await attempt(own)
        exchanges.append(base.exchange)
    if base.access is not Access.OPEN:
        return Outcome.inconclusive(f"the baseline connect (no Origin, own Origin) did not reach the "
                                    f"credential gate: {base.reason}")
    attempts = []
    for label, origin in variants(run.scheme, run.host):
        outcome = await attempt(origin)
        attempts.append((label, origin, _gate(outcome)))
    verdict = _verdict(url, exchanges, attempts,
                       what="the gateway's connect request (client id `cli`, no credentials, no device)")
    sendable = [origin for label, origin, a in attempts if a.access is Access.OPEN and browser_sendable(origin)]
    if verdict.status is CheckStatus.FINDING and sendable:
        # Era hint: 2026.2.2-2026.2.24 checked Origin only for Control UI client ids.
        ui = await attempt(sendable[0], "openclaw-control-ui")
        verdict.exchanges.append(ui.exchange)
        if ui.kind == openclaw.ORIGIN_REJECTED:
            verdict.summary += (" The same Origin is refused for the Control UI client id: the gateway "
                                "checks Origin only for Control UI clients (2026.2.2 to 2026.2.24), so a "
                                "page connects by claiming to be the CLI (ClawJacked).")
        elif ui.access is Access.OPEN:
            verdict.summary += (" The Control UI client id is let through as well: no Origin check at all "
                                "(2026.2.1 and older) or gateway.controlUi.allowedOrigins contains \"*\".")
    return verdict


def _gate(outcome: openclaw.ConnectOutcome) -> Attempt:
    """A connect outcome as an Attempt: the gateway checks Origin inside `connect` (2026.9.6: 101,
    connect.challenge, then an error and close 1008), and a gateway that refuses the upgrade itself
    (an upgrade-time Origin gate) answers 400/401/403 instead of 101 once the baseline got 101."""
    if outcome.upgrade_status in (400, 401, 403):
        return Attempt(Access.CLOSED, f"upgrade refused with HTTP {outcome.upgrade_status}", outcome.exchange,
                       outcome.upgrade_status)
    return Attempt(outcome.access, outcome.reason, outcome.exchange, outcome.upgrade_status)


def _refusal_place(refused: list[tuple[str, str, Attempt]]) -> str:
    """Where the refusals sat, in words (docs/checks.md: where the defence sits)."""
    places = {a.refused_at for _, _, a in refused}
    if places == {"upgrade"}:
        return "refused before the upgrade (an HTTP status instead of 101: no WebSocket was opened)"
    if places == {"after upgrade"}:
        return "refused after the upgrade (101, then a close or an error: the socket opened first)"
    return "refused partly before the upgrade (HTTP status) and partly after it (close)"


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


def _verdict(url, exchanges, attempts: list[tuple[str, str, Attempt]], *, what: str) -> Outcome:
    passed = [a for a in attempts if a[2].access is Access.OPEN]
    refused = [a for a in attempts if a[2].access is Access.CLOSED]
    undecided = [a for a in attempts if a[2].access is Access.UNDECIDED]
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
            summary += (" Refused: " + ", ".join(label for label, _, _ in refused)
                        + f", {_refusal_place(refused)}.")
        return Outcome.finding(f"foreign Origin accepted: {', '.join(l for l, _, _ in passed)}",
                               summary, shown, target=url,
                               data={"origins_passed": [o for _, o, _ in passed],
                                     "refused_at": sorted({a.refused_at for _, _, a in refused})})
    if undecided:
        first = undecided[0]
        return Outcome.inconclusive(f"no variant was accepted, but {len(undecided)} could not be decided "
                                    f"({first[0]}: {first[2].reason})")
    if not refused:
        return Outcome.passed("no variant tried")
    return Outcome.passed(f"every foreign Origin variant was {_refusal_place(refused)} ({len(refused)} tried): "
                          f"{refused[0][2].reason}",
                          data={"refused_at": sorted({a.refused_at for _, _, a in refused})})


async def _mcp_upgrade(run, url: str, origin: str | None, sub: str | None) -> Attempt:
    result = await mcp.list_tools_ws(run.client, url, origin=origin, subprotocol=sub, era=run.attribute("mcp_era"))
    # an upgrade refused with any status keeps this Origin out (auth cares only for 401/403)
    refused = result.upgrade_status is not None
    return Attempt(Access.CLOSED if refused else result.state, result.reason, result.exchanges[0],
                   result.upgrade_status)


async def _discover_path(run, rule: PathFrom) -> str | None:
    """A WebSocket path published in a JSON document (CDP's /json/version webSocketDebuggerUrl)."""
    answer = await run.http("GET", rule.path)
    doc = answer.json() if answer.status == 200 else None
    value = doc.get(rule.json_key) if isinstance(doc, dict) else None
    if not isinstance(value, str) or "://" not in value:
        return None
    rest = value.split("://", 1)[1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"
