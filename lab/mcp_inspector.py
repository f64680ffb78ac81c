"""MCP Inspector twins: the proxy (6277, where CVE-2025-49596 lives) and the UI (6274).

Facts: the inspector source (modelcontextprotocol/inspector
server/src/index.ts at 0.14.0, 0.14.1, 1.0.1, client/bin/client.js, client/index.html [SRC],
GHSA-7f8r-222p-6f5g [ADV]); texts re-read in the inspector repository at those tags.
The real product runs the two on one host; the lab gives each its own address, so the proxy
(which never shows a version) and the UI (whose bundle does) are two services.
"""

from __future__ import annotations

import json

from aiohttp import web

from ._fake_secrets import fake
from .base import LabService, app_service, strip_server_header

# /config's defaultEnvironment is the SDK's getDefaultEnvironment() (HOME ... USER) followed by
# what `-e KEY=value` passed in MCP_ENV_VARS (server/src/index.ts: `{...getDefaultEnvironment(),
# ...JSON.parse(process.env.MCP_ENV_VARS)}`, the inspector's server/src/index.ts): the API keys a developer hands
# the server under test. The vulnerable proxy serves them to anyone; the keys here are fake.
_ENV = {"HOME": "/home/dev", "LOGNAME": "dev", "PATH": "/usr/local/bin:/usr/bin:/bin", "SHELL": "/bin/bash",
        "TERM": "xterm-256color", "USER": "dev",
        "OPENAI_API_KEY": fake("sk-test-", 24), "ANTHROPIC_API_KEY": fake("sk-ant-test-", 24),
        "GITHUB_PERSONAL_ACCESS_TOKEN": fake("ghp_", 18)}


def _express(doc, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(doc, separators=(",", ":")), content_type="application/json",
                        charset="utf-8")


def _proxy_app(*, fixed: bool) -> web.Application:
    """server/src/index.ts: express + cors() (Access-Control-Allow-Origin: * on every answer)."""

    @web.middleware
    async def express(request: web.Request, handler):
        response = await handler(request)
        response.headers["X-Powered-By"] = "Express"
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "mcp-session-id, WWW-Authenticate" if fixed else "mcp-session-id"
        return response

    def guarded(handler):
        """>= 0.14.1: originValidationMiddleware, then authMiddleware (x-mcp-proxy-auth from 0.14.2)."""
        if not fixed:
            return handler

        async def wrapped(request: web.Request) -> web.Response:
            origin = request.headers.get("Origin")
            if origin is not None and origin not in ("http://localhost:6274",):
                return _express({"error": "Forbidden - invalid origin",
                                 "message": "Request blocked to prevent DNS rebinding attacks. Configure allowed "
                                            "origins via environment variable."}, 403)
            if request.headers.get("x-mcp-proxy-auth") != "Bearer " + "0" * 64:
                return _express({"error": "Unauthorized",
                                 "message": "Authentication required. Use the session token shown in the console "
                                            "when starting the server."}, 401)
            return await handler(request)

        return wrapped

    async def health(request: web.Request) -> web.Response:
        return _express({"status": "ok"})  # never authenticated, in every version

    async def config(request: web.Request) -> web.Response:
        if fixed:
            return _express({"defaultEnvironment": _ENV, "defaultCommand": "", "defaultArgs": "",
                             "defaultTransport": "", "defaultServerUrl": ""})
        # 0.14.0: defaultMcpServerUrl is undefined unless MCP_SERVER_URL is set, so JSON drops it.
        return _express({"defaultEnvironment": _ENV, "defaultCommand": "", "defaultArgs": ""})

    async def refuse_session(request: web.Request) -> web.Response:
        # /mcp, /message, /sse, /stdio would spawn or proxy; the lab never does either. The real
        # 0.14.0 answers a session-less GET /mcp 404 "Session not found" and a /stdio or /sse
        # without a valid transportType 500 {} (verified on the npm build).
        if request.path in ("/stdio", "/sse"):
            return _express({}, 500)
        return web.Response(status=404, text="Session not found")

    async def cannot(request: web.Request) -> web.Response:
        # Express finalhandler's 404 page.
        page = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n'
                f"<body>\n<pre>Cannot {request.method} {request.path}</pre>\n</body>\n</html>\n")
        return web.Response(status=404, text=page, content_type="text/html", charset="utf-8",
                            headers={"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff"})

    app = web.Application(middlewares=[express])
    app.router.add_get("/health", health)
    app.router.add_get("/config", guarded(config))
    for path in ("/mcp", "/message", "/sse", "/stdio"):
        app.router.add_route("*", path, guarded(refuse_session))
    app.router.add_route("*", "/{tail:.*}", cannot)
    return strip_server_header(app)  # Express sends no Server header


_UI_HTML = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <link rel="icon" type="image/svg+xml" href="/mcp.svg" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>MCP Inspector</title>
    <script type="module" crossorigin src="/assets/{bundle}"></script>
    <link rel="stylesheet" crossorigin href="/assets/index-Bq1xA0e3.css">
  </head>
  <body>
    <div id="root"></div>
  </body>
</html>
"""


def _ui_app(version: str) -> web.Application:
    """client/bin/client.js: serve-handler over dist/, every path rewritten to index.html."""
    bundle = "index-" + ("C5uQ2mLk" if version.startswith("0.") else "Dk81ZpWe") + ".js"
    html = _UI_HTML.replace("{bundle}", bundle)
    # Sidebar.tsx imports { version } from package.json; the published bundle (unminified,
    # 1.4-2.7 MB) keeps it as a top-level `const version = "x.y.z";` line about 1.3-2.1 MB in,
    # after React's `react_production_min.version = "18.3.1";` (read in inspector-client
    # 0.14.0 and 1.0.1 from npm). The twin pads to the same shape.
    js = ("  react_production_min.version = \"18.3.1\";\n" + "/* vendor */\n" * 40000
          + 'const name = "@modelcontextprotocol/inspector-client";\n'
          + "/* app */\n" * 60000
          + f'const version = "{version}";\n'
          + 'function Sidebar() { return jsxs("h1", { children: ["MCP Inspector v", version] }); }\n')

    async def asset(request: web.Request) -> web.Response:
        if request.match_info["name"] == bundle:
            return web.Response(text=js, content_type="application/javascript", charset="utf-8",
                                headers={"Cache-Control": "public, max-age=31536000, immutable"})
        return await index(request)

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-cache, no-store, max-age=0", "Accept-Ranges": "bytes"})

    app = web.Application()
    app.router.add_get("/assets/{name}", asset)
    app.router.add_get("/{tail:.*}", index)
    return strip_server_header(app)


SERVICES = [
    # 0.14.0: no token, no Origin check, cors() answers any page: GET /config works from
    # anywhere and /stdio would run a command (CVE-2025-49596, < 0.14.1; 0.14.0 is missed by
    # the public nuclei template). The proxy never states its version.
    LabService(
        key="mcp-inspector-vulnerable",
        product="mcp-inspector",
        version="0.14.0",
        twin="vulnerable",
        port=6277,
        expected=("auth.missing", "http.cors.permissive", "http.host.unchecked"),
        start=app_service(lambda: _proxy_app(fixed=False)),
        notes="MCP Inspector 0.14.0 proxy (no session token, any Origin)",
        version_observable=False,
    ),
    LabService(
        key="mcp-inspector-ui-vulnerable",
        product="mcp-inspector",
        version="0.14.0",
        twin="vulnerable",
        port=6274,
        expected=("version.vulnerable",),  # CVE-2025-49596: < 0.14.1
        start=app_service(lambda: _ui_app("0.14.0")),
        notes="MCP Inspector 0.14.0 UI (its bundle names the version)",
    ),
    # 1.0.1 (v1/main): session token in x-mcp-proxy-auth, Origin allowlist (403 before auth),
    # bound to localhost. cors() still sends Access-Control-Allow-Origin: *, but only on
    # refusals for a page without the token.
    LabService(
        key="mcp-inspector-hardened",
        product="mcp-inspector",
        version="1.0.1",
        twin="hardened",
        port=6277,
        expected=(),
        start=app_service(lambda: _proxy_app(fixed=True)),
        notes="MCP Inspector 1.0.1 proxy (session token, Origin allowlist)",
        version_observable=False,
    ),
    LabService(
        key="mcp-inspector-ui-hardened",
        product="mcp-inspector",
        version="1.0.1",
        twin="hardened",
        port=6274,
        expected=(),
        start=app_service(lambda: _ui_app("1.0.1")),
        notes="MCP Inspector 1.0.1 UI",
    ),
]
