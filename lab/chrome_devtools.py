"""Chrome DevTools Protocol twins on 9222: the /json discovery API and the browser WebSocket.

Facts: Chromium's source (devtools_http_handler_unittest.cc,
content_switches.cc [SRC-copy]; Host guard [DOC puppeteer#2242]), checked here against the real
Chromium 156 (`chromium --headless --remote-debugging-port=9222`) in a private namespace: the
JSON fields, the 500 Host refusal and the 403 Origin refusal texts below are what it sent.
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

from aiohttp import web

from .base import LabService, app_service, strip_server_header

_BROWSER_ID = "630ca6bf-148a-40a7-92e1-e02432117fde"
_PAGE_ID = "AD89B0B2A0C34D10358BBB2F8ECEA8D6"
_REV = "a21ce95c24ce3964416f09ae1862f53f319eb4d0"


def _host_ok(host_header: str) -> bool:
    """DevToolsHttpHandler: Host must be an IP literal or localhost (Chrome >= 66) [DOC, verified]."""
    host = urlsplit("//" + host_header).hostname or ""
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _app(version: str, *, allow_origins_any: bool) -> web.Application:
    def pretty(doc) -> web.Response:
        # Chromium pretty-prints with three-space indents.
        return web.Response(text=json.dumps(doc, indent=3), content_type="application/json", charset="UTF-8",
                            headers={"Content-Security-Policy": "frame-ancestors 'none'"})

    @web.middleware
    async def host_guard(request: web.Request, handler):
        if request.host and not _host_ok(request.host):
            return web.Response(status=500, text="Host header is specified and is not an IP address or localhost.",
                                content_type="text/html")
        return await handler(request)

    def ws_base(request: web.Request) -> str:
        return f"{request.host}"

    async def json_version(request: web.Request) -> web.Response:
        return pretty({
            "Browser": f"Chrome/{version}",
            "File-Path-Style": "posix",
            "Protocol-Version": "1.3",
            "User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                          f"HeadlessChrome/{version.split('.')[0]}.0.0.0 Safari/537.36",
            "V8-Version": "15.6.75.27",
            "WebKit-Version": f"537.36 (@{_REV})",
            "webSocketDebuggerUrl": f"ws://{ws_base(request)}/devtools/browser/{_BROWSER_ID}",
        })

    async def json_list(request: web.Request) -> web.Response:
        base = ws_base(request)
        return pretty([{
            "description": "",
            "devtoolsFrontendUrl": f"https://chrome-devtools-frontend.appspot.com/serve_rev/@{_REV}/inspector.html"
                                   f"?ws={base}/devtools/page/{_PAGE_ID}",
            "id": _PAGE_ID,
            "title": "about:blank",
            "type": "page",
            "url": "about:blank",
            "webSocketDebuggerUrl": f"ws://{base}/devtools/page/{_PAGE_ID}",
        }])

    async def root(request: web.Request) -> web.Response:
        return web.Response(body=b"", content_type="text/html", charset="UTF-8", headers={"X-Frame-Options": "DENY"})

    async def devtools_ws(request: web.Request) -> web.StreamResponse:
        target = request.match_info["target"]
        if target not in (f"browser/{_BROWSER_ID}", f"page/{_PAGE_ID}"):
            return web.Response(status=404, body=b"", content_type="text/html")
        origin = request.headers.get("Origin")
        # Chrome >= 111: any Origin is refused unless --remote-allow-origins lists it; a
        # request without Origin passes [SRC-copy, verified on 156].
        if origin is not None and not allow_origins_any:
            return web.Response(
                status=403, content_type="text/html",
                text=f"Rejected an incoming WebSocket connection from the {origin} origin. Use the command line "
                     f"flag --remote-allow-origins={origin} to allow connections from this origin or "
                     f"--remote-allow-origins=* to allow all origins.")
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        async for _ in ws:
            pass  # the lab never answers CDP commands (and the scanner never sends any)
        return ws

    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, body=b"", content_type="text/html")

    app = web.Application(middlewares=[host_guard])
    app.router.add_get("/", root)
    app.router.add_get("/json/version", json_version)
    app.router.add_get("/json/list", json_list)
    app.router.add_get("/json", json_list)
    app.router.add_get("/devtools/{target:(browser|page)/[^/]+}", devtools_ws)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return strip_server_header(app)  # Chromium's DevTools server sends no Server header


SERVICES = [
    # Started with --remote-allow-origins=* (a common copy-paste fix for the Chrome 111
    # change): any web page can open the browser WebSocket and drive it.
    LabService(
        key="chrome-devtools-vulnerable",
        product="chrome-devtools",
        version="156.0.8078.79",
        twin="vulnerable",
        port=9222,
        expected=("auth.missing", "ws.origin.unchecked"),
        start=app_service(lambda: _app("156.0.8078.79", allow_origins_any=True)),
        notes="Chromium 156, --remote-debugging-port with --remote-allow-origins=*",
    ),
    # Defaults: loopback, Origin-bearing upgrades refused, Host must be an IP. CDP has no
    # authentication at all, so any local process can still drive the browser (auth.missing
    # stays); hardening a debugging port means not exposing it.
    LabService(
        key="chrome-devtools-hardened",
        product="chrome-devtools",
        version="156.0.8078.79",
        twin="hardened",
        port=9222,
        expected=("auth.missing",),
        start=app_service(lambda: _app("156.0.8078.79", allow_origins_any=False)),
        notes="Chromium 156 defaults (no auth exists; foreign Origin 403, Host must be an IP)",
    ),
]
