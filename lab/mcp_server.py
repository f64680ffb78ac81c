"""Generic MCP server twins: streamable HTTP, legacy HTTP+SSE and WebSocket (subprotocol `mcp`).

Facts: the MCP python-sdk source (57394b0 + v1.22.0/v1.23.0
server.py, streamable_http.py, transport_security.py, auth/middleware/bearer_auth.py [SRC];
websocket.py before 1.28.1 [SRC, GHSA-vj7q-gjh5-988w]); the wire details (status codes, SSE
framing, error texts) were checked against the real `mcp` 2.3.0 MCPServer under uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import uuid

from aiohttp import web

from .base import LabService, answer_jsonrpc_frames, app_service, is_loopback_name

_PROTOCOLS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
_LATEST = "2025-06-18"
_JSON = "application/json"

_TOOLS = [
    {"name": "search_notes", "description": "Full-text search over the team notes.",
     "inputSchema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}},
    {"name": "read_file", "description": "Read a file from the notes directory.",
     "inputSchema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}},
]


class _Rpc:
    """The JSON-RPC side every transport shares: initialize, ping, tools/list and nothing else."""

    def __init__(self, name: str, version: str):
        self.server_info = {"name": name, "version": version}

    def answer(self, msg) -> dict | None:
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0" or "method" not in msg:
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}
        if "id" not in msg:
            return None  # a notification (notifications/initialized ...)
        method, rid = msg["method"], msg["id"]
        if method == "initialize":
            asked = (msg.get("params") or {}).get("protocolVersion")
            result = {
                "capabilities": {"prompts": {"listChanged": False}, "resources": {"listChanged": False, "subscribe": False},
                                 "tools": {"listChanged": False}},
                "protocolVersion": asked if asked in _PROTOCOLS else _LATEST,
                "serverInfo": self.server_info,
            }
        elif method == "ping":
            result = {}
        elif method == "tools/list":
            result = {"tools": _TOOLS}
        elif method in ("resources/list", "prompts/list"):
            result = {method.split("/")[0]: []}
        else:
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "Method not found"}}
        return {"jsonrpc": "2.0", "id": rid, "result": result}


def _sse_event(doc: dict) -> bytes:
    # sse-starlette frames with CRLF (verified on mcp 2.3.0).
    return b"event: message\r\ndata: " + json.dumps(doc, separators=(",", ":")).encode() + b"\r\n\r\n"


def _jsonrpc_error(status: int, code: int, message: str, *, session: str | None = None) -> web.Response:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
    headers = {"mcp-session-id": session} if session else {}
    return web.Response(status=status, text=json.dumps(body, separators=(",", ":")), content_type=_JSON, headers=headers)


def _rebinding_check(enabled: bool, *, origins: bool = True):
    """TransportSecuritySettings on a localhost bind (py-sdk >= 1.23.0): Host, then Origin.

    The SDK allows hosts 127.0.0.1:*, localhost:*, [::1]:* (a port is required: 421 without);
    the lab listens on other 127.x addresses, so every 127.x counts as 127.0.0.1 here.
    `origins=False`: the Host list alone (an Origin allowlist left open), so only the Host of a
    rebinding request can refuse it.
    """

    def host_ok(host: str) -> bool:
        name, sep, port = host.rpartition(":")
        return bool(sep) and port.isdigit() and (name in ("localhost", "[::1]") or name.startswith("127."))

    def origin_ok(origin: str | None) -> bool:
        if origin is None:
            return True  # no Origin: not a browser, passes
        scheme, _, rest = origin.partition("://")
        return scheme == "http" and host_ok(rest)

    def check(request: web.Request) -> web.Response | None:
        # the SDK turns the protection on by default for a localhost bind only
        bound = (request.transport.get_extra_info("sockname") or ("127.0.0.1",))[0] if request.transport else "127.0.0.1"
        if not enabled or not is_loopback_name(bound):
            return None
        if not host_ok(request.headers.get("Host", "")):
            return web.Response(status=421, text="Invalid Host header")
        if origins and not origin_ok(request.headers.get("Origin")):
            return web.Response(status=403, text="Invalid Origin header")
        return None

    return check


_BARE = "X-Lab-Bare"  # a response uvicorn sends without its server header


def _uvicorn(app: web.Application) -> web.Application:
    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.popall("Server", None)
        if response.headers.popall(_BARE, None) is None:
            response.headers["server"] = "uvicorn"

    app.on_response_prepare.append(on_prepare)
    return app


def _streamable_app(rpc: _Rpc, *, protected: bool, oauth: bool, origins: bool = True) -> web.Application:
    sessions: set[str] = set()
    rebinding = _rebinding_check(protected, origins=origins)

    async def post(request: web.Request) -> web.StreamResponse:
        if oauth and request.headers.get("Authorization") != "Bearer lab-token":
            # RequireAuthMiddleware: 401 + RFC 9728 resource metadata, before any transport work.
            meta = f"http://{request.host}/.well-known/oauth-protected-resource/mcp"
            body = json.dumps({"error": "invalid_token", "error_description": "Authentication required"})
            return web.Response(status=401, text=body, content_type=_JSON, headers={
                "WWW-Authenticate": f'Bearer error="invalid_token", error_description="Authentication required", '
                                    f'resource_metadata="{meta}"'})
        refused = rebinding(request)
        if refused is not None:
            return refused
        accept = request.headers.get("Accept", "")
        if accept and not ("application/json" in accept and "text/event-stream" in accept) and "*/*" not in accept:
            return _jsonrpc_error(406, -32600, "Not Acceptable: Client must accept both application/json and "
                                               "text/event-stream")
        if not request.headers.get("Content-Type", "").startswith(_JSON):
            return web.Response(status=400, text="Invalid Content-Type header")
        try:
            msg = json.loads(await request.content.read(65536))
        except ValueError:
            return _jsonrpc_error(400, -32700, "Parse error")
        session = request.headers.get("mcp-session-id")
        if isinstance(msg, dict) and msg.get("method") == "initialize":
            session = uuid.uuid4().hex
            sessions.add(session)
        elif session not in sessions:
            return _jsonrpc_error(400, -32600, "Bad Request: Missing session ID" if session is None
                                  else "Not Found: Session not found")
        reply = rpc.answer(msg)
        if reply is None:
            return web.Response(status=202, headers={"mcp-session-id": session})
        stream = web.StreamResponse(status=200, headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform",
            "mcp-session-id": session, "x-accel-buffering": "no"})
        await stream.prepare(request)
        await stream.write(_sse_event(reply))
        await stream.write_eof()
        return stream

    async def get(request: web.Request) -> web.Response:
        if oauth and request.headers.get("Authorization") != "Bearer lab-token":
            return web.Response(status=401, text=json.dumps({"error": "invalid_token",
                                                             "error_description": "Authentication required"}),
                                content_type=_JSON)
        refused = rebinding(request)
        if refused is not None:
            return refused
        if "text/event-stream" not in request.headers.get("Accept", ""):
            return _jsonrpc_error(406, -32600, "Not Acceptable: Client must accept text/event-stream")
        return _jsonrpc_error(400, -32600, "Bad Request: Missing session ID")

    async def delete(request: web.Request) -> web.Response:
        sessions.discard(request.headers.get("mcp-session-id", ""))
        return web.Response(status=200)

    async def resource_metadata(request: web.Request) -> web.Response:
        doc = {"resource": f"http://{request.host}/mcp", "authorization_servers": ["http://127.0.0.1:9000/"],
               "bearer_methods_supported": ["header"]}
        return web.Response(text=json.dumps(doc), content_type=_JSON)

    async def redirect(request: web.Request) -> web.Response:
        # Starlette's trailing-slash redirect (verified: POST /mcp/ -> 307 to /mcp).
        return web.Response(status=307, headers={"location": f"http://{request.host}/mcp"})

    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, text="Not Found")

    app = web.Application()
    app.router.add_post("/mcp", post)
    app.router.add_get("/mcp", get)
    app.router.add_delete("/mcp", delete)
    app.router.add_route("*", "/mcp/", redirect)
    if oauth:
        app.router.add_get("/.well-known/oauth-protected-resource/mcp", resource_metadata)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return _uvicorn(app)


def _sse_app(rpc: _Rpc) -> web.Application:
    """SseServerTransport (py-sdk 1.x, no TransportSecuritySettings): GET /sse, POST /messages/."""
    queues: dict[str, asyncio.Queue] = {}

    async def sse(request: web.Request) -> web.StreamResponse:
        session = uuid.uuid4().hex
        queue: asyncio.Queue = asyncio.Queue(maxsize=64)
        queues[session] = queue
        stream = web.StreamResponse(status=200, headers={
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "x-accel-buffering": "no"})
        await stream.prepare(request)
        try:
            await stream.write(f"event: endpoint\r\ndata: /messages/?session_id={session}\r\n\r\n".encode())
            while True:
                try:
                    reply = await asyncio.wait_for(queue.get(), 15.0)
                except asyncio.TimeoutError:
                    await stream.write(b": ping\r\n\r\n")
                    continue
                await stream.write(_sse_event(reply))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            queues.pop(session, None)
        return stream

    async def messages(request: web.Request) -> web.Response:
        session = request.query.get("session_id")
        if not session:
            return web.Response(status=400, text="session_id is required")
        queue = queues.get(session)
        if queue is None:
            return web.Response(status=404, text="Could not find session")
        try:
            msg = json.loads(await request.content.read(65536))
        except ValueError:
            return web.Response(status=400, text="Could not parse message")
        reply = rpc.answer(msg)
        if reply is not None and not queue.full():
            queue.put_nowait(reply)
        return web.Response(status=202, text="Accepted")

    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, text="Not Found")

    app = web.Application()
    app.router.add_get("/sse", sse)
    app.router.add_post("/messages/", messages)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return _uvicorn(app)


def _ws_app(rpc: _Rpc) -> web.Application:
    """websocket_server (py-sdk < 1.28.1): accept(subprotocol="mcp") with no Host or Origin check."""

    async def ws_handler(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=("mcp",), heartbeat=None, max_msg_size=65536)
        if not ws.can_prepare(request).ok:
            return web.Response(status=404, text="Not Found")
        # Starlette's accept(subprotocol="mcp") names it even to a client that offered none
        # (verified on mcp 1.27.0: a strict client then refuses the handshake).
        ws.headers["Sec-WebSocket-Protocol"] = "mcp"
        await ws.prepare(request)
        await answer_jsonrpc_frames(ws, rpc.answer, {
            "jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
        return ws

    async def not_found(request: web.Request) -> web.Response:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            # uvicorn refuses an upgrade no route takes: 403, empty, no server header (verified).
            return web.Response(status=403, text="", headers={_BARE: "1"})
        return web.Response(status=404, text="Not Found")

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return _uvicorn(app)


SERVICES = [
    # A FastMCP server on py-sdk 1.22.0 (before CVE-2025-66416's fix): streamable HTTP on /mcp,
    # no auth, no Host/Origin validation, so a rebinding page can list and call its tools.
    LabService(
        key="mcp-server-vulnerable",
        product="mcp-server",
        version="1.4.0",
        twin="vulnerable",
        port=8000,
        expected=("auth.missing", "http.host.unchecked"),
        start=app_service(lambda: _streamable_app(_Rpc("team-notes", "1.4.0"), protected=False, oauth=False)),
        notes="MCP streamable HTTP (py-sdk 1.22 era): no auth, no Host/Origin check",
    ),
    # The same server on the legacy HTTP+SSE transport (GET /sse, POST /messages/).
    LabService(
        key="mcp-server-sse-vulnerable",
        product="mcp-server",
        version="0.9.2",
        twin="vulnerable",
        port=8000,
        expected=("auth.missing", "http.host.unchecked"),
        start=app_service(lambda: _sse_app(_Rpc("legacy-notes", "0.9.2"))),
        notes="MCP legacy HTTP+SSE (py-sdk 1.22 era): no auth, no Host/Origin check",
    ),
    # The deprecated WebSocket transport (subprotocol mcp) before 1.28.1 (CVE-2026-59950):
    # any page can open it.
    LabService(
        key="mcp-server-ws-vulnerable",
        product="mcp-server",
        version="2.1.0",
        twin="vulnerable",
        port=8000,
        expected=("auth.missing", "ws.origin.unchecked"),
        start=app_service(lambda: _ws_app(_Rpc("ws-notes", "2.1.0"))),
        notes="MCP over WebSocket, subprotocol mcp (py-sdk < 1.28.1): no auth, any Origin",
    ),
    # No auth, but the Host allowlist of DNS-rebinding protection on (any Origin passes): a
    # rebinding page is refused by its Host alone, 421.
    LabService(
        key="mcp-server-host-checked",
        product="mcp-server",
        version="1.4.0",
        twin="vulnerable",
        port=8000,
        expected=("auth.missing",),
        start=app_service(lambda: _streamable_app(_Rpc("team-notes", "1.4.0"), protected=True, oauth=False,
                                                  origins=False)),
        notes="MCP streamable HTTP, no auth, Host checked but any Origin allowed",
    ),
    # OAuth-protected (RFC 9728 resource metadata in WWW-Authenticate) and, on its localhost
    # bind, DNS-rebinding protection as py-sdk >= 1.23.0 enables by default. The version sits
    # behind the token, so identification names the product only.
    LabService(
        key="mcp-server-hardened",
        product="mcp-server",
        version=None,
        twin="hardened",
        version_observable=False,
        port=8000,
        expected=(),
        start=app_service(lambda: _streamable_app(_Rpc("team-notes", "1.4.0"), protected=True, oauth=True)),
        notes="MCP streamable HTTP behind OAuth, Host/Origin validated (py-sdk >= 1.23 defaults)",
    ),
]
