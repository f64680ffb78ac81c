"""Minimal MCP client: `initialize`, `notifications/initialized`, `tools/list`, nothing else.

It proves whether an MCP server answers without credentials and names its tools, and never
sends `tools/call` (products.md §1.5). Streamable HTTP and the WebSocket transport
(subprotocol `mcp`) are spoken; replies may arrive as JSON or as an SSE `message` event on
a stream that never ends, so reading stops once our request id has answered.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable
from urllib.parse import urljoin, urlsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from .. import __version__
from ..net.client import insecure_tls_context
from ..net.ws import connect_here as ws_connect

PROTOCOL_VERSION = "2025-06-18"
POST_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}

OPEN, CLOSED, UNDECIDED = "open", "closed", "undecided"


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
    state: str  # OPEN / CLOSED / UNDECIDED
    reason: str
    server_info: dict[str, Any] | None = None
    tools: list[str] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    probes: int = 0


# `send(method, url, headers=, json_body=, stop=)` is the caller's bounded HTTP exchange (the
# checks' httpio.request): it returns an answer with status, headers (lower-cased), body, error
# and `exchange` (the trimmed evidence). `limits` carries connect_timeout, read_timeout,
# max_body, excerpt, user_agent and count() (a CheckContext).
Send = Callable[..., Awaitable[Any]]


async def list_tools_http(send: Send, session, limits, base_url: str, path: str = "/mcp",
                          headers: dict[str, str] | None = None, tools: bool = True) -> McpResult:
    """initialize then (with `tools`) tools/list over streamable HTTP, with no credentials."""
    url = base_url + path
    sent_headers = {**POST_HEADERS, **(headers or {})}
    init = initialize_request(1)
    first = await send("POST", url, headers=sent_headers, json_body=init,
                          stop=reply_arrived(1))
    result = McpResult(UNDECIDED, "", exchanges=[first.exchange], probes=1)
    if first.status in (401, 403):
        auth = first.headers.get("www-authenticate", "")
        result.state, result.reason = CLOSED, f"initialize refused with HTTP {first.status}" + (
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
    result.state = OPEN
    info = reply["result"].get("serverInfo")
    result.server_info = info if isinstance(info, dict) else None
    session_id = first.headers.get("mcp-session-id")
    if not tools:
        result.reason = "initialize answered without credentials"
        return result
    follow = dict(sent_headers)
    if session_id:
        follow["mcp-session-id"] = session_id
    follow["mcp-protocol-version"] = str(reply["result"].get("protocolVersion", PROTOCOL_VERSION))
    note = await send("POST", url, headers=follow, json_body=INITIALIZED)
    listing = await send("POST", url, headers=follow, json_body=tools_list_request(2),
                            stop=reply_arrived(2))
    result.exchanges += [note.exchange, listing.exchange]
    result.probes += 2
    result.tools = _tool_names(find_reply(listing.body, 2))
    result.reason = (f"initialize and tools/list answered without credentials ({len(result.tools)} tools)"
                     if result.tools else "initialize answered without credentials")
    if session_id:  # end our own session; the server forgets it (a DELETE of nothing else)
        bye = await send("DELETE", url, headers={"mcp-session-id": session_id})
        result.probes += 1
        del bye
    return result


async def list_tools_sse(send: Send, session, limits, base_url: str, path: str = "/sse",
                         headers: dict[str, str] | None = None, tools: bool = True) -> McpResult:
    """The legacy HTTP+SSE transport: GET the event stream, learn the POST endpoint from its
    `endpoint` event, POST initialize (and tools/list); replies arrive on the stream."""
    import aiohttp

    ctx = limits
    url = base_url + path
    get_headers = {"Accept": "text/event-stream", "User-Agent": ctx.user_agent, **(headers or {})}
    stream_record: dict[str, Any] = {"request": {"method": "GET", "url": url, "headers": get_headers},
                                     "response": None}
    result = McpResult(UNDECIDED, "", exchanges=[stream_record], probes=1)
    ctx.count()
    seen = bytearray()
    replies: dict[int, dict] = {}

    async def read_until(predicate) -> Any:
        while len(seen) < ctx.max_body:
            found = predicate(bytes(seen))
            if found is not None:
                return found
            chunk = await resp.content.readany()
            if not chunk:
                return predicate(bytes(seen))
            seen.extend(chunk[: ctx.max_body - len(seen)])
        return predicate(bytes(seen))

    try:
        async with asyncio.timeout(ctx.connect_timeout + 3 * ctx.read_timeout):
            async with session.get(url, headers=get_headers, allow_redirects=False,
                                   timeout=aiohttp.ClientTimeout(total=None, sock_connect=ctx.connect_timeout)
                                   ) as resp:
                kept = {k.lower(): v for k, v in resp.headers.items() if k.lower() in _KEPT}
                stream_record["response"] = {"status": resp.status, "headers": kept}
                if resp.status in (401, 403):
                    result.state, result.reason = CLOSED, f"the event stream was refused with HTTP {resp.status}"
                    return result
                if resp.status != 200 or "text/event-stream" not in resp.headers.get("Content-Type", ""):
                    result.reason = f"GET {path} answered HTTP {resp.status}, not an event stream"
                    return result
                endpoint = await read_until(_endpoint_event)
                if not endpoint:
                    result.reason = "the event stream sent no endpoint event"
                    return result
                post_url = urljoin(url, endpoint)
                here, there = urlsplit(base_url), urlsplit(post_url)
                if (there.scheme, there.hostname, there.port) != (here.scheme, here.hostname, here.port):
                    # only this endpoint is in scope: never post where the server points
                    result.reason = f"the endpoint event points off this endpoint ({endpoint[:80]})"
                    return result
                post_headers = {"Content-Type": "application/json", **(headers or {})}
                steps = [initialize_request(1)] + ([INITIALIZED, tools_list_request(2)] if tools else [])
                for msg in steps:
                    sent = await send("POST", post_url, headers=post_headers, json_body=msg)
                    result.exchanges.append(sent.exchange)
                    result.probes += 1
                    if sent.status in (401, 403):
                        result.state, result.reason = CLOSED, f"POST to the session endpoint refused ({sent.status})"
                        return result
                    if "id" in msg:
                        reply = await read_until(lambda body, i=msg["id"]: find_reply(body, i))
                        if reply is None:
                            result.reason = f"no reply to {msg['method']} on the event stream"
                            return result
                        replies[msg["id"]] = reply
                        if msg["id"] == 1 and not isinstance(reply.get("result"), dict):
                            result.reason = "initialize answered a JSON-RPC error"
                            return result
    except TimeoutError:
        if 1 not in replies:  # a timeout after initialize answered still proves it
            result.reason = result.reason or "the event stream timed out"
            return result
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        result.reason = f"{type(exc).__name__}: {exc}"[:200]
        return result
    finally:
        if stream_record["response"] is not None:
            stream_record["response"]["body"] = bytes(seen).decode("utf-8", "replace")[:ctx.excerpt]
    result.state = OPEN
    info = replies[1]["result"].get("serverInfo")
    result.server_info = info if isinstance(info, dict) else None
    result.tools = _tool_names(replies.get(2))
    result.reason = (f"initialize and tools/list answered without credentials ({len(result.tools)} tools)"
                     if tools else "initialize answered without credentials")
    return result


_KEPT = ("content-type", "www-authenticate", "access-control-allow-origin", "server")


def _endpoint_event(body: bytes) -> str | None:
    text = body.decode("utf-8", "replace").replace("\r\n", "\n")
    for event in text.split("\n\n")[:-1]:  # complete events only
        lines = event.split("\n")
        if any(line.strip() == "event: endpoint" or line.strip() == "event:endpoint" for line in lines):
            for line in lines:
                if line.startswith("data:"):
                    return line[5:].strip()[:500]
    return None


async def list_tools_ws(url: str, *, origin: str | None = None, open_timeout: float = 3.0,
                        reply_timeout: float = 5.0, max_frame: int = 256 * 1024, max_frames: int = 16,
                        excerpt: int = 400, subprotocol: str | None = "mcp") -> McpResult:
    """initialize then tools/list over a WebSocket (the SDK transport offers subprotocol `mcp`;
    the Claude Code IDE socket none)."""
    exchange: dict[str, Any] = {"request": {"websocket": url, "subprotocol": subprotocol,
                                            "origin": origin or "(none)", "frames_sent": []},
                                "response": None}
    result = McpResult(UNDECIDED, "", exchanges=[exchange], probes=1)
    try:
        async with asyncio.timeout(open_timeout):
            ws = await ws_connect(url, subprotocols=[subprotocol] if subprotocol else None,
                                  origin=origin, compression=None,
                                  proxy=None, open_timeout=None, ping_interval=None, close_timeout=1,
                                  max_size=max_frame, max_queue=4,
                                  user_agent_header="gatescan (read-only security check)",
                                  ssl=insecure_tls_context() if url.startswith("wss:") else None)
    except InvalidStatus as exc:
        status = exc.response.status_code
        exchange["response"] = {"status": status}
        result.state = CLOSED if status in (401, 403) else UNDECIDED
        result.reason = f"the upgrade was answered with HTTP {status}"
        return result
    except (TimeoutError, InvalidHandshake, ConnectionClosed, OSError, EOFError, ValueError) as exc:
        result.reason = f"the WebSocket upgrade failed ({type(exc).__name__})"
        return result
    frames: list[str] = []
    exchange["response"] = {"status": 101, "frames": frames}
    try:
        async with asyncio.timeout(reply_timeout):
            replies = {}
            for msg in (initialize_request(1), INITIALIZED, tools_list_request(2)):
                await ws.send(json.dumps(msg))
                exchange["request"]["frames_sent"].append(json.dumps(msg)[:excerpt])
                if "id" not in msg:
                    continue
                for _ in range(max_frames):  # frames read while waiting for this reply
                    if msg["id"] in replies:
                        break
                    raw = await ws.recv()
                    if isinstance(raw, bytes):
                        result.reason = "the server sent a binary frame"
                        return result
                    frames.append(raw[:excerpt])
                    try:
                        json.loads(raw)
                    except ValueError:
                        result.reason = "the server sent a frame that is not JSON-RPC"
                        return result
                    found = find_reply(raw, msg["id"])
                    if found is not None:
                        replies[msg["id"]] = found
                if msg["id"] not in replies:
                    result.reason = f"no reply to {msg['method']} among the first {max_frames} frames"
                    return result
                if msg["id"] == 1 and not isinstance(replies[1].get("result"), dict):
                    result.reason = "initialize answered a JSON-RPC error"
                    return result
            result.state = OPEN
            info = replies[1]["result"].get("serverInfo")
            result.server_info = info if isinstance(info, dict) else None
            result.tools = _tool_names(replies.get(2))
            result.reason = f"initialize and tools/list answered without credentials ({len(result.tools)} tools)"
            return result
    except TimeoutError:
        result.reason = f"no JSON-RPC reply within {reply_timeout:g} s"
        return result
    except ConnectionClosed as exc:
        result.reason = f"the server closed the WebSocket ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
        return result
    finally:
        try:
            async with asyncio.timeout(1.5):
                await ws.close()
        except Exception:  # noqa: BLE001 - a hostile peer must not make closing raise
            ws.transport.abort()


def _tool_names(reply: dict[str, Any] | None) -> list[str]:
    if not reply or not isinstance(reply.get("result"), dict):
        return []
    tools = reply["result"].get("tools")
    if not isinstance(tools, list):
        return []
    return [str(t.get("name"))[:80] for t in tools[:200] if isinstance(t, dict) and t.get("name")]
