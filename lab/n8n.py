"""n8n twins: the workflow automation server on 5678, with its instance-level MCP server.

Facts: the n8n 2.8.4 package from npm (dist/server.js configureSettingsRoute,
services/frontend.service.js getPublicSettings, commands/start.js generateConfigTags,
auth/auth.service.js, modules/mcp/mcp.controller.js and mcp-server-middleware.service.js) and
its editor UI's index.html:
- `GET /` is the editor (`<title>n8n.io - Workflow Automation</title>`) with
  `<meta name="n8n:config:sentry" content=base64(JSON)>` whose `release` is `n8n@<version>`:
  the version without credentials. (Older 1.x also put `versionCli` in /rest/settings.)
- `GET /rest/settings` without a session: {"data": {"settingsMode": "public", "userManagement":
  {"authenticationMethod", "showSetupOnFirstLoad", "smtpSetup"}, ...}}: showSetupOnFirstLoad is
  true while no owner exists (ownershipService.hasInstanceOwner), and then anyone who reaches
  the editor can create the owner account (POST /rest/owner/setup).
- Other REST routes without a session: 401 {"status": "error", "message": "Unauthorized"}.
- `/healthz` {"status": "ok"}. Express serves it (no Server header).
- Instance-level MCP: POST /mcp-server/http (streamable HTTP, the TypeScript SDK) checks the MCP
  bearer token first: 401 `WWW-Authenticate: Bearer realm="n8n MCP Server"` {"message":
  "Unauthorized: Authorization header not sent"}; HEAD is 401 too. MCP Server Trigger nodes
  serve /mcp/<path> per workflow (an unknown one: 404 "The requested webhook ... is not registered.").
Checked on the real n8n 2.8.4 (npm, offline in a private namespace): all of the above as written;
while its database migrates at start it answers every path 200 "n8n is starting up. Please wait".
"""

from __future__ import annotations

import base64
import json

from aiohttp import web

from .base import LabService, app_service, strip_server_header


def _index(version: str) -> str:
    sentry = json.dumps({"dsn": "", "environment": "production", "release": f"n8n@{version}"}, separators=(",", ":"))
    meta = (f'<meta name="n8n:config:rest-endpoint" content="{base64.b64encode(b"rest").decode()}">'
            f'<meta name="n8n:config:sentry" content="{base64.b64encode(sentry.encode()).decode()}">')
    return ('<!DOCTYPE html>\n<html lang="en">\n\t<head>\n\t\t<meta charset="utf-8" />\n'
            '\t\t<link rel="icon" href="/favicon.ico" />\n\t\t' + meta + '\n'
            '\t\t<script src="/static/base-path.js" type="text/javascript"></script>\n'
            '\t\t<title>n8n.io - Workflow Automation</title>\n'
            '\t\t<script type="module" crossorigin src="/assets/index-BBdDPn_6.js"></script>\n'
            '\t</head>\n\t<body>\n\t\t<div id="app"></div>\n\t</body>\n</html>\n')


def _app(version: str, *, owner: bool) -> web.Application:
    async def editor(request):
        return web.Response(text=_index(version), content_type="text/html")

    async def settings(request):
        return web.json_response({"data": {
            "settingsMode": "public", "defaultLocale": "en",
            "userManagement": {"authenticationMethod": "email", "showSetupOnFirstLoad": not owner, "smtpSetup": False},
            "sso": {"saml": {"loginEnabled": False}, "ldap": {"loginEnabled": False, "loginLabel": ""},
                    "oidc": {"loginEnabled": False, "loginUrl": ""}},
            "authCookie": {"secure": True}, "previewMode": False,
            "enterprise": {"saml": False, "ldap": False, "oidc": False}, "communityNodesEnabled": True}})

    async def healthz(request):
        return web.json_response({"status": "ok"})

    async def unauthorized(request):
        return web.json_response({"status": "error", "message": "Unauthorized"}, status=401)

    async def mcp_server(request):
        # McpServerApiKeyService middleware: no valid bearer -> 401 before any MCP work
        return web.json_response({"message": "Unauthorized: Authorization header not sent"}, status=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="n8n MCP Server"'})

    async def webhook_404(request):
        return web.json_response({"code": 404, "message": f'The requested webhook "{request.method} '
                                  f'{request.match_info["tail"]}" is not registered.'}, status=404)

    app = web.Application()
    app.router.add_get("/rest/settings", settings)
    app.router.add_get("/healthz", healthz)
    app.router.add_route("*", "/rest/{tail:.*}", unauthorized)
    app.router.add_route("*", "/mcp-server/http", mcp_server)
    app.router.add_route("*", "/mcp/{tail:.*}", webhook_404)
    app.router.add_route("*", "/webhook/{tail:.*}", webhook_404)
    app.router.add_get("/{tail:.*}", editor)  # the editor's history fallback
    return strip_server_header(app)


SERVICES = [
    # A fresh instance whose owner account nobody has created yet: whoever opens the editor
    # first becomes the owner (and runs workflows: Code and Execute Command nodes).
    LabService(
        key="n8n-vulnerable",
        product="n8n",
        version="2.8.4",
        twin="vulnerable",
        port=5678,
        expected=("auth.missing",),
        start=app_service(lambda: _app("2.8.4", owner=False)),
        notes="n8n 2.8.4, owner setup still open (showSetupOnFirstLoad)",
    ),
    LabService(
        key="n8n-hardened",
        product="n8n",
        version="2.8.4",
        twin="hardened",
        port=5678,
        expected=(),
        start=app_service(lambda: _app("2.8.4", owner=True)),
        notes="n8n 2.8.4, owner set up (REST and MCP need credentials)",
    ),
]
