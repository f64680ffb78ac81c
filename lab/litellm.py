"""LiteLLM proxy twins: the OpenAI-compatible gateway on 4000, with its MCP gateway at /mcp.

Facts, checked on the real `litellm[proxy]` 1.108.7 (pip, run offline in a private namespace):
- 1.108.7 refuses to start without a master key (`UnsafeMasterKeyError`: "no master key is set,
  so every request would be accepted without authentication") unless
  LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true (litellm/proxy/auth/master_key_boot_check.py);
  earlier releases started open.
- Public routes (litellm/proxy/_types.py public_routes): `/` (Swagger UI, title "LiteLLM API -
  Swagger UI"), `/health/liveliness` (the JSON string "I'm alive!"), `/health/readiness`,
  `/.well-known/litellm-ui-config`, `/public/model_hub/info` (its `litellm_version` is the
  version without a key). `/openapi.json` carries it too, but the real one builds that schema on
  first use for long enough (single worker) that other requests time out meanwhile.
- Open: GET /v1/models 200 {"data": [...], "object": "list"}; with a master key 401
  {"error": {"message": "Authentication Error, No api key passed in.", "type": "auth_error", ...}}.
- CORS middleware allows every origin (`access-control-allow-origin: *`, no credentials) on every
  answer; no Host check; responses carry x-frame-options DENY and no Server header.
- MCP gateway: POST /mcp (and /mcp/) is streamable HTTP; open: initialize answered as an SSE
  `message` with serverInfo {"name": "litellm-mcp-server", "version": "1.0.0"} (not LiteLLM's
  version) and an mcp-session-id; with a master key 401 {"detail": {"error":
  "authentication_required", ...}} and `WWW-Authenticate: Bearer resource_metadata=".../.well-known/oauth-protected-resource/mcp"`.
"""

from __future__ import annotations

import json

from aiohttp import web

from ._embedded_mcp import mcp_endpoint
from .base import LabService, app_service

_SECURITY = {"vary": "Origin", "x-frame-options": "DENY", "content-security-policy": "frame-ancestors 'none'",
             "x-content-type-options": "nosniff"}
_MODELS = {"data": [{"id": "gpt-4o", "object": "model", "created": 1677610602, "owned_by": "openai"}],
           "object": "list"}
_SWAGGER = """
    <!DOCTYPE html>
    <html>
    <head>
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <link type="text/css" rel="stylesheet" href="/swagger/swagger-ui.css">
    <link rel="shortcut icon" href="/swagger/favicon.png">
    <title>LiteLLM API - Swagger UI</title>
    </head>
    <body>
    <div id="swagger-ui">
    </div>
    <script src="/swagger/swagger-ui-bundle.js"></script>
    </body>
    </html>
"""
_PUBLIC = ("/", "/health/liveliness", "/health/liveness", "/health/readiness", "/openapi.json", "/public/model_hub/info",
           "/.well-known/litellm-ui-config", "/litellm/.well-known/litellm-ui-config")


def _json(doc, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(doc, separators=(",", ":")), content_type="application/json")


def _app(version: str, *, master_key: str | None) -> web.Application:
    def authorized(request: web.Request) -> bool:
        if master_key is None:
            return True
        given = request.headers.get("Authorization", "") or request.headers.get("x-litellm-api-key", "")
        return given in (f"Bearer {master_key}", master_key)

    @web.middleware
    async def gate(request: web.Request, handler):
        if request.method == "OPTIONS":  # Starlette CORSMiddleware answers the preflight itself
            response = web.Response(status=200, text="OK")
        elif request.path in _PUBLIC or request.path.startswith("/mcp") or authorized(request):
            response = await handler(request)
        else:
            response = _json({"error": {"message": "Authentication Error, No api key passed in.",
                                        "type": "auth_error", "param": "None", "code": "401"}}, 401)
        return response

    async def mcp_guard(request: web.Request) -> web.Response | None:
        if authorized(request):
            return None
        return web.Response(status=401, content_type="application/json", text=json.dumps(
            {"detail": {"error": "authentication_required",
                        "message": "Authenticate with the gateway to use the MCP endpoint."}}),
            headers={"WWW-Authenticate": f'Bearer resource_metadata="http://{request.host}'
                                         f'/.well-known/oauth-protected-resource/mcp"'})

    mcp = mcp_endpoint({"name": "litellm-mcp-server", "version": "1.0.0"}, [], guard=mcp_guard)

    async def root(request):
        return web.Response(text=_SWAGGER, content_type="text/html")

    async def alive(request):
        return _json("I'm alive!")

    async def readiness(request):
        return _json({"status": "healthy", "db": "Not connected"})

    async def ui_config(request):
        return _json({"server_root_path": "", "proxy_base_url": None, "gateway_base_url": None,
                      "auto_redirect_to_sso": False, "admin_ui_disabled": False, "sso_configured": False,
                      "hide_default_credentials_hint": False, "is_control_plane": False,
                      "mcp_stdio_enabled": False, "workers": []})

    async def openapi(request):
        return _json({"openapi": "3.1.0", "info": {
            "title": "LiteLLM API",
            "description": "Proxy Server to call 100+ LLMs in the OpenAI format.",
            "version": version}, "paths": {}})

    async def model_hub_info(request):
        return _json({"docs_title": "LiteLLM API", "custom_docs_description": None, "litellm_version": version,
                      "useful_links": {}})

    async def models(request):
        return _json(_MODELS)

    async def not_found(request):
        return _json({"detail": "Not Found"}, 404)

    app = web.Application(middlewares=[gate])
    app.router.add_get("/", root)
    app.router.add_get("/health/liveliness", alive)
    app.router.add_get("/health/liveness", alive)
    app.router.add_get("/health/readiness", readiness)
    app.router.add_get("/.well-known/litellm-ui-config", ui_config)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/public/model_hub/info", model_hub_info)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/models", models)
    app.router.add_post("/mcp", mcp)
    app.router.add_post("/mcp/", mcp)
    app.router.add_route("*", "/{tail:.*}", not_found)

    async def headers(request, response):
        # set as the response starts, so streamed MCP answers carry them too
        response.headers.popall("Server", None)  # uvicorn runs with server_header off here
        for name, value in _SECURITY.items():
            response.headers.setdefault(name, value)
        if request.headers.get("Origin"):
            response.headers["access-control-allow-origin"] = "*"

    app.on_response_prepare.append(headers)
    return app


SERVICES = [
    # Started the only way 1.108.7 starts without a key: the "dangerously permit" switch (older
    # releases started like this by default). Everything answers without a key, CORS lets any
    # page read it, Host is never checked, and the MCP gateway lists its tools to anyone.
    LabService(
        key="litellm-proxy-vulnerable",
        product="litellm-proxy",
        version="1.108.7",
        twin="vulnerable",
        port=4000,
        expected=("auth.missing", "http.cors.permissive", "http.host.unchecked"),
        start=app_service(lambda: _app("1.108.7", master_key=None)),
        notes="LiteLLM 1.108.7 without a master key (dangerously_permit_weak_or_unset_master_key)",
    ),
    # The default 1.108.7 deployment: a master key; the API and the MCP gateway answer 401.
    LabService(
        key="litellm-proxy-hardened",
        product="litellm-proxy",
        version="1.108.7",
        twin="hardened",
        port=4000,
        expected=(),
        start=app_service(lambda: _app("1.108.7", master_key="sk-lab-5d2e8a1f9c7b4e30")),
        notes="LiteLLM 1.108.7 with a master key (API and MCP gateway 401)",
    ),
]
