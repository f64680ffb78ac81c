"""OpenClaw family twins: the gateway in several eras, the browser-control and extension-relay ports.

Facts cite the openclaw/openclaw source and docs of each era (files named inline) and, for
current builds, what the real openclaw@2026.9.6 does (its answers, and its dist/ code:
relay-server, server-middleware). Each twin's
`expected` lists the check ids (docs/checks.md) an `--intrusive` scan reports on it.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from ._fake_secrets import fake
from .base import LabService, app_service, host_only, is_loopback_name, strip_server_header

# ------------------------------------------------------------------ gateway eras


@dataclass(frozen=True)
class Era:
    version: str
    brand: str  # Clawdis | Clawdbot | Moltbot | OpenClaw (title, custom element)
    protocol: int  # 3 from ≈2026.1.11, 4 from ≈2026.5 (OpenClaw's CHANGELOG.md)
    origin_policy: str  # none (≤2026.2.1) | ui-only (2026.2.2..2.24) | all (≥2026.2.25) (OpenClaw src/gateway/origin-check.ts)
    headers: str  # plain (≤2.1) | csp (2.2..2.14) | full (2.15..3.2) | current (OpenClaw's response headers by release, seen on the real openclaw@2026.9.6)
    injected: str | None  # __CLAWDBOT_/__OPENCLAW_ globals injected in index.html until ≈2.15 (OpenClaw src/gateway/server-http.ts and control-ui.ts)
    config_endpoint: str  # spa (before ≈2.15) | open (≈2.15..4.x) | auth (current: open only under auth none, seen on the real openclaw@2026.9.6)
    healthz: bool  # /health(z) JSON from 2026.3.1 (OpenClaw src/gateway/server-http.ts and control-ui.ts)
    http_origin_guard: bool  # current: POST /tools/invoke with a foreign Origin -> 401 even under auth none (seen on the real openclaw@2026.9.6)
    hello_host_commit: bool  # hello-ok server.host/commit before 2026.2.22 (OpenClaw docs/gateway/protocol.md, hello-ok)
    canvas_open: bool  # canvas unauthenticated before 2026.2.6 (OpenClaw src/gateway/server-http.ts and control-ui.ts)
    details_codes: bool  # error details.code (current, OpenClaw docs/gateway/protocol.md, frames, seen on the real openclaw@2026.9.6)
    device_less_token_ok: bool  # a correct shared token without a device gets hello-ok (old; current: empty scopes)
    build_id: str | None = None  # data-openclaw-control-ui-build-id in GET / (current, seen on the real openclaw@2026.9.6)
    # auth limiter: none (no limiter before 2026.2.13, and until 2026.2.24 only when gateway.auth.rateLimit
    # is configured: OpenClaw src/gateway/auth-rate-limit.ts) | current (seen on the real openclaw@2026.9.6:
    # 10 wrong tokens from one browser Origin, loopback included, then AUTH_RATE_LIMITED with
    # retryAfterMs ~300000; keyed per Origin; clients without an Origin are keyed by address, loopback exempt)
    rate_limit: str = "none"
    state_dir: str = "/home/u/.openclaw"


CLAWDBOT_2026_1_24 = Era(
    version="2026.1.24", brand="Clawdbot", protocol=3, origin_policy="none", headers="plain", injected="CLAWDBOT",
    config_endpoint="spa", healthz=False, http_origin_guard=False, hello_host_commit=True, canvas_open=True,
    details_codes=False, device_less_token_ok=True, state_dir="/home/u/.clawdbot",
)
MOLTBOT_2026_1_27 = replace(CLAWDBOT_2026_1_24, version="2026.1.27-beta.1", brand="Moltbot", state_dir="/home/u/.moltbot")
OPENCLAW_2026_2_24 = Era(
    version="2026.2.24", brand="OpenClaw", protocol=3, origin_policy="ui-only", headers="full", injected=None,
    config_endpoint="open", healthz=False, http_origin_guard=False, hello_host_commit=False, canvas_open=False,
    details_codes=False, device_less_token_ok=True,
)
OPENCLAW_2026_9_6 = Era(
    version="2026.9.6", brand="OpenClaw", protocol=4, origin_policy="all", headers="current", injected=None,
    config_endpoint="auth", healthz=True, http_origin_guard=True, hello_host_commit=False, canvas_open=False,
    details_codes=True, device_less_token_ok=True,
    build_id="2026.9.6-release-eb377ac59e6c-2026-09-23T16-33-12.144Z-314f5d487e3c5ae6aed7f2edbb68f93f",
    rate_limit="current",
)

# client.id enum (OpenClaw docs/gateway/protocol.md, client ids) and the ids whose Origin 2026.2.2..2.24 checked (OpenClaw src/gateway/origin-check.ts)
CLIENT_IDS = {"cli", "gateway-client", "openclaw-control-ui", "webchat", "webchat-ui", "openclaw-macos",
              "openclaw-ios", "openclaw-android", "node-host", "test", "fingerprint", "openclaw-probe"}
CURRENT_CLIENT_IDS = CLIENT_IDS | {"openclaw-tui", "openclaw-browser-copilot", "openclaw-linux", "openclaw-watchos",
                                   "openclaw-worker"}
UI_CLIENT_IDS = {"openclaw-control-ui", "webchat", "webchat-ui"}
CLIENT_MODES = {"webchat", "cli", "ui", "backend", "node", "probe", "test"}
CONNECT_KEYS = {"minProtocol", "maxProtocol", "client", "role", "scopes", "caps", "commands", "permissions",
                "pathEnv", "locale", "userAgent", "auth", "device"}
ORIGIN_REJECT = "origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)"

_CSP_2_15 = ("default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; script-src 'self'; "
             "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; img-src 'self' data: https:; "
             "font-src 'self' https://fonts.gstatic.com; connect-src 'self' ws: wss:")
_CSP_CURRENT = ("default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; frame-src 'self' http: https:; "
                "script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; "
                "img-src 'self' data: blob: https:; media-src 'self' data: blob:; font-src 'self' https://fonts.gstatic.com; "
                "worker-src 'self'; connect-src 'self' ws: wss: data:")


def _ui_headers(era: Era) -> dict[str, str]:
    h = {"Cache-Control": "no-cache"}
    if era.headers == "csp":  # 2026.2.2, commit 66d8117d44
        h.update({"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                  "X-Content-Type-Options": "nosniff"})
    elif era.headers == "full":  # ≈2026.2.15 c6e6023e3a + 2026.2.19 defaults
        h.update({"X-Frame-Options": "DENY", "Content-Security-Policy": _CSP_2_15})
    elif era.headers == "current":  # observed on 2026.9.6 (seen on the real openclaw@2026.9.6)
        h.update({"X-Frame-Options": "DENY", "Content-Security-Policy": _CSP_CURRENT,
                  "Permissions-Policy": "camera=(self), microphone=*, geolocation=*, clipboard-write=*"})
    return h


def _default_headers(era: Era) -> dict[str, str]:
    if era.headers in ("full", "current"):  # setDefaultSecurityHeaders, 2026.2.19+
        h = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
        if era.headers == "current":
            h["Permissions-Policy"] = "camera=(), microphone=(self), geolocation=()"
        return h
    return {}


def _index_html(era: Era) -> str:
    tag = era.brand.lower()
    title = f"{era.brand} Control"
    if era.build_id:  # current Control UI (seen on the real openclaw@2026.9.6: the build id names the release)
        bid = era.build_id
        return (
            f'<!doctype html>\n<html data-openclaw-control-ui-base-path="" data-openclaw-terminal-enabled="true" '
            f'data-openclaw-control-ui-build-id="{bid}" lang="en">\n  <head>\n    <meta charset="UTF-8" />\n'
            f"    <title>{title}</title>\n"
            f'    <link rel="icon" type="image/svg+xml" href="/favicon.svg?v={bid}" />\n'
            f'    <link rel="manifest" href="/manifest.webmanifest?v={bid}" crossorigin="use-credentials" />\n'
            '    <script>try{Object.keys(localStorage).filter(function(k){return k.indexOf("openclaw.control.settings.v1")===0})}catch(e){}</script>\n'
            f'  </head>\n  <body>\n    <{tag}-app></{tag}-app>\n'
            '    <section id="openclaw-mount-fallback" hidden>Control UI did not start</section>\n  </body>\n</html>\n'
        )
    icons = ('<link rel="icon" href="/favicon.ico" />' if era.brand in ("Clawdbot", "Moltbot", "Clawdis") else
             '<link rel="icon" type="image/svg+xml" href="/favicon.svg" />\n    '
             '<link rel="icon" type="image/png" sizes="32x32" href="/favicon-32.png" />\n    '
             '<link rel="apple-touch-icon" href="/apple-touch-icon.png" />')
    injected = ""
    if era.injected:  # OpenClaw src/gateway/server-http.ts and control-ui.ts: globals before </head> (Moltbot still used __CLAWDBOT_ names)
        p = era.injected
        injected = (f'<script>window.__{p}_CONTROL_UI_BASE_PATH__="";window.__{p}_ASSISTANT_NAME__="Clawd";'
                    f'window.__{p}_ASSISTANT_AVATAR__="C";</script>')
    return (
        '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n'
        '    <meta name="viewport" content="width=device-width, initial-scale=1.0" />\n'
        f"    <title>{title}</title>\n    {icons}\n"
        '    <script type="module" crossorigin src="/assets/index-lab.js"></script>\n'
        f"  {injected}</head>\n  <body>\n    <{tag}-app></{tag}-app>\n  </body>\n</html>\n"
    )


class Gateway:
    """One gateway twin: an era, an auth mode and its secret."""

    def __init__(self, era: Era, auth: str = "none", secret: str | None = None, plugins: tuple[str, ...] = ()):
        self.era, self.auth, self.secret, self.plugins = era, auth, secret, plugins
        self.started = time.time()
        self._failures: dict[str, list[float]] = {}  # limiter key -> failure times (last 60 s)
        self._locked: dict[str, float] = {}  # limiter key -> lockout end

    # -- HTTP

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        strip_server_header(app, _default_headers(self.era))
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    def _bearer_ok(self, request: web.Request) -> bool:
        if self.auth == "none":
            return True
        header = request.headers.get("Authorization", "")
        return bool(self.secret) and header == f"Bearer {self.secret}"

    def _json(self, status: int, body, **headers) -> web.Response:
        return web.Response(status=status, text=json.dumps(body, separators=(",", ":")),
                            content_type="application/json", charset="utf-8", headers=headers)

    def _unauthorized(self) -> web.Response:
        return self._json(401, {"error": {"message": "Unauthorized", "type": "unauthorized"}})

    def _spa(self) -> web.Response:
        return web.Response(text=_index_html(self.era), content_type="text/html", charset="utf-8",
                            headers=_ui_headers(self.era))

    def _foreign_origin(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return False
        o = urlsplit(origin).hostname if origin not in ("", "null") else None
        host = host_only(request.headers.get("Host"))
        return not (o and is_loopback_name(o) and o == host)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        # OpenClaw src/gateway/server-http.ts: any request carrying Upgrade: websocket goes to the WebSocket server, on any path
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.websocket(request)
        path, method = request.path, request.method
        if path == "/tools/invoke":
            if method != "POST":  # 405 before any auth check, every version (OpenClaw src/gateway/server-http.ts and control-ui.ts, seen on the real openclaw@2026.9.6)
                return web.Response(status=405, text="Method Not Allowed", headers={"Allow": "POST"},
                                    content_type="text/plain", charset="utf-8")
            if self.era.http_origin_guard and self._foreign_origin(request):
                return self._unauthorized()  # seen on the real openclaw@2026.9.6: foreign Origin -> 401 even under auth none
            if not self._bearer_ok(request):
                return self._unauthorized()
            try:
                body = await request.json()
                tool = str(body.get("tool", "")) if isinstance(body, dict) else ""
            except (ValueError, UnicodeDecodeError):
                return self._json(400, {"ok": False, "error": {"type": "invalid_request", "message": "invalid JSON"}})
            # the lab has no tools at all: every name is "not available" (OpenClaw src/gateway/tools-invoke-http.ts: 404 means auth none)
            return self._json(404, {"ok": False, "error": {"type": "not_found", "message": f"Tool not available: {tool}"}})
        if path == "/api/v1/admin/rpc" and "admin-http-rpc" in self.plugins:
            return await self._admin_rpc(request)
        if self.era.healthz and path in ("/health", "/healthz") and method in ("GET", "HEAD"):
            return self._json(200, {"ok": True, "status": "live"}, **{"Cache-Control": "no-store"})
        if self.era.healthz and path in ("/ready", "/readyz") and method in ("GET", "HEAD"):
            return self._json(200, {"ready": True}, **{"Cache-Control": "no-store"})
        if path in ("/__openclaw/control-ui-config.json", "/control-ui-config.json") and self.era.config_endpoint != "spa":
            if path == "/control-ui-config.json" and self.era.config_endpoint != "auth":
                return self._spa()  # the root alias is current-only (OpenClaw src/gateway/server-http.ts and control-ui.ts)
            if self.era.config_endpoint == "auth" and not self._bearer_ok(request):
                return self._unauthorized()
            return self._json(200, {"basePath": "", "assistantName": "Assistant", "assistantAvatar": "A",
                                    "assistantAgentId": "main", "serverVersion": self.era.version},
                              **_ui_headers(self.era))
        canvas = f"/__{self.era.brand.lower()}__/canvas"
        if path.startswith(canvas):
            if not self.era.canvas_open and not self._bearer_ok(request):
                return web.Response(status=401, text="Unauthorized", content_type="text/plain")
            return web.Response(text=f"<!doctype html><html><head><title>{self.era.brand} Canvas</title></head>"
                                     "<body></body></html>", content_type="text/html")
        if method not in ("GET", "HEAD"):
            return web.Response(status=404, text="Not Found", content_type="text/plain")
        last = path.rsplit("/", 1)[-1]
        if "." in last and self.era.headers in ("full", "current"):
            return web.Response(status=404, text="Not Found", content_type="text/plain")  # ≈2026.2.21
        return self._spa()  # SPA fallback: any extension-less path (OpenClaw src/gateway/server-http.ts and control-ui.ts)

    async def _admin_rpc(self, request: web.Request) -> web.Response:
        """The bundled, opt-in admin-http-rpc plugin (openclaw@2026.9.6 dist/extensions/admin-http-rpc):
        a route with gateway auth; non-POST 405 JSON, `commands.list` answers its method allowlist."""
        if (self.era.http_origin_guard and self._foreign_origin(request)) or not self._bearer_ok(request):
            return self._unauthorized()
        if request.method != "POST":
            return self._json(405, {"ok": False, "error": {"type": "method_not_allowed", "message": "Method Not Allowed"}},
                              Allow="POST")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return self._json(400, {"ok": False, "error": {"type": "invalid_request", "message": "request body must be valid JSON"}})
        rid = str(uuid.uuid4())
        if isinstance(body, dict) and body.get("method") == "commands.list":
            return self._json(200, {"id": rid, "ok": True, "payload": {"methods": list(ADMIN_RPC_METHODS)}},
                              **{"Cache-Control": "no-store"})
        method = body.get("method") if isinstance(body, dict) else None
        return self._json(400, {"id": rid, "ok": False, "error": {
            "code": "INVALID_REQUEST", "message": f"admin HTTP RPC method is not supported: {method}"}})

    # -- WebSocket (OpenClaw docs/gateway/protocol.md)

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=64 * 1024 if self.era.details_codes else 512 * 1024,
                                   autoping=True, heartbeat=None)
        await ws.prepare(request)
        try:
            await self._session(request, ws)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if not ws.closed:
                await ws.close()
        return ws

    async def _fail(self, ws, rid, code, message, close_code=1008, details=None, **extra) -> None:
        error = {"code": code, "message": message, **extra}
        if details and self.era.details_codes:
            error["details"] = details
        elif details and "expectedProtocol" in details:
            error["details"] = {"expectedProtocol": details["expectedProtocol"]}
        if rid is not None:
            await ws.send_str(json.dumps({"type": "res", "id": rid, "ok": False, "error": error}))
        await ws.close(code=close_code, message=message.encode()[:120])

    async def _session(self, request: web.Request, ws: web.WebSocketResponse) -> None:
        era = self.era
        # connect.challenge on open, since 2026.1.20 (OpenClaw docs/gateway/protocol.md, handshake)
        payload = {"nonce": str(uuid.uuid4()), "ts": int(time.time() * 1000)}
        if era.details_codes:
            payload["capabilities"] = ["model-catalog-snapshot"]
        await ws.send_str(json.dumps({"type": "event", "event": "connect.challenge", "payload": payload}))
        try:
            msg = await ws.receive(timeout=10.0)  # handshake timeout 10 s (OpenClaw docs/gateway/protocol.md, frames)
        except asyncio.TimeoutError:
            await ws.close(code=1008, message=b"handshake timeout")
            return
        if msg.type != WSMsgType.TEXT:
            return
        try:
            frame = json.loads(msg.data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or frame.get("type") != "req" or "id" not in frame or "method" not in frame:
            await ws.close(code=1008, message=b"invalid request frame")
            return
        rid = frame["id"]
        if frame["method"] != "connect":
            await self._fail(ws, rid, "INVALID_REQUEST", "invalid handshake: first request must be connect")
            return
        params = frame.get("params")
        problem = self._validate(params)
        if problem:
            await self._fail(ws, rid, "INVALID_REQUEST", f"invalid connect params: {problem}")
            return
        # protocol range before auth: reveals the protocol (OpenClaw docs/gateway/protocol.md, protocol range, seen on the real openclaw@2026.9.6)
        if params["maxProtocol"] < era.protocol or params["minProtocol"] > era.protocol:
            details = {"code": "PROTOCOL_MISMATCH", "clientMinProtocol": params["minProtocol"],
                       "clientMaxProtocol": params["maxProtocol"], "expectedProtocol": era.protocol}
            if era.details_codes:
                details["minimumProbeProtocol"] = 3
            await self._fail(ws, rid, "INVALID_REQUEST", "protocol mismatch", close_code=1002, details=details)
            return
        role = params.get("role", "operator")
        if role not in ("operator", "node"):
            await ws.close(code=1008, message=b"invalid role")
            return
        client = params["client"]
        if not self._origin_ok(request, client):
            await self._fail(ws, rid, "INVALID_REQUEST", ORIGIN_REJECT,
                             details={"code": "CONTROL_UI_ORIGIN_NOT_ALLOWED", "reason": "origin not allowed"})
            return
        await self._authenticate(ws, rid, params, client, request)

    RATE_WINDOW_S, RATE_MAX, RATE_LOCK_S = 60.0, 10, 300.0  # OpenClaw docs/gateway/security/rate-limiting.md

    def _limiter_key(self, request: web.Request) -> str | None:
        """The limiter bucket of this attempt, or None when it is exempt (or there is no limiter)."""
        if self.era.rate_limit == "none":
            return None
        origin = request.headers.get("Origin")
        if origin:
            return f"browser-origin:{origin}"  # no loopback exemption (2026.2.25+; per Origin since 2026.4.5)
        peer = request.remote or ""
        return None if is_loopback_name(peer) else f"ip:{peer}"

    def _throttled(self, key: str | None) -> float | None:
        """Milliseconds left of a lockout, or None."""
        if key is None:
            return None
        left = self._locked.get(key, 0.0) - time.monotonic()
        return left * 1000 if left > 0 else None

    def _failed(self, key: str | None) -> None:
        if key is None:
            return
        now = time.monotonic()
        recent = [t for t in self._failures.get(key, []) if now - t < self.RATE_WINDOW_S] + [now]
        self._failures[key] = recent
        if len(recent) >= self.RATE_MAX:
            self._locked[key] = now + self.RATE_LOCK_S

    def _validate(self, params) -> str | None:
        if not isinstance(params, dict):
            return "params must be an object"
        extra = set(params) - CONNECT_KEYS
        if extra:
            return f"unexpected property {sorted(extra)[0]!r}"
        for key in ("minProtocol", "maxProtocol"):
            if not isinstance(params.get(key), int) or isinstance(params.get(key), bool) or params[key] < 1:
                return f"{key} must be an integer >= 1"
        client = params.get("client")
        if not isinstance(client, dict):
            return "client is required"
        ids = CURRENT_CLIENT_IDS if self.era.details_codes else CLIENT_IDS
        if client.get("id") not in ids:
            return "client.id must be equal to one of the allowed values"
        if client.get("mode") not in CLIENT_MODES:
            return "client.mode must be equal to one of the allowed values"
        for key in ("version", "platform"):
            if not isinstance(client.get(key), str):
                return f"client.{key} must be a string"
        return None

    def _origin_ok(self, request: web.Request, client: dict) -> bool:
        policy = self.era.origin_policy
        if policy == "none":  # ≤2026.2.1: the Origin header was only logged (OpenClaw src/gateway/origin-check.ts)
            return True
        origin = request.headers.get("Origin")
        is_ui = client.get("id") in UI_CLIENT_IDS or client.get("mode") == "webchat"
        if policy == "ui-only" and not is_ui:
            return True  # 2026.2.2..2.24: only Control UI / webchat clients are checked
        if policy == "all" and not is_ui and origin is None:
            return True  # non-browser clients without Origin are not checked, by design
        if not origin or origin == "null":
            return False  # "origin missing or invalid"
        try:
            o = urlsplit(origin).hostname
        except ValueError:
            return False
        if not o:
            return False
        host = host_only(request.headers.get("Host"))
        if policy == "ui-only":  # same-origin Host match, or loopback Origin with a loopback Host
            return o == host or (is_loopback_name(o) and is_loopback_name(host))
        # current: no allowedOrigins, no Host fallback; a loopback Origin from a local socket
        return is_loopback_name(o)

    def _hint(self, client: dict) -> str:
        cid = client.get("id")
        if self.era.details_codes:
            return "use this gateway's gateway.auth.token or pair the device"
        if cid in ("cli", "gateway-client"):
            return "set gateway.remote.token to match gateway.auth.token"
        if cid in UI_CLIENT_IDS:
            return "open a tokenized dashboard URL or paste token in Control UI settings"
        return "provide gateway auth token"

    async def _authenticate(self, ws, rid, params, client, request) -> None:
        era, auth = self.era, params.get("auth") or {}
        device = params.get("device")
        kind = "password" if self.auth == "password" else "token"
        given = auth.get(kind) if isinstance(auth, dict) else None
        if self.auth == "none":
            if device:  # device-signed and no shared secret needed: pairing (OpenClaw docs/gateway/protocol.md, pairing)
                if era.details_codes:
                    rq = str(uuid.uuid4())
                    await self._fail(ws, rid, "NOT_PAIRED", f"pairing required: device is not approved yet (requestId: {rq})",
                                     details={"code": "PAIRING_REQUIRED", "requestId": rq})
                    return
                await self._hello(ws, rid, params, device_token=True)  # old: silent local pairing
                return
            if given and not era.details_codes:  # ≤2026.1.30: any token and no device -> hello-ok (the v2026.1.24 source)
                await self._hello(ws, rid, params)
                return
            await self._fail(ws, rid, "NOT_PAIRED", "device identity required", details={"code": "DEVICE_IDENTITY_REQUIRED"})
            return
        if given is None:
            if device:
                await self._fail(ws, rid, "INVALID_REQUEST", f"unauthorized: gateway {kind} missing ({self._hint(client)})",
                                 details={"code": f"AUTH_{kind.upper()}_MISSING"})
                return
            await self._fail(ws, rid, "NOT_PAIRED", "device identity required", details={"code": "DEVICE_IDENTITY_REQUIRED"})
            return
        key = self._limiter_key(request)
        left = self._throttled(key)
        if left is not None:
            await self._fail(ws, rid, "INVALID_REQUEST", "unauthorized: too many failed authentication attempts (retry later)",
                             details={"code": "AUTH_RATE_LIMITED"}, retryable=True, retryAfterMs=int(left))
            return
        if given != self.secret:
            self._failed(key)
            await self._fail(ws, rid, "INVALID_REQUEST", f"unauthorized: gateway {kind} mismatch ({self._hint(client)})",
                             details={"code": f"AUTH_{kind.upper()}_MISMATCH"})
            return
        await self._hello(ws, rid, params, scopes=[] if era.details_codes and not device else None)

    async def _hello(self, ws, rid, params, *, device_token: bool = False, scopes=None) -> None:
        era = self.era
        server = {"version": era.version, "connId": str(uuid.uuid4())}
        if era.hello_host_commit:  # removed in 2026.2.22 (OpenClaw docs/gateway/protocol.md, hello-ok)
            server.update(host="lab-host", commit="0000000")
        granted = scopes if scopes is not None else (params.get("scopes") or ["operator.admin"])
        payload = {
            "type": "hello-ok", "protocol": era.protocol, "server": server,
            "features": {"methods": ["health", "status", "config.get", "chat.send"], "events": ["tick", "presence"]},
            "snapshot": {"presence": [], "health": {}, "stateVersion": {"presence": 0, "health": 0},
                         "uptimeMs": int((time.time() - self.started) * 1000)},
            "policy": {"maxPayload": 524288, "maxBufferedBytes": 1572864, "tickIntervalMs": 30000},
        }
        if not era.details_codes:  # the old snapshot leaked configPath and stateDir (OpenClaw docs/gateway/protocol.md, hello-ok)
            payload["snapshot"].update(configPath=f"{era.state_dir}/{era.brand.lower()}.json", stateDir=era.state_dir)
        if device_token or era.details_codes:
            payload["auth"] = {"deviceToken": uuid.uuid4().hex if device_token else None,
                               "role": params.get("role", "operator"), "scopes": granted}
        await ws.send_str(json.dumps({"type": "res", "id": rid, "ok": True, "payload": payload}))
        # after the handshake: read-only health/status answered, everything else refused by the lab
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            try:
                req = json.loads(msg.data)
            except ValueError:
                continue
            if not isinstance(req, dict) or req.get("type") != "req":
                continue
            if req.get("method") in ("health", "status"):
                reply = {"type": "res", "id": req.get("id"), "ok": True, "payload": {"ok": True}}
            else:
                reply = {"type": "res", "id": req.get("id"), "ok": False,
                         "error": {"code": "UNAVAILABLE", "message": "not implemented by the lab twin"}}
            await ws.send_str(json.dumps(reply))


def _gateway(era: Era, auth: str = "none", secret: str | None = None, plugins: tuple[str, ...] = ()):
    return app_service(lambda: Gateway(era, auth, secret, plugins).app())


# a part of the admin-http-rpc plugin's allowlist (dist/extensions/admin-http-rpc/index.js, 2026.9.6)
ADMIN_RPC_METHODS = ("health", "status", "logs.tail", "commands.list", "config.get", "config.set", "config.apply",
                     "agents.list", "agents.create", "exec.approvals.set", "cron.add", "device.pair.approve",
                     "node.pair.approve", "tasks.list")


LAB_TOKEN = "lab-gateway-token-not-secret"  # the lab's own shared secret; printed, never a real one

# ------------------------------------------------------------------ browser control (18791)

# Current code (dist/server-middleware, 2026.9.6): express; CSRF guard (mutations with a
# non-loopback Origin/Referer or Sec-Fetch-Site cross-site -> 403 "Forbidden"), then auth
# (Bearer token or password, auto-generated) -> 401 "Unauthorized"; GET / -> status JSON.
# Older builds could run it without auth (`openclaw security audit`: browser.control_no_auth, `openclaw security audit`).


def _status_json(port: int = 18800) -> dict:
    return {"enabled": True, "profile": "openclaw", "driver": "openclaw", "transport": "cdp", "running": False,
            "cdpReady": False, "cdpHttp": False, "pageReady": False, "pid": None, "cdpPort": port,
            "cdpUrl": f"http://127.0.0.1:{port}", "chosenBrowser": None, "detectedBrowser": "chromium",
            "detectedExecutablePath": "/usr/bin/chromium", "detectError": None,
            "userDataDir": "/home/u/.openclaw/browser/openclaw/user-data", "color": "#FF4500", "headless": False,
            "headlessSource": "config", "noSandbox": False, "executablePath": None, "attachOnly": False}


# A hosted remote-CDP profile as docs/tools/browser.md configures it (`browser.defaultProfile:
# "browserless"`, `cdpUrl: "wss://production-sfo.browserless.io?token=<BROWSERLESS_API_KEY>"`):
# the status answer reports the profile's cdpUrl (the gateway's browser proxy reads
# `status.cdpUrl`), so an open browser control hands out the provider's API key. Whether the real
# status masks the token was not checked; the key here is fake.
BROWSERLESS_URL = f"wss://production-sfo.browserless.io?token={fake('bl-', 16)}"


def _remote_status_json() -> dict:
    return {**_status_json(443), "profile": "browserless", "cdpUrl": BROWSERLESS_URL, "color": "#00AA00",
            "userDataDir": None, "detectedBrowser": None, "detectedExecutablePath": None, "attachOnly": True}


def _browser_control(auth_token: str | None, csrf_guard: bool, remote_profile: bool = False):
    def factory() -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        strip_server_header(app, {"X-Powered-By": "Express"})

        async def handler(request: web.Request) -> web.StreamResponse:
            if csrf_guard and request.method in ("POST", "PUT", "PATCH", "DELETE"):
                site = request.headers.get("Sec-Fetch-Site", "").lower()
                origin = request.headers.get("Origin", "").strip() or request.headers.get("Referer", "").strip()
                bad = site == "cross-site" or (origin and not is_loopback_name(urlsplit(origin).hostname or ""))
                if bad:
                    return web.Response(status=403, text="Forbidden", content_type="text/html", charset="utf-8")
            if auth_token and request.headers.get("Authorization", "") != f"Bearer {auth_token}":
                return web.Response(status=401, text="Unauthorized", content_type="text/html", charset="utf-8")
            if request.method == "GET" and request.path == "/":
                return web.json_response(_remote_status_json() if remote_profile else _status_json())
            if request.method == "GET" and request.path == "/tabs":
                return web.json_response({"running": False, "tabs": []})
            if request.method == "GET" and request.path == "/profiles":
                profiles = [{"name": "openclaw", "cdpPort": 18800, "color": "#FF4500"}]
                if remote_profile:
                    profiles.append({"name": "browserless", "cdpPort": 443, "cdpUrl": BROWSERLESS_URL, "color": "#00AA00"})
                return web.json_response({"profiles": profiles})
            return web.Response(status=404, text=f"Cannot {request.method} {request.path}", content_type="text/html")

        app.router.add_route("*", "/{tail:.*}", handler)
        return app

    return app_service(factory)


# ------------------------------------------------------------------ extension relay (18792)


def _relay(legacy_open: bool):
    """legacy_open: the Jan-2026 relay (no auth; /json/version says OpenClaw/extension-relay, OpenClaw's docs, gateway ports).
    Otherwise the 2026.9.6 relay (dist/relay-server): loopback Host only (403), 401 {"error":
    "Unauthorized"} without the relay token, `GET /_openclaw/relay/auth/v2/challenge` -> 400."""

    def factory() -> web.Application:
        app = web.Application(client_max_size=8192)
        strip_server_header(app)

        def reject(status: int, message: str) -> web.Response:
            return web.json_response({"error": message}, status=status, headers={"Connection": "close"})

        async def handler(request: web.Request) -> web.StreamResponse:
            port = request.url.port or 18792
            upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
            if not legacy_open:
                if not is_loopback_name(host_only(request.headers.get("Host"))):
                    return reject(403, "Forbidden")
                if upgrade:
                    if request.path == "/extension":
                        origin = request.headers.get("Origin", "")
                        return web.Response(status=403 if origin and not origin.startswith("chrome-extension://") else 401)
                    return web.Response(status=401 if request.path == "/cdp" else 404)
                if request.path == "/_openclaw/relay/auth/v2/challenge":
                    return reject(400, "Invalid relay auth sequence")
                if request.path == "/_openclaw/relay/auth/v2/complete":
                    return reject(409, "Invalid relay auth sequence")
                return reject(401, "Unauthorized")
            if upgrade and request.path in ("/cdp", "/extension"):
                if request.path == "/extension":
                    origin = request.headers.get("Origin", "")
                    if origin and not origin.startswith("chrome-extension://"):
                        return web.Response(status=403)
                ws = web.WebSocketResponse(max_msg_size=1024 * 1024)
                await ws.prepare(request)
                async for msg in ws:  # CDP over the relay: the lab has no browser attached
                    if msg.type != WSMsgType.TEXT:
                        break
                    try:
                        mid = json.loads(msg.data).get("id")
                    except (ValueError, AttributeError):
                        mid = None
                    await ws.send_str(json.dumps({"id": mid, "error": {"code": -32000, "message": "No extension attached"}}))
                return ws
            if request.method == "GET" and request.path in ("/json/version", "/json/version/"):
                return web.json_response({"Browser": "OpenClaw/extension-relay", "Protocol-Version": "1.3",
                                          "webSocketDebuggerUrl": f"ws://127.0.0.1:{port}/cdp"})
            if request.method == "GET" and request.path in ("/json", "/json/list"):
                return web.json_response([])
            return reject(404, "Not found")

        app.router.add_route("*", "/{tail:.*}", handler)
        return app

    return app_service(factory)


# ------------------------------------------------------------------ the registry

SERVICES = [
    LabService(
        key="openclaw-gateway-clawdbot-2026.1.24", product="openclaw-gateway", version="2026.1.24", twin="vulnerable",
        port=18789,
        # the v2026.1.24 source profile A: auth none (any token, no device -> hello-ok operator.admin), no Origin
        # check (≤2026.2.1), no Host check on HTTP, CVE-2026-25253 (≤2026.1.28, the CVE-2026-25253 advisory).
        # version.vulnerable rests on the Clawdbot era's band (>=2026.1.5 <2026.1.27), inside CVE-2026-25253's range.
        expected=("auth.missing", "ws.origin.unchecked", "http.host.unchecked", "version.vulnerable"),
        start=_gateway(CLAWDBOT_2026_1_24, "none"),
        notes="Clawdbot 2026.1.24, auth none, no Origin check; version only in hello-ok (era-inferred)",
        version_observable=False,
    ),
    LabService(
        key="openclaw-gateway-moltbot-2026.1.27", product="openclaw-gateway", version="2026.1.27-beta.1",
        twin="vulnerable", port=18789,
        # OpenClaw's CHANGELOG.md Moltbot era; token auth; still no Origin check (≤2026.2.1) and ≤2026.1.28 (CVE-2026-25253)
        # no auth limiter before 2026.2.13 (OpenClaw src/gateway/auth-rate-limit.ts): auth.ratelimit.missing (info over loopback)
        expected=("ws.origin.unchecked", "version.vulnerable", "auth.ratelimit.missing"),
        start=_gateway(MOLTBOT_2026_1_27, "token", LAB_TOKEN),
        notes="Moltbot 2026.1.27-beta.1, token auth, no Origin check",
        version_observable=False,
    ),
    LabService(
        key="openclaw-gateway-2026.2.24", product="openclaw-gateway", version="2026.2.24", twin="vulnerable",
        port=18789,
        # the v2026.2.24 source profile B (ClawJacked target): Origin checked only for Control UI/webchat client
        # ids, so client.id "cli" with a foreign Origin reaches the token check; serverVersion
        # leaks at /__openclaw/control-ui-config.json; fixed in 2026.2.25 (OpenClaw src/gateway/origin-check.ts).
        # no limiter unless gateway.auth.rateLimit is set, none for browser Origins before 2026.2.25
        expected=("ws.origin.unchecked", "version.vulnerable", "auth.ratelimit.missing"),
        start=_gateway(OPENCLAW_2026_2_24, "token", LAB_TOKEN),
        notes="OpenClaw 2026.2.24, token auth, Origin checked for UI clients only (ClawJacked)",
    ),
    LabService(
        key="openclaw-gateway-2026.9.6-authnone", product="openclaw-gateway", version="2026.9.6", twin="vulnerable",
        port=18789,
        # seen on the real openclaw@2026.9.6: the real 2026.9.6 under --auth none: POST /tools/invoke -> 404 "Tool not available";
        # Origin checked for every client; foreign Host + matching Origin -> 401 (rebinding refused).
        expected=("auth.missing",),
        start=_gateway(OPENCLAW_2026_9_6, "none"),
        notes="OpenClaw 2026.9.6 with auth none (Origin and Host defended)",
    ),
    LabService(
        key="openclaw-gateway-2026.9.6-admin-rpc", product="openclaw-gateway", version="2026.9.6", twin="vulnerable",
        port=18789,
        # auth none plus the opt-in admin-http-rpc plugin: POST /api/v1/admin/rpc (config.set,
        # agents.create, device.pair.approve ...) behind gateway auth, which is none here.
        expected=("auth.missing",),
        start=_gateway(OPENCLAW_2026_9_6, "none", plugins=("admin-http-rpc",)),
        notes="OpenClaw 2026.9.6, auth none, admin-http-rpc plugin route enabled",
    ),
    LabService(
        key="openclaw-gateway-2026.9.6", product="openclaw-gateway", version="2026.9.6", twin="hardened",
        port=18789,
        # current OpenClaw source / seen on the real openclaw@2026.9.6: token auth, Origin checked for every client, control-ui-config 401, protocol 4.
        expected=(),
        start=_gateway(OPENCLAW_2026_9_6, "token", LAB_TOKEN),
        notes="OpenClaw 2026.9.6, token auth, hardened",
    ),
    LabService(
        key="openclaw-browser-control-open", product="openclaw-browser-control", version="2026.1.24",
        twin="vulnerable", port=18791,
        # browser control without auth (audit id browser.control_no_auth, `openclaw security audit`): GET / status JSON
        # to anyone, for any Host (no CSRF guard in this twin); its default profile is a hosted
        # remote CDP whose URL carries the provider's token (BROWSERLESS_URL).
        expected=("auth.missing", "http.host.unchecked"),
        start=_browser_control(None, csrf_guard=False, remote_profile=True),
        notes="browser control without auth (remote CDP profile)", version_observable=False,
    ),
    LabService(
        key="openclaw-browser-control-2026.9.6", product="openclaw-browser-control", version="2026.9.6",
        twin="hardened", port=18791, expected=(),
        start=_browser_control(LAB_TOKEN, csrf_guard=True),
        notes="browser control, auto-generated token, CSRF guard", version_observable=False,
    ),
    LabService(
        key="openclaw-extension-relay-2026.1.24", product="openclaw-extension-relay", version="2026.1.24",
        twin="vulnerable", port=18792,
        # Jan 2026 relay: /json/version and /cdp without any credential (token auth came in
        # 2026.2.19, OpenClaw's docs, gateway ports); /cdp did not check Origin in this twin (assumed from that history).
        expected=("auth.missing", "ws.origin.unchecked"),
        start=_relay(legacy_open=True),
        notes="extension relay without auth (Jan 2026)", version_observable=False,
    ),
    LabService(
        key="openclaw-extension-relay-2026.9.6", product="openclaw-extension-relay", version="2026.9.6",
        twin="hardened", port=18792, expected=(),
        start=_relay(legacy_open=False),
        notes="extension relay with relay-auth v2", version_observable=False,
        loopback_only=True,  # loopback Host only (403), in 2026.9.6's dist/relay-server
    ),
]
