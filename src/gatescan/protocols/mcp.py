"""Minimal MCP client: `initialize`, `notifications/initialized`, `tools/list`, nothing else.

It proves whether an MCP server answers without credentials and names its tools, and never
sends `tools/call` (the MCP specification's lifecycle: initialize, then tools/list). Streamable HTTP and the WebSocket transport
(subprotocol `mcp`) are spoken; replies may arrive as JSON or as an SSE `message` event on
a stream that never ends, so reading stops once our request id has answered.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urljoin

from websockets.exceptions import ConnectionClosed

from .. import __version__
from ..model import Access
from ..net.client import Client
from ..net.sse import EventStream, endpoint_event, same_endpoint

PROTOCOL_VERSION = "2025-06-18"
POST_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def initialize_request(req_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": req_id, "method": "initialize",
            "params": {"protocolVersion": PROTOCOL_VERSION, "capabilities": {},
                       "clientInfo": {"name": "gatescan", "version": __version__}}}


def tools_list_request(req_id: int = 2) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": req_id, "method": "tools/list", "params": {}}


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


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


@dataclass
class McpResult:
    state: Access  # OPEN: answered without credentials; CLOSED: refused (401/403)
    reason: str
    server_info: dict[str, Any] | None = None
    tools: list[str] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    upgrade_status: int | None = None  # a refused WebSocket upgrade's HTTP status


def _opened(result: McpResult, reply: dict[str, Any]) -> McpResult:
    result.state = Access.OPEN
    info = reply["result"].get("serverInfo")
    result.server_info = info if isinstance(info, dict) else None
    return result


async def list_tools_http(client: Client, base_url: str, path: str = "/mcp",
                          headers: dict[str, str] | None = None, tools: bool = True) -> McpResult:
    """initialize then (with `tools`) tools/list over streamable HTTP, with no credentials."""
    url = base_url + path
    sent_headers = {**POST_HEADERS, **(headers or {})}
    first = await client.http("POST", url, headers=sent_headers, json_body=initialize_request(1),
                              stop=reply_arrived(1))
    result = McpResult(Access.UNDECIDED, "", exchanges=[first.exchange])
    if first.status in (401, 403):
        auth = first.headers.get("www-authenticate", "")
        result.state, result.reason = Access.CLOSED, f"initialize refused with HTTP {first.status}" + (
            f" ({auth[:80]})" if auth else "")
        return result
    reply = find_reply(first.body, 1) if first.status is not None else None
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
    follow = dict(sent_headers)
    if session_id:
        follow["mcp-session-id"] = session_id
    follow["mcp-protocol-version"] = str(reply["result"].get("protocolVersion", PROTOCOL_VERSION))
    note = await client.http("POST", url, headers=follow, json_body=INITIALIZED)
    listing = await client.http("POST", url, headers=follow, json_body=tools_list_request(2), stop=reply_arrived(2))
    result.exchanges += [note.exchange, listing.exchange]
    result.tools = _tool_names(find_reply(listing.body, 2))
    result.reason = (f"initialize and tools/list answered without credentials ({len(result.tools)} tools)"
                     if result.tools else "initialize answered without credentials")
    if session_id:  # end our own session; the server forgets it (a DELETE of nothing else)
        await client.http("DELETE", url, headers={"mcp-session-id": session_id})
    return result


async def list_tools_sse(client: Client, base_url: str, path: str = "/sse",
                         headers: dict[str, str] | None = None, tools: bool = True) -> McpResult:
    """The legacy HTTP+SSE transport: GET the event stream, learn the POST endpoint from its
    `endpoint` event, POST initialize (and tools/list); replies arrive on the stream."""
    lim = client.limits
    url = base_url + path
    result = McpResult(Access.UNDECIDED, "")
    replies: dict[int, dict] = {}
    async with client.sse(url, headers=headers, timeout=lim.connect_timeout + 3 * lim.read_timeout) as stream:
        await _sse_conversation(client, stream, url, path, headers, tools, result, replies)
    result.exchanges.insert(0, stream.result.exchange)
    if result.reason:  # decided on the stream
        return result
    if 1 not in replies:  # cut short by the stream's deadline; after initialize it still proves it
        result.reason = "the event stream timed out"
        return result
    _opened(result, replies[1])
    result.tools = _tool_names(replies.get(2))
    result.reason = (f"initialize and tools/list answered without credentials ({len(result.tools)} tools)"
                     if tools else "initialize answered without credentials")
    return result


async def _sse_conversation(client: Client, stream: EventStream, url: str, path: str,
                            headers: dict[str, str] | None, tools: bool, result: McpResult,
                            replies: dict[int, dict]) -> None:
    """Sets result.state/reason when the stream decides early; fills `replies` otherwise."""
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
    steps = [initialize_request(1)] + ([INITIALIZED, tools_list_request(2)] if tools else [])
    for msg in steps:
        sent = await client.http("POST", post_url, headers=post_headers, json_body=msg)
        result.exchanges.append(sent.exchange)
        if sent.status in (401, 403):
            result.state, result.reason = Access.CLOSED, f"POST to the session endpoint refused ({sent.status})"
            return
        if "id" in msg:
            reply = await stream.read_until(lambda body, i=msg["id"]: find_reply(body, i))
            if reply is None:
                result.reason = f"no reply to {msg['method']} on the event stream"
                return
            replies[msg["id"]] = reply
            if msg["id"] == 1 and not isinstance(reply.get("result"), dict):
                result.reason = "initialize answered a JSON-RPC error"
                return


async def list_tools_ws(client: Client, url: str, *, origin: str | None = None,
                        subprotocol: str | None = "mcp") -> McpResult:
    """initialize then tools/list over a WebSocket (the SDK transport offers subprotocol `mcp`;
    the Claude Code IDE socket none)."""
    lim = client.limits
    result = McpResult(Access.UNDECIDED, "")
    async with client.websocket(url, origin=origin, subprotocols=[subprotocol] if subprotocol else ()) as ws:
        result.exchanges.append(ws.exchange)  # completed when the block ends
        if not ws.accepted:
            if ws.status is not None:
                result.upgrade_status = ws.status
                result.state = Access.CLOSED if ws.status in (401, 403) else Access.UNDECIDED
                result.reason = f"the upgrade was answered with HTTP {ws.status}"
            else:
                result.reason = f"the WebSocket upgrade failed ({ws.error})"
            return result
        try:
            async with asyncio.timeout(lim.read_timeout):
                replies = await _ws_conversation(ws, result, lim.max_frames)
        except TimeoutError:
            result.reason = f"no JSON-RPC reply within {lim.read_timeout:g} s"
            return result
        except ConnectionClosed as exc:
            result.reason = f"the server closed the WebSocket ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
            return result
    if replies is not None:
        _opened(result, replies[1])
        result.tools = _tool_names(replies.get(2))
        result.reason = f"initialize and tools/list answered without credentials ({len(result.tools)} tools)"
    return result


async def _ws_conversation(ws, result: McpResult, max_frames: int) -> dict[int, dict] | None:
    """The replies to initialize and tools/list, or None with result.reason saying why not."""
    replies: dict[int, dict] = {}
    for msg in (initialize_request(1), INITIALIZED, tools_list_request(2)):
        await ws.send(json.dumps(msg))
        if "id" not in msg:
            continue
        for _ in range(max_frames):  # frames read while waiting for this reply
            if msg["id"] in replies:
                break
            raw = await ws.recv()
            if isinstance(raw, bytes):
                result.reason = "the server sent a binary frame"
                return None
            try:
                json.loads(raw)
            except ValueError:
                result.reason = "the server sent a frame that is not JSON-RPC"
                return None
            found = find_reply(raw, msg["id"])
            if found is not None:
                replies[msg["id"]] = found
        if msg["id"] not in replies:
            result.reason = f"no reply to {msg['method']} among the first {max_frames} frames"
            return None
        if msg["id"] == 1 and not isinstance(replies[1].get("result"), dict):
            result.reason = "initialize answered a JSON-RPC error"
            return None
    return replies


def _tool_names(reply: dict[str, Any] | None) -> list[str]:
    if not reply or not isinstance(reply.get("result"), dict):
        return []
    tools = reply["result"].get("tools")
    if not isinstance(tools, list):
        return []
    return [str(t.get("name"))[:80] for t in tools[:200] if isinstance(t, dict) and t.get("name")]
