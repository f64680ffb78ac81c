"""Goose `goose serve` twins: the Agent Client Protocol (ACP) endpoint with its token requirement
off, and with the default random secret.

Facts (aaif-goose/goose, formerly block/goose; twin only, no package registry ships goose):
- `crates/goose-cli/src/cli.rs` (18a7b72): `goose serve --host 127.0.0.1 --port 3284` by
  default; the secret is GOOSE_SERVER__SECRET_KEY or, when unset, a fresh random
  `goose-acp-<32 alphanumerics>` (older builds defaulted to `goose-acp-local`, per third-party
  analyses of the CLI; not re-checked). Workspace version 1.50.0 (Cargo.toml 00ae46d).
- `crates/goose/src/acp/transport/mod.rs` (6755377): ACP over HTTP and WebSocket at `/acp`
  (agent-client-protocol-http); `/health` and `/status` answer `ok` with CORS allowing any
  origin; `create_router(..., require_token, ...)` puts `/acp` behind `check_acp_token`
  (`X-Secret-Key` header or `?token=`, else 401 with an empty body) unless the token
  requirement is off; a CORS layer outside the auth answers preflights itself, granting
  loopback origins and the headers `x-secret-key`, `acp-connection-id`, `acp-session-id`; a
  WebSocket upgrade whose Origin is not loopback (or, with a token, `null`/`file://`) gets 403.
- ACP's `initialize` result carries `protocolVersion`, `agentCapabilities`, `authMethods` and
  `agentInfo {name, version}` (agent-client-protocol schema); the twin answers it as JSON with
  an `acp-connection-id` header (the HTTP transport's framing was not checked against a real
  goose: the check's rule holds for JSON and SSE alike).
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from urllib.parse import urlsplit

from aiohttp import web

from .base import LabService, answer_jsonrpc_frames, app_service, strip_server_header

_SECRET = "goose-acp-Lab0Secret0Never0Sent0By0Scanner0x"
_ALLOW_HEADERS = ("content-type,accept,x-secret-key,acp-connection-id,acp-session-id,sec-websocket-version,"
                  "sec-websocket-key,connection,upgrade")


def _loopback_origin(origin: str) -> bool:
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _initialize_result(version: str) -> dict:
    return {"protocolVersion": 1,
            "agentCapabilities": {"loadSession": True, "promptCapabilities": {"image": True, "embeddedContext": True}},
            "authMethods": [], "agentInfo": {"name": "goose", "version": version}}


def _app(version: str, *, require_token: bool) -> web.Application:
    def allowed(origin: str) -> bool:
        return _loopback_origin(origin) or (require_token and origin in ("null", "file://"))

    @web.middleware
    async def layers(request: web.Request, handler):
        origin = request.headers.get("Origin")
        if request.path != "/acp":  # aux routes: CORS allows any origin
            response = await handler(request)
            if origin is not None:
                response.headers["Access-Control-Allow-Origin"] = "*"
            return response
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            headers = {"Access-Control-Allow-Methods": "GET,POST,DELETE,OPTIONS",
                       "Access-Control-Allow-Headers": _ALLOW_HEADERS, "Vary": "origin"}
            if origin is not None and allowed(origin):
                headers["Access-Control-Allow-Origin"] = origin
            return web.Response(status=200, headers=headers)
        if require_token and request.headers.get("X-Secret-Key") != _SECRET and request.query.get("token") != _SECRET:
            return web.Response(status=401)
        response = await handler(request)
        if origin is not None and allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "acp-connection-id,acp-session-id"
        return response

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok", content_type="text/plain", charset="utf-8")

    def answer(msg):
        if not isinstance(msg, dict) or "id" not in msg:
            return None
        if msg.get("method") == "initialize":
            return {"jsonrpc": "2.0", "id": msg["id"], "result": _initialize_result(version)}
        return {"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "Method not found"}}

    async def acp(request: web.Request) -> web.StreamResponse:
        if request.method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket":
            origin = request.headers.get("Origin")
            if origin is not None and not allowed(origin):
                return web.Response(status=403)
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            await answer_jsonrpc_frames(ws, answer, {"jsonrpc": "2.0", "id": None,
                                                     "error": {"code": -32700, "message": "Parse error"}})
            return ws
        if request.method == "POST":
            try:
                msg = await request.json()
            except ValueError:
                return web.json_response({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}},
                                         status=400)
            if isinstance(msg, dict) and msg.get("method") == "initialize":
                return web.Response(text=json.dumps(answer(msg)), content_type="application/json",
                                    headers={"acp-connection-id": str(uuid.uuid4())})
            return web.Response(status=400, text="missing Acp-Connection-Id")
        if "text/event-stream" not in request.headers.get("Accept", ""):
            return web.Response(status=406)
        return web.Response(status=400, text="missing Acp-Connection-Id")

    app = web.Application(middlewares=[layers])
    app.router.add_get("/health", ok)
    app.router.add_get("/status", ok)
    app.router.add_route("*", "/acp", acp)
    return strip_server_header(app)  # axum names no server


SERVICES = [
    LabService(key="goose-vulnerable", product="goose", version="1.50.0", twin="vulnerable", port=3284,
               expected=("auth.missing",), start=app_service(lambda: _app("1.50.0", require_token=False)),
               notes="goose serve with the /acp token requirement off"),
    LabService(key="goose-hardened", product="goose", version="1.50.0", twin="hardened", port=3284,
               expected=(), version_observable=False,
               start=app_service(lambda: _app("1.50.0", require_token=True)),
               notes="goose serve defaults: /acp needs the random X-Secret-Key"),
]
