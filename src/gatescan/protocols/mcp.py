"""Minimal MCP client for both protocol eras: it learns whether a server answers without
credentials and reads its tool list, and never sends `tools/call`.

Modern (2026-07-28 and later): no handshake and no session; every request carries its protocol
version in `params._meta` and, over HTTP, the `MCP-Protocol-Version` and `Mcp-Method` headers;
servers MUST implement `server/discover`. Legacy (2025-11-25 and earlier): `initialize`,
`notifications/initialized`, then `tools/list` on the session. As the 2026-07-28 specification
tells a dual-era client (basic/versioning.mdx, basic/transports/streamable-http.mdx, "Backward
Compatibility"), `server/discover` goes first; a DiscoverResult or a recognised modern error
(-32020, -32021, -32022) means modern, anything else falls back to `initialize`. Streamable
HTTP, the legacy HTTP+SSE transport and the WebSocket transport (subprotocol `mcp`) are spoken;
replies may arrive as JSON or as SSE `message` events on a stream that never ends, so reading
stops once our request id has answered.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Awaitable, Callable
from urllib.parse import urljoin, urlsplit

from websockets.exceptions import ConnectionClosed

from .. import __version__
from ..model import Access
from ..net.client import Client
from ..net.sse import EventStream, endpoint_event, same_endpoint

PROTOCOL_VERSION = "2025-06-18"  # the legacy handshake's offer
MODERN_VERSION = "2026-07-28"
LEGACY, MODERN = "legacy", "modern"  # attributes.mcp_era; the specification's own terms
POST_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
# the codes the specification reserves for itself (basic/index.mdx, Error Codes): only a modern
# server sends them, so they identify one even when it refuses our request
MODERN_ERRORS = {-32020: "HeaderMismatch", -32021: "MissingRequiredClientCapability",
                 -32022: "UnsupportedProtocolVersion"}
META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
MAX_PAGES = 5  # tools/list pages followed (nextCursor): a whole tool set is what gets pinned
MAX_TOOLS = 500
# request ids: distinct per era, since a fallback continues on the same SSE stream or socket
DISCOVER_ID, MODERN_LIST_ID = 1, 2
INIT_ID, LEGACY_LIST_ID = 1, 2  # a legacy conversation of its own
FALLBACK_INIT_ID, FALLBACK_LIST_ID = 11, 12  # after a failed server/discover on the same connection

_CLIENT_INFO = {"name": "gatescan", "version": __version__}


def initialize_request(req_id: int = INIT_ID) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": req_id, "method": "initialize",
            "params": {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": _CLIENT_INFO}}


def tools_list_request(req_id: int = LEGACY_LIST_ID, cursor: str | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": req_id, "method": "tools/list", "params": {"cursor": cursor} if cursor else {}}


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def modern_request(method: str, req_id: int, params: dict[str, Any] | None = None, *,
                   version: str = MODERN_VERSION) -> dict[str, Any]:
    """A 2026-07-28 request: the version, who we are and our (empty) capabilities in `_meta`."""
    meta = {META_VERSION: version, META_CLIENT_INFO: _CLIENT_INFO, META_CAPABILITIES: {}}
    return {"jsonrpc": "2.0", "id": req_id, "method": method, "params": {**(params or {}), "_meta": meta}}


def discover_request(req_id: int = DISCOVER_ID, *, version: str = MODERN_VERSION) -> dict[str, Any]:
    return modern_request("server/discover", req_id, version=version)


def modern_headers(message: dict[str, Any]) -> dict[str, str]:
    """The request metadata headers a modern POST carries, mirrored from its body."""
    return {"MCP-Protocol-Version": message["params"]["_meta"][META_VERSION], "Mcp-Method": message["method"]}


def find_reply(body: bytes | str, req_id: int) -> dict[str, Any] | None:
    """The JSON-RPC message answering `req_id` in a JSON body or an SSE stream, if present."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    candidates: list[str] = [text]
    if "data:" in text:  # SSE: one JSON document per `data:` line (multi-line data joined)
        candidates = []
        for event in text.replace("\r\n", "\n").split("\n\n"):
            data = "\n".join(line[5:].lstrip() for line in event.split("\n") if line.startswith("data:"))
            if data:
                candidates.append(data)
    for chunk in candidates:
        try:
            doc = json.loads(chunk)
        except ValueError:
            continue
        for msg in doc if isinstance(doc, list) else [doc]:
            if isinstance(msg, dict) and msg.get("id") == req_id and ("result" in msg or "error" in msg):
                return msg
    return None


def reply_arrived(req_id: int) -> Callable[[bytes], bool]:
    return lambda body: find_reply(body, req_id) is not None


def modern_error(reply: dict[str, Any] | None) -> str | None:
    """The name of a modern-only JSON-RPC error in `reply`, else None."""
    error = reply.get("error") if isinstance(reply, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return MODERN_ERRORS.get(code) if isinstance(code, int) and not isinstance(code, bool) else None


def _supported(reply: dict[str, Any]) -> list[str]:
    """The versions an UnsupportedProtocolVersionError or a DiscoverResult lists."""
    result, error = reply.get("result"), reply.get("error")
    found = (result.get("supportedVersions") if isinstance(result, dict)
             else (error.get("data") or {}).get("supported") if isinstance(error, dict)
             and isinstance(error.get("data"), dict) else None)
    return [v for v in found if isinstance(v, str)][:16] if isinstance(found, list) else []


@dataclass
class McpResult:
    state: Access  # OPEN: answered without credentials; CLOSED: refused (401/403)
    reason: str
    server_info: dict[str, Any] | None = None
    tools: list[str] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    upgrade_status: int | None = None  # a refused WebSocket upgrade's HTTP status
    era: str | None = None  # MODERN or LEGACY: which one the server answered in
    protocol_version: str | None = None  # the version the conversation used
    tool_defs: list[dict[str, Any]] = field(default_factory=list)  # name, description, inputSchema
    resource_metadata: str | None = None  # an OAuth protected resource metadata URL it advertised
    authorization_servers: list[str] = field(default_factory=list)


def _opened(result: McpResult, reply: dict[str, Any]) -> McpResult:
    result.state = Access.OPEN
    info = reply["result"].get("serverInfo")
    result.server_info = info if isinstance(info, dict) else None
    result.era = result.era or LEGACY
    version = reply["result"].get("protocolVersion")
    result.protocol_version = version if isinstance(version, str) else result.protocol_version
    return result


def _modern_info(result: McpResult, reply: dict[str, Any]) -> None:
    """serverInfo as a modern result carries it (`_meta`), and the era."""
    result.era = MODERN
    meta = reply.get("result", {}).get("_meta") if isinstance(reply.get("result"), dict) else None
    info = meta.get(META_SERVER_INFO) if isinstance(meta, dict) else None
    if isinstance(info, dict):
        result.server_info = info


def _add_tools(result: McpResult, reply: dict[str, Any] | None) -> str | None:
    """Keep the listed tools' definitions; the next page's cursor, if any."""
    if not reply or not isinstance(reply.get("result"), dict):
        return None
    listed = reply["result"].get("tools")
    if not isinstance(listed, list):
        return None
    for tool in listed:
        if len(result.tool_defs) >= MAX_TOOLS:
            return None
        if isinstance(tool, dict) and isinstance(tool.get("name"), str) and tool["name"]:
            result.tool_defs.append({k: tool[k] for k in ("name", "description", "inputSchema") if k in tool})
            result.tools.append(tool["name"][:80])
    cursor = reply["result"].get("nextCursor")
    return cursor if isinstance(cursor, str) and cursor else None


def _listed(result: McpResult) -> str:
    return f"{len(result.tools)} tools"


class _Paging(Enum):
    """How a tools/list listing ended; each caller decides what that means for its transport."""

    LISTED = "listed"  # the last page came (or a later page brought no result: the tools so far stand)
    NO_FIRST = "no first page"  # the first page brought no tools/list result
    REFUSED = "refused"  # `ask` answered False: the transport refused mid-listing and said why


_Ask = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None | bool]]
_PageRequest = Callable[[int, str | None], dict[str, Any]]  # (page, cursor) -> its tools/list request


def _legacy_page(list_id: int) -> _PageRequest:
    return lambda page, cursor: tools_list_request(list_id + page, cursor)


async def _tool_pages(result: McpResult, ask: _Ask, request: _PageRequest) -> _Paging:
    """Follow tools/list pages (nextCursor, at most MAX_PAGES) through one transport's `ask`: its
    reply to a message, None when none came, False when the transport refused (it set the reason)."""
    cursor: str | None = None
    for page in range(MAX_PAGES):
        reply = await ask(request(page, cursor))
        if reply is False:
            return _Paging.REFUSED
        if not isinstance(reply, dict) or not isinstance(reply.get("result"), dict):
            return _Paging.NO_FIRST if page == 0 else _Paging.LISTED
        result.state = Access.OPEN
        cursor = _add_tools(result, reply)
        if cursor is None:
            break
    return _Paging.LISTED


def _modern_refusal(result: McpResult, reply: Any) -> bool:
    """A modern error answered server/discover over SSE or WebSocket: the era is decided, nothing
    is listed (HTTP words its own, with the message, and may retry another version)."""
    named = modern_error(reply)
    if named is not None:
        result.era = MODERN
        result.reason = f"server/discover answered the modern error {named}"
    return named is not None


async def _modern_tools(result: McpResult, discovered: dict[str, Any], ask: _Ask,
                        version: str = MODERN_VERSION) -> _Paging:
    """After a DiscoverResult: the server's info and era, then its tool pages (the reason is set
    once they are listed; the caller words the other endings for its transport)."""
    _modern_info(result, discovered)
    result.protocol_version = version
    paging = await _tool_pages(result, ask, lambda page, cursor: modern_request(
        "tools/list", MODERN_LIST_ID + page, {"cursor": cursor} if cursor else None, version=version))
    if paging is _Paging.LISTED:
        result.reason = f"server/discover and tools/list answered without credentials ({_listed(result)})"
    return paging


# ---------------------------------------------------------------- OAuth protected resource metadata

_RESOURCE_METADATA = re.compile(r'resource_metadata\s*=\s*"([^"]{1,500})"', re.I)


async def _resource_metadata(client: Client, url: str, refused, result: McpResult) -> str:
    """A 401's OAuth Protected Resource Metadata (RFC 9728): the URL its WWW-Authenticate names,
    else the well-known one for this path; fetched (GET, on this endpoint only) for the
    authorization servers it lists. Words for the reason ("" when none is advertised)."""
    named = _RESOURCE_METADATA.search(refused.headers.get("www-authenticate", ""))
    parts = urlsplit(url)
    well_known = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path.rstrip('/')}"
    target = urljoin(url, named.group(1)) if named else well_known
    if not same_endpoint(url, target):
        result.resource_metadata = target
        return f"; OAuth protected resource metadata advertised at {target[:200]} (not fetched: another endpoint)"
    answer = await client.http("GET", target, headers={"Accept": "application/json"}, max_body=65536,
                               note="OAuth protected resource metadata (RFC 9728)")
    doc = answer.json() if answer.status == 200 else None
    if not isinstance(doc, dict) or not (named or "resource" in doc):
        return ""
    result.exchanges.append(answer.exchange)
    result.resource_metadata = target
    servers = doc.get("authorization_servers")
    result.authorization_servers = [s[:200] for s in servers[:8] if isinstance(s, str)] if isinstance(servers, list) else []
    return (f"; OAuth protected resource metadata at {target[:200]}"
            + (f" (authorization servers: {', '.join(result.authorization_servers)})" if result.authorization_servers else ""))


async def _closed(client: Client, url: str, answer, result: McpResult, what: str) -> McpResult:
    auth = answer.headers.get("www-authenticate", "")
    result.state = Access.CLOSED
    result.reason = f"{what} refused with HTTP {answer.status}" + (f" ({auth[:80]})" if auth else "")
    if answer.status == 401:
        result.reason += await _resource_metadata(client, url, answer, result)
    return result


# ---------------------------------------------------------------- streamable HTTP


async def list_tools_http(client: Client, base_url: str, path: str = "/mcp",
                          headers: dict[str, str] | None = None, tools: bool = True, *,
                          era: str | None = None) -> McpResult:
    """server/discover then tools/list (modern), else initialize then tools/list (legacy), over
    streamable HTTP with no credentials. `era` skips the other era's attempt where it is known
    (identification said so); `tools=False` stops a legacy conversation after initialize (the
    handshake proves access), while a modern one always lists: it has no handshake to prove it."""
    url = base_url + path
    sent = {**POST_HEADERS, **(headers or {})}
    result = McpResult(Access.UNDECIDED, "")
    if era != LEGACY and await _modern_http(client, url, sent, result):
        return result
    if era == MODERN:
        return result
    fallback = bool(result.exchanges)
    return await _legacy_http(client, url, sent, tools, result, fallback)


async def _modern_http(client: Client, url: str, sent: dict[str, str], result: McpResult) -> bool:
    """The modern attempt; True when it decided (modern, or refused), False to fall back."""
    version = MODERN_VERSION
    for attempt in range(2):  # a second time only with a version an UnsupportedProtocolVersion named
        message = discover_request(version=version)
        answer = await client.http("POST", url, headers={**sent, **modern_headers(message)}, json_body=message,
                                   stop=reply_arrived(DISCOVER_ID))
        result.exchanges.append(answer.exchange)
        if answer.status in (401, 403):
            await _closed(client, url, answer, result, "server/discover")
            return True
        reply = find_reply(answer.body, DISCOVER_ID) if answer.status is not None else None
        if reply is not None and isinstance(reply.get("result"), dict):
            break
        named = modern_error(reply)
        if named is None:  # not a modern server (or no answer): the legacy handshake decides
            result.reason = (f"server/discover: {answer.error}" if answer.error and reply is None else
                             f"server/discover answered HTTP {answer.status} without a modern reply")
            return False
        result.era = MODERN
        offered = [v for v in _supported(reply) if v != version]
        if named == "UnsupportedProtocolVersion" and offered and attempt == 0:
            version = offered[0]
            continue
        result.reason = f"server/discover answered the modern error {named} ({reply['error'].get('message', '')!s:.120})"
        return True
    status: int | None = None

    async def ask(message: dict[str, Any]) -> dict[str, Any] | None | bool:
        """POST one page; False once refused (401/403 mid-listing closes the endpoint)."""
        nonlocal status
        listing = await client.http("POST", url, headers={**sent, **modern_headers(message)}, json_body=message,
                                    stop=reply_arrived(message["id"]))
        result.exchanges.append(listing.exchange)
        status = listing.status
        if listing.status in (401, 403):
            await _closed(client, url, listing, result, "tools/list (after server/discover answered)")
            return False
        return find_reply(listing.body, message["id"]) if listing.status is not None else None

    if await _modern_tools(result, reply, ask, version) is _Paging.NO_FIRST:
        result.reason = f"server/discover answered, but tools/list answered HTTP {status} without a JSON-RPC result"
    return True  # listed, or refused mid-listing (_closed said so)


async def _legacy_http(client: Client, url: str, sent: dict[str, str], tools: bool, result: McpResult,
                       fallback: bool) -> McpResult:
    init_id = FALLBACK_INIT_ID if fallback else INIT_ID
    first = await client.http("POST", url, headers=sent, json_body=initialize_request(init_id),
                              stop=reply_arrived(init_id))
    result.exchanges.append(first.exchange)
    if first.status in (401, 403):
        return await _closed(client, url, first, result, "initialize")
    reply = find_reply(first.body, init_id) if first.status is not None else None
    if first.error and reply is None:
        result.reason = f"initialize: {first.error}"
        return result
    if reply is None or not isinstance(reply.get("result"), dict):
        result.reason = (f"initialize answered HTTP {first.status} without a JSON-RPC result"
                         if reply is None else "initialize answered a JSON-RPC error")
        return result
    _opened(result, reply)
    session_id = first.headers.get("mcp-session-id")
    if not tools:
        result.reason = "initialize answered without credentials"
        return result
    follow = dict(sent)
    if session_id:
        follow["mcp-session-id"] = session_id
    follow["mcp-protocol-version"] = str(reply["result"].get("protocolVersion", PROTOCOL_VERSION))
    note = await client.http("POST", url, headers=follow, json_body=INITIALIZED)
    result.exchanges.append(note.exchange)

    async def ask(message: dict[str, Any]) -> dict[str, Any] | None:
        listing = await client.http("POST", url, headers=follow, json_body=message, stop=reply_arrived(message["id"]))
        result.exchanges.append(listing.exchange)
        return find_reply(listing.body, message["id"])

    await _tool_pages(result, ask, _legacy_page(FALLBACK_LIST_ID if fallback else LEGACY_LIST_ID))
    result.reason = (f"initialize and tools/list answered without credentials ({_listed(result)})"
                     if result.tools else "initialize answered without credentials")
    if session_id:  # end our own session; the server forgets it (a DELETE of nothing else)
        await client.http("DELETE", url, headers={"mcp-session-id": session_id})
    return result


# ---------------------------------------------------------------- legacy HTTP+SSE transport


async def list_tools_sse(client: Client, base_url: str, path: str = "/sse",
                         headers: dict[str, str] | None = None, tools: bool = True, *,
                         era: str | None = None) -> McpResult:
    """The HTTP+SSE transport: GET the event stream, learn the POST endpoint from its `endpoint`
    event, POST server/discover (then tools/list), or initialize (then tools/list) when the
    server is not modern; replies arrive on the stream."""
    lim = client.limits
    url = base_url + path
    result = McpResult(Access.UNDECIDED, "")
    async with client.sse(url, headers=headers, timeout=lim.connect_timeout + 5 * lim.read_timeout) as stream:
        await _sse_conversation(client, stream, url, path, headers, tools, result, era)
    result.exchanges.insert(0, stream.result.exchange)
    if not result.reason:
        result.reason = "the event stream timed out"
    return result


async def _sse_conversation(client: Client, stream: EventStream, url: str, path: str,
                            headers: dict[str, str] | None, tools: bool, result: McpResult,
                            era: str | None) -> None:
    """Sets result.state and reason as the conversation decides."""
    if stream.status in (401, 403):
        result.state, result.reason = Access.CLOSED, f"the event stream was refused with HTTP {stream.status}"
        return
    if stream.status is None:
        result.reason = f"GET {path}: {stream.result.error}"
        return
    if stream.status != 200 or "text/event-stream" not in stream.result.headers.get("content-type", ""):
        result.reason = f"GET {path} answered HTTP {stream.status}, not an event stream"
        return
    endpoint = await stream.read_until(endpoint_event)
    if not endpoint:
        result.reason = "the event stream sent no endpoint event"
        return
    post_url = urljoin(url, endpoint)
    if not same_endpoint(url, post_url):
        # only this endpoint is in scope: never post where the server points
        result.reason = f"the endpoint event points off this endpoint ({endpoint[:80]})"
        return
    post_headers = {"Content-Type": "application/json", **(headers or {})}
    wait = client.limits.read_timeout

    async def ask(message: dict[str, Any]) -> dict[str, Any] | None | bool:
        """Post one message; its reply from the stream (None: none in time), False if refused."""
        extra = modern_headers(message) if "_meta" in message.get("params", {}) else {}
        sent = await client.http("POST", post_url, headers={**post_headers, **extra}, json_body=message)
        result.exchanges.append(sent.exchange)
        if sent.status in (401, 403):
            result.state, result.reason = Access.CLOSED, f"POST to the session endpoint refused ({sent.status})"
            return False
        if "id" not in message:
            return None
        try:
            async with asyncio.timeout(wait):
                return await stream.read_until(lambda body, i=message["id"]: find_reply(body, i))
        except TimeoutError:
            return None

    fallback = False
    if era != LEGACY:
        reply = await ask(discover_request())
        if reply is False:
            return
        if isinstance(reply, dict) and isinstance(reply.get("result"), dict):
            paging = await _modern_tools(result, reply, ask)
            if paging is _Paging.REFUSED:
                result.reason = f"server/discover answered, but {result.reason}"
            elif paging is _Paging.NO_FIRST:
                result.reason = "server/discover answered, but no tools/list result came on the stream"
            return
        if _modern_refusal(result, reply):
            return
        if era == MODERN:
            result.reason = "no modern reply to server/discover on the event stream"
            return
        fallback = True
    init_id = FALLBACK_INIT_ID if fallback else INIT_ID
    reply = await ask(initialize_request(init_id))
    if reply is False:
        return
    if reply is None:
        result.reason = "no reply to initialize on the event stream"
        return
    if not isinstance(reply.get("result"), dict):
        result.reason = "initialize answered a JSON-RPC error"
        return
    _opened(result, reply)
    if not tools:
        result.reason = "initialize answered without credentials"
        return
    if await ask(INITIALIZED) is False:
        result.state = Access.OPEN  # initialize answered already
        return
    list_id = FALLBACK_LIST_ID if fallback else LEGACY_LIST_ID
    if await _tool_pages(result, ask, _legacy_page(list_id)) is _Paging.REFUSED:
        result.state = Access.OPEN  # initialize answered already; the tools listed so far stand
    result.reason = f"initialize and tools/list answered without credentials ({_listed(result)})"


# ---------------------------------------------------------------- WebSocket transport


@dataclass
class _Frames:
    """Frames one socket may still read (limits.max_frames), whichever era it speaks."""

    total: int
    left: int = -1

    def __post_init__(self) -> None:
        self.left = self.total


class _Closed(Exception):
    """The socket closed during server/discover: the legacy attempt gets a socket of its own."""


async def list_tools_ws(client: Client, url: str, *, origin: str | None = None,
                        subprotocol: str | None = "mcp", era: str | None = None) -> McpResult:
    """server/discover (else initialize) then tools/list over a WebSocket (the SDK transport
    offers subprotocol `mcp`; the Claude Code IDE socket none). Frames read per socket are
    bounded by limits.max_frames, whichever era."""
    result = McpResult(Access.UNDECIDED, "")
    try:
        await _ws_session(client, url, origin, subprotocol, era, result)
    except _Closed:
        again = McpResult(Access.UNDECIDED, "", exchanges=list(result.exchanges))
        await _ws_session(client, url, origin, subprotocol, LEGACY, again, fallback=True)
        return again
    return result


async def _ws_session(client: Client, url: str, origin: str | None, subprotocol: str | None,
                      era: str | None, result: McpResult, fallback: bool = False) -> None:
    lim = client.limits
    async with client.websocket(url, origin=origin, subprotocols=[subprotocol] if subprotocol else ()) as ws:
        result.exchanges.append(ws.exchange)  # completed when the block ends
        if not ws.accepted:
            if ws.status is not None:
                result.upgrade_status = ws.status
                result.state = Access.CLOSED if ws.status in (401, 403) else Access.UNDECIDED
                result.reason = f"the upgrade was answered with HTTP {ws.status}"
            else:
                result.reason = f"the WebSocket upgrade failed ({ws.error})"
            return
        budget = _Frames(lim.max_frames)
        try:
            await _ws_conversation(ws, result, budget, lim.read_timeout, era, fallback)
        except ConnectionClosed as exc:
            result.reason = f"the server closed the WebSocket ({exc.rcvd.code if exc.rcvd else 'no close frame'})"


async def _ws_ask(ws, message: dict[str, Any], result: McpResult, budget: _Frames, wait: float):
    """Send one message; its reply, or None with result.reason saying why not."""
    await ws.send(json.dumps(message))
    if "id" not in message:
        return None
    try:
        async with asyncio.timeout(wait):
            while budget.left > 0:
                budget.left -= 1
                raw = await ws.recv()
                if isinstance(raw, bytes):
                    result.reason = "the server sent a binary frame"
                    return None
                try:
                    json.loads(raw)
                except ValueError:
                    result.reason = "the server sent a frame that is not JSON-RPC"
                    return None
                found = find_reply(raw, message["id"])
                if found is not None:
                    return found
    except TimeoutError:
        result.reason = f"no reply to {message['method']} within {wait:g} s"
        return None
    result.reason = f"no reply to {message['method']} among the first {budget.total} frames"
    return None


async def _ws_conversation(ws, result: McpResult, budget: _Frames, wait: float, era: str | None,
                           fallback: bool) -> None:
    def ask(message: dict[str, Any]) -> Awaitable[dict[str, Any] | None]:
        return _ws_ask(ws, message, result, budget, wait)

    if era != LEGACY:
        try:
            reply = await ask(discover_request())
        except ConnectionClosed:
            if era == MODERN:
                raise
            raise _Closed() from None
        if reply is not None and isinstance(reply.get("result"), dict):
            if await _modern_tools(result, reply, ask) is _Paging.NO_FIRST:
                result.reason = "server/discover answered, but tools/list did not: " + result.reason
            return
        if _modern_refusal(result, reply):
            return
        if era == MODERN or budget.left <= 0:
            return
        fallback = True
    init_id, list_id = (FALLBACK_INIT_ID, FALLBACK_LIST_ID) if fallback else (INIT_ID, LEGACY_LIST_ID)
    reply = await ask(initialize_request(init_id))
    if reply is None:
        return
    if not isinstance(reply.get("result"), dict):
        result.reason = "initialize answered a JSON-RPC error"
        return
    _opened(result, reply)
    await ask(INITIALIZED)
    await _tool_pages(result, ask, _legacy_page(list_id))
    result.reason = f"initialize and tools/list answered without credentials ({_listed(result)})"
