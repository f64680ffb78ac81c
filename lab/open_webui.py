"""Open WebUI twins: the self-hosted chat UI (8080 in its container, 3000 in the docs' mapping).

Facts: the open-webui/open-webui source (backend/open_webui/main.py get_app_config, /api/version,
/health; utils/auth.py get_current_user; routers/configs.py tool_servers):
- `GET /api/config` is public: {"status": true, "name": WEBUI_NAME, "version", "default_locale",
  "oauth": {...}, "features": {"auth": WEBUI_AUTH, "auth_trusted_header", "enable_signup",
  "enable_login_form", "enable_websocket", ...}}, and while no user exists it starts with
  `"onboarding": true`: the first account to sign up becomes the admin (get_trusted_user_role:
  "If there are no users, assign the role admin, as the first user will be an admin").
- WEBUI_AUTH=False (`features.auth: false`): no login; every visitor is the admin.
- API routes without a token: 403 {"detail": "Not authenticated"} (get_current_user); the admin
  route GET /api/v1/configs/tool_servers lists the MCP / OpenAPI tool servers Open WebUI connects
  to (TOOL_SERVER_CONNECTIONS: url, auth_type, key): Open WebUI is an MCP client, not a server.
- The SPA's index.html has `<title>Open WebUI</title>`; uvicorn serves it (`server: uvicorn`).
"""

from __future__ import annotations

from aiohttp import web

from .base import LabService, app_service, strip_server_header


def _app(version: str, *, auth: bool, users: bool) -> web.Application:
    async def root(request):
        return web.Response(text='<!doctype html><html lang="en"><head><meta charset="utf-8" />'
                                 '<link rel="icon" type="image/png" href="/static/favicon.png" />'
                                 '<title>Open WebUI</title></head><body data-sveltekit-preload-data="hover">'
                                 '<div style="display: contents"></div></body></html>', content_type="text/html")

    async def config(request):
        doc = {"status": True, "name": "Open WebUI", "version": version, "default_locale": "",
               "oauth": {"providers": {}},
               "features": {"auth": auth, "auth_trusted_header": False, "enable_ldap": False,
                            "enable_api_key": True, "enable_signup": not users, "enable_login_form": True,
                            "enable_websocket": True}}
        return web.json_response({"onboarding": True, **doc} if not users else doc)

    async def api_version(request):
        return web.json_response({"version": version})

    async def health(request):
        return web.json_response({"status": True})

    async def needs_token(request):
        return web.json_response({"detail": "Not authenticated"}, status=403)

    app = web.Application()
    app.router.add_get("/", root)
    app.router.add_get("/api/config", config)
    app.router.add_get("/api/version", api_version)
    app.router.add_get("/health", health)
    app.router.add_route("*", "/api/v1/{tail:.*}", needs_token)
    app.router.add_route("*", "/{tail:.*}", root)  # the SPA fallback
    return strip_server_header(app, {"Server": "uvicorn"})


SERVICES = [
    # WEBUI_AUTH=False: the single-user mode the docs offer for local use; anyone who reaches it
    # is the admin (who can add Python functions and tools that run on the server).
    LabService(
        key="open-webui-vulnerable",
        product="open-webui",
        version="0.6.32",
        twin="vulnerable",
        port=8080,
        expected=("auth.missing",),
        start=app_service(lambda: _app("0.6.32", auth=False, users=True)),
        notes="Open WebUI 0.6.32 with WEBUI_AUTH=False",
    ),
    # A fresh install nobody has signed up to yet: the first visitor becomes the admin.
    LabService(
        key="open-webui-first-run",
        product="open-webui",
        version="0.6.32",
        twin="vulnerable",
        port=8080,
        expected=("auth.missing",),
        start=app_service(lambda: _app("0.6.32", auth=True, users=False)),
        notes="Open WebUI 0.6.32 first run: admin account unclaimed (onboarding)",
    ),
    LabService(
        key="open-webui-hardened",
        product="open-webui",
        version="0.6.32",
        twin="hardened",
        port=8080,
        expected=(),
        start=app_service(lambda: _app("0.6.32", auth=True, users=True)),
        notes="Open WebUI 0.6.32, authentication on, admin claimed",
    ),
]
