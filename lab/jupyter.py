"""Jupyter Server twins on 8888: the REST API, its Origin/Host checks and a WebSocket.

Facts: shared/reference/products.md §1.8 (jupyter_server 9a4d6ee base/handlers.py check_origin,
check_host, APIHandler [SRC]), checked here against the real jupyter_server 2.21.1 (tornado
6.6.1) in a private namespace: headers, bodies and statuses below are what it answered.
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

from aiohttp import web

from .base import LabService, app_service, strip_server_header

_TORNADO = "TornadoServer/6.6.1"
_CSP_HTML = "frame-ancestors 'self'; report-uri /api/security/csp-report"
_CSP_API = _CSP_HTML + "; default-src 'none'"

_PAGE = """<!DOCTYPE HTML>
<html>

<head>

    <meta charset="utf-8">

    <title>Jupyter Server</title>
    <link id="favicon" rel="shortcut icon" type="image/x-icon" href="/static/favicon.ico">
</head>
<body>
<div id="header" role="navigation" aria-label="Top Menu"></div>
<div id="site">
  <p>A Jupyter Server is running.</p>
</div>
</body>
</html>
"""


def _local_host(host_header: str) -> bool:
    """check_host without allow_remote_access: localhost or a loopback IP only [SRC]."""
    host = urlsplit("//" + host_header).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _app(version: str, *, token: bool, allow_origin_any: bool, allow_remote: bool) -> web.Application:
    def headers(api: bool) -> dict[str, str]:
        out = {"Server": _TORNADO, "X-Content-Type-Options": "nosniff", "Content-Security-Policy": _CSP_API if api else _CSP_HTML}
        if allow_origin_any:
            out["Access-Control-Allow-Origin"] = "*"
        return out

    def api_json(doc, status: int = 200) -> web.Response:
        # Tornado writes json.dumps output, with its spaces: {"message": "Forbidden", "reason": null}
        return web.Response(status=status, text=json.dumps(doc), content_type="application/json", headers=headers(True))

    def origin_ok(request: web.Request) -> bool:
        """check_origin: '*' passes; no Origin or Host passes; Origin netloc == Host passes."""
        if allow_origin_any:
            return True
        origin, host = request.headers.get("Origin"), request.headers.get("Host")
        if not origin or not host:
            return True
        return urlsplit(origin.lower()).netloc == host.lower()

    def authed(request: web.Request) -> bool:
        if not token:
            return True
        got = request.headers.get("Authorization", "") or ""
        return got == "token lab-token" or request.query.get("token") == "lab-token"

    @web.middleware
    async def host_guard(request: web.Request, handler):
        if not allow_remote and not _local_host(request.host or ""):
            return api_json({"message": "Forbidden", "reason": None}, 403)
        return await handler(request)

    async def api_root(request: web.Request) -> web.Response:
        # APIVersionHandler is @allow_unauthenticated: the version leaks with auth on [SRC].
        return api_json({"version": version})

    def privileged(body):
        async def handler(request: web.Request) -> web.Response:
            # APIHandler.prepare: a cross-origin API request is answered 404 [SRC, verified].
            if not origin_ok(request):
                return api_json({"message": "Not Found", "reason": None}, 404)
            if not authed(request):
                return api_json({"message": "Forbidden", "reason": None}, 403)
            return api_json(body)
        return handler

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=_PAGE, content_type="text/html", charset="UTF-8", headers=headers(False))

    async def events_ws(request: web.Request) -> web.StreamResponse:
        # Tornado answers a refused upgrade 403 with an HTML page, whether the Origin or the
        # token failed (verified on 2.21.1); an accepted one streams events and sends nothing first.
        if not origin_ok(request) or not authed(request):
            return web.Response(status=403, text=_PAGE, content_type="text/html", headers=headers(False))
        ws = web.WebSocketResponse(heartbeat=None)
        if allow_origin_any:
            ws.headers["Access-Control-Allow-Origin"] = "*"  # on the 101 too (verified)
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    async def not_found(request: web.Request) -> web.Response:
        if request.path.startswith("/api/"):
            return api_json({"message": "Not Found", "reason": None}, 404)
        return web.Response(status=404, text=_PAGE, content_type="text/html", headers=headers(False))

    app = web.Application(middlewares=[host_guard])
    app.router.add_get("/api", api_root)
    app.router.add_get("/api/", api_root)
    app.router.add_get("/api/kernels", privileged([]))
    app.router.add_get("/api/sessions", privileged([]))
    app.router.add_get("/api/kernelspecs", privileged({"default": "python3", "kernelspecs": {}}))
    app.router.add_get("/api/status", privileged({"connections": 0, "kernels": 0, "last_activity": "2026-11-24T23:17:34.123456Z", "started": "2026-11-24T23:17:29.000000Z"}))
    app.router.add_get("/api/events/subscribe", events_ws)
    app.router.add_get("/", page)
    app.router.add_get("/login", page)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return strip_server_header(app, {"Server": _TORNADO})


SERVICES = [
    # Token disabled (--IdentityProvider.token=''), allow_origin='*' and allow_remote_access
    # on: the notebook server of the cryptomining reports. 2.17.0 is below the 2.18.0 fixes
    # (CVE-2026-40110 allow_origin_pat bypass, CVE-2025-61669, CVE-2026-35397, CVE-2026-40934).
    LabService(
        key="jupyter-vulnerable",
        product="jupyter-server",
        version="2.17.0",
        twin="vulnerable",
        port=8888,
        expected=("auth.missing", "ws.origin.unchecked", "http.cors.permissive", "http.host.unchecked"),
        start=app_service(lambda: _app("2.17.0", token=False, allow_origin_any=True, allow_remote=True)),
        notes="Jupyter Server 2.17.0, no token, allow_origin='*', allow_remote_access",
    ),
    # The default: a token, Origin must equal Host, Host must be local. /api still names the
    # version (unauthenticated by design); everything privileged answers 403.
    LabService(
        key="jupyter-hardened",
        product="jupyter-server",
        version="2.21.1",
        twin="hardened",
        port=8888,
        expected=(),
        start=app_service(lambda: _app("2.21.1", token=True, allow_origin_any=False, allow_remote=False)),
        notes="Jupyter Server 2.21.1 defaults (token on, Origin and Host checked)",
    ),
]
