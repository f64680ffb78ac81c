"""auth.missing: a privileged, read-only request answered without any credential.

Kinds (fingerprint `checks: auth.missing:` parameters): an HTTP spec (`request`, `open`,
`closed`, see spec.py), `protocol: mcp` (server/discover or initialize, then tools/list, over
streamable HTTP, `transport: sse` or `transport: ws`), `protocol: ws` (a WebSocket that should
demand a credential on upgrade), or `protocol: a2a` (the agent card's declared interface, asked
a read-only task call).
Never a tool call, a chat, a config change or a real credential.
"""

from __future__ import annotations

from ..catalog import AuthMissingParams
from ..model import Access
from ..protocols import a2a, mcp
from . import spec as specs
from .context import random_token
from .origin import upgrade
from .registry import Outcome, register


@register("auth.missing")
async def auth_missing(run, params: AuthMissingParams) -> Outcome:
    protocol = params.protocol
    if protocol == "mcp":
        return await _mcp(run, params)
    if protocol == "ws":
        return await _ws(run, params)
    if protocol == "a2a":
        return await _a2a(run)
    req = specs.from_params(params)
    if req is None:
        return Outcome.not_applicable("the fingerprint names no privileged request for this product")
    answer = await run.http(req.method, req.path, headers=req.headers, json_body=req.json_body,
                            note="no credentials sent")
    state = req.classify(answer)
    if state is Access.OPEN:
        return Outcome.finding(
            f"{req.describe()} answered HTTP {answer.status} without credentials",
            f"{req.describe()} was sent with no credentials and answered as only an authenticated "
            f"client should be (HTTP {answer.status}); anyone who reaches this port can use the API."
            + (f" {params.proof.strip()}" if params.proof else ""),
            [answer.exchange], target=run.base_url + req.path, data={"auth": state},
        )
    if state is Access.CLOSED:
        return Outcome.passed(f"{req.describe()} refused without credentials (HTTP {answer.status})",
                              data={"auth": state})
    why = answer.error or f"unexpected answer HTTP {answer.status}"
    return Outcome.inconclusive(f"{req.describe()}: {why}", data={"auth": state})


async def _mcp(run, params: AuthMissingParams) -> Outcome:
    """server/discover + tools/list (modern) or initialize + tools/list (legacy), whichever era
    the server speaks (identification's attributes.mcp_era goes first when it named one)."""
    path = params.path or "/mcp"
    era = run.attribute("mcp_era")
    if params.transport == "ws":
        url = run.ws_url(path)
        result = await mcp.list_tools_ws(run.client, url, subprotocol=params.subprotocol or "mcp", era=era)
    elif params.transport == "sse":
        url = run.base_url + path
        result = await mcp.list_tools_sse(run.client, run.base_url, path, era=era)
    else:
        url = run.base_url + path
        result = await mcp.list_tools_http(run.client, run.base_url, path, era=era)
    facts = {"auth": result.state, "era": result.era, "protocol_version": result.protocol_version,
             "endpoint": url, "resource_metadata": result.resource_metadata}
    if result.state is Access.OPEN:
        names = ", ".join(result.tools[:12]) + (" ..." if len(result.tools) > 12 else "")
        server = (result.server_info or {}).get("name", "the server")
        asked = "server/discover" if result.era == mcp.MODERN else "initialize"
        summary = (f"MCP {asked} ({result.era} era, protocol {result.protocol_version or 'unknown'}) was answered "
                   f"by {server} with no credentials"
                   + (f", and tools/list named {len(result.tools)} tools ({names})" if result.tools else "")
                   + ". Any client that reaches it can call those tools. No tool was called.")
        return Outcome.finding(result.reason, summary, result.exchanges, target=url,
                               data={**facts, "tools": result.tools, "tool_defs": result.tool_defs})
    if result.state is Access.CLOSED:
        return Outcome.passed(result.reason, data=facts)
    return Outcome.inconclusive(result.reason or "no MCP answer", data=facts)


async def _ws(run, params: AuthMissingParams) -> Outcome:
    path = params.path or "/"
    url = run.ws_url(path)
    up = await upgrade(run.client, url, None, subprotocol=params.subprotocol)
    if up.access is Access.OPEN:
        return Outcome.finding(
            "the WebSocket upgrade was accepted without credentials",
            f"A WebSocket upgrade to {path} carrying no credential was accepted (101) and kept open: "
            "any local process or page that reaches it can speak the protocol.",
            [up.exchange], target=url, data={"auth": up.access},
        )
    if up.access is Access.CLOSED and up.status in (400, 401, 403):
        return Outcome.passed(f"the upgrade without credentials was refused ({up.reason})",
                              data={"auth": up.access})
    return Outcome.inconclusive(up.reason)


async def _a2a(run) -> Outcome:
    result = await a2a.check_auth(run.client, run.base_url, task_id=random_token("gatescan-probe"))
    if result.state is Access.OPEN:
        card = result.card
        declared = "declares security schemes it does not enforce" if card and card.security else "declares no security"
        return Outcome.finding(
            result.reason,
            f"The agent card at {card.path if card else '?'} {declared}, and {result.reason}. Anyone who "
            "reaches this port can list and read the agent's tasks and send it work; no message was sent.",
            result.exchanges, target=run.base_url + (card.path if card else ""), data={"auth": result.state},
        )
    if result.state is Access.CLOSED:
        return Outcome.passed(result.reason, data={"auth": result.state})
    return Outcome.inconclusive(result.reason or "no A2A answer", data={"auth": result.state})
