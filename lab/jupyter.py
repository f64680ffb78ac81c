"""Jupyter Server twins on 8888: the REST API, its Origin/Host checks and a WebSocket.

Facts: the jupyter_server source (commit 9a4d6ee base/handlers.py check_origin,
check_host, APIHandler [SRC]), checked here against the real jupyter_server 2.21.1 (tornado
6.6.1) in a private namespace: headers, bodies and statuses below are what it answered.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import time
import uuid
from email.utils import formatdate
from urllib.parse import urlsplit

from aiohttp import web

from ._fake_secrets import fake
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


def _login_cookies(request: web.Request, response: web.StreamResponse, *, token: bool) -> None:
    """The cookies jupyter_server 2.21.1 sets (verified in a private namespace). With the token
    disabled, IdentityProvider._get_user makes an anonymous user on every cookie-less request and
    persists it (set_login_cookie: a Tornado signed cookie, `username-<host>-<port>`, quoted when
    its base64 ends in `=`); every HTML page also sets `_xsrf`. Signature and XSRF token are fake."""
    expires = formatdate(time.time() + 30 * 86400, usegmt=True)
    if not token:
        name = re.sub(r"[^A-Za-z0-9]", "-", f"username-{request.host}")
        user = {"username": uuid.uuid4().hex, "name": "Anonymous Lab", "display_name": "Anonymous Lab",
                "initials": "AL", "color": None, "avatar_url": None}
        b64 = base64.b64encode(json.dumps(user).encode()).decode()
        value = f"2|1:0|10:{int(time.time())}|{len(name)}:{name}|{len(b64)}:{b64}|{_COOKIE_SIGNATURE}"
        shown = f'"{value}"' if "=" in value else value
        response.headers.add("Set-Cookie", f"{name}={shown}; expires={expires}; HttpOnly; Path=/")
    if (response.content_type or "").startswith("text/html"):
        xsrf = f"2|{uuid.uuid4().hex[:8]}|{_XSRF_TOKEN}|{int(time.time())}"
        response.headers.add("Set-Cookie", f"_xsrf={xsrf}" + ("" if token else f"; expires={expires}") + "; Path=/")


_COOKIE_SIGNATURE = fake("", 29)  # 64 characters, like Tornado's HMAC-SHA256 hex
_XSRF_TOKEN = fake("", 13)  # 32 characters, like the masked XSRF token


def _app(version: str, *, token: bool, allow_origin_any: bool, allow_remote: bool,
         any_origin_with_credentials: bool = False) -> web.Application:
    """`any_origin_with_credentials`: allow_origin_pat='.*' with allow_credentials=True
    (JupyterHandler.set_default_headers reflects a matching Origin and adds
    Access-Control-Allow-Credentials: true; check_origin passes what the pattern matches)."""
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
        if allow_origin_any or any_origin_with_credentials:
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
        # allow_remote_access defaults to True when ServerApp.ip is not a loopback address
        # (jupyter_server serverapp.py, _default_allow_remote): the Host check guards loopback binds only
        bound = (request.transport.get_extra_info("sockname") or ("127.0.0.1",))[0] if request.transport else "127.0.0.1"
        if not allow_remote and _local_host(bound) and not _local_host(request.host or ""):
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

    async def cookies(request: web.Request, response: web.StreamResponse) -> None:
        _login_cookies(request, response, token=token)

    app.on_response_prepare.append(cookies)

    async def reflect_with_credentials(request: web.Request, response: web.StreamResponse) -> None:
        if request.headers.get("Origin"):
            response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        response.headers["Access-Control-Allow-Credentials"] = "true"

    if any_origin_with_credentials:
        app.on_response_prepare.append(reflect_with_credentials)
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
        expected=("auth.missing", "ws.origin.unchecked", "http.cors.permissive", "http.host.unchecked",
                  "version.vulnerable"),
        start=app_service(lambda: _app("2.17.0", token=False, allow_origin_any=True, allow_remote=True)),
        notes="Jupyter Server 2.17.0, no token, allow_origin='*', allow_remote_access",
    ),
    # The same server opened to every page the other way: allow_origin_pat='.*' with
    # allow_credentials=True, so a page's request carries the user's cookies and is read.
    LabService(
        key="jupyter-origin-pat-credentials",
        product="jupyter-server",
        version="2.17.0",
        twin="vulnerable",
        port=8888,
        expected=("auth.missing", "ws.origin.unchecked", "http.cors.permissive", "http.host.unchecked",
                  "version.vulnerable"),
        start=app_service(lambda: _app("2.17.0", token=False, allow_origin_any=False, allow_remote=True,
                                       any_origin_with_credentials=True)),
        notes="Jupyter Server 2.17.0, no token, allow_origin_pat='.*', allow_credentials=True",
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
