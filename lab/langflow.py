"""Langflow twins: the flow builder's FastAPI server on 7860.

Facts: the PyPI package langflow 1.13.0 as installed and run here (in a private namespace:
`/api/v1/flows/` without credentials answered 403 `{"detail":"No authentication credentials
provided"}`, with `Access-Control-Allow-Origin: *` and no credentials header; `/api/v1/version`,
`/api/v1/config`, `/health` and `/health_check` answered; `server: uvicorn`; the UI for any
other path); `langflow/main.py`: CORS from LANGFLOW_CORS_ORIGINS, default "*", with credentials forced off for a wildcard;
`api/health_check_router.py`: `/health` `{"status":"ok"}`; `api/v1/endpoints.py`:
`/api/v1/version` answers `{"version","main_version","package":"Langflow"}` without a login;
`lfx/services/settings/auth.py`: AUTO_LOGIN defaults to false in release packages and the server
refuses to start without LANGFLOW_SUPERUSER_PASSWORD; the frontend's `<title>Langflow</title>`).
Older releases (1.4 and before) defaulted to AUTO_LOGIN with authentication skipped, so the API
answered anyone as the superuser (the public nuclei template langflow-api-exposure reads
`/api/v1/flows/` that way), and `/api/v1/validate/code` ran code before checking any login
(CVE-2025-3248, fixed 1.3.0); CORS was "*" with credentials.
"""

from __future__ import annotations

from aiohttp import web

from ._http import json_response, starlette_cors
from .base import LabService, app_service, strip_server_header

_PAGE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"UTF-8\"/>"
         "<link rel=\"icon\" href=\"/favicon.ico\"/><meta name=\"viewport\" content=\"width=device-width, "
         "initial-scale=1.0\"/><title>Langflow</title></head><body id=\"body\"><div id=\"root\"></div></body></html>")
_FLOW = {"name": "Basic Prompting", "description": "Perform basic prompting with an OpenAI model.",
         "icon": "Braces", "is_component": False, "updated_at": "2026-10-02T09:14:51+00:00", "webhook": False,
         "endpoint_name": None, "tags": ["chatbots"], "locked": False, "mcp_enabled": False,
         "id": "6f1d2c3b-9a8e-4f7d-b6c5-1e2d3c4b5a69", "user_id": "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
         "folder_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "data": {"nodes": [], "edges": []}}


_PUBLIC = {"/api/v1/version", "/api/v1/config"}


def _app(version: str, *, skip_auth: bool, credentials: bool) -> web.Application:
    @web.middleware
    async def login(request: web.Request, handler):
        # the current-user dependency: no token and no x-api-key is 403 (seen on 1.13.0) unless
        # AUTO_LOGIN skips authentication (the old default); version, config and health are public
        if (not skip_auth and request.path.startswith(("/api/v1/", "/api/v2/")) and request.path not in _PUBLIC
                and "Authorization" not in request.headers and "x-api-key" not in request.headers):
            response = json_response({"detail": "No authentication credentials provided"}, status=403)
        else:
            response = await handler(request)
        response.headers["Vary"] = "Origin"  # on every answer of the real 1.13.0
        return response

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=_PAGE, content_type="text/html")

    async def health(request: web.Request) -> web.Response:
        return json_response({"status": "ok"})

    async def version_(request: web.Request) -> web.Response:
        return json_response({"version": version, "main_version": version, "package": "Langflow"})

    async def config(request: web.Request) -> web.Response:
        return json_response({"feature_flags": {"mvp_components": False}, "max_file_size_upload": 1024,
                              "event_delivery": "streaming", "type": "public", "allow_custom_components": True})

    async def flows(request: web.Request) -> web.Response:
        return json_response([_FLOW])

    app = web.Application(middlewares=[starlette_cors("*", credentials=credentials), login])
    app.router.add_get("/health", health)
    app.router.add_get("/api/v1/version", version_)
    app.router.add_get("/api/v1/config", config)
    app.router.add_get("/api/v1/flows/", flows)
    app.router.add_get("/{tail:.*}", page)
    return strip_server_header(app, {"Server": "uvicorn"})


SERVICES = [
    # 1.2.0 defaults: AUTO_LOGIN with authentication skipped, CORS "*" with credentials, and
    # CVE-2025-3248's unauthenticated code execution (never sent by gatescan).
    LabService(
        key="langflow-vulnerable",
        product="langflow",
        version="1.2.0",
        twin="vulnerable",
        port=7860,
        expected=("auth.missing", "http.cors.permissive", "http.host.unchecked", "version.vulnerable"),
        start=app_service(lambda: _app("1.2.0", skip_auth=True, credentials=True)),
        notes="Langflow 1.2.0 defaults (AUTO_LOGIN, no auth, CORS *)",
    ),
    # 1.13.0 defaults as run here: a superuser password is required, the API refuses anonymous
    # callers; CORS stays "*" but without credentials, on refusals.
    LabService(
        key="langflow-hardened",
        product="langflow",
        version="1.13.0",
        twin="hardened",
        port=7860,
        expected=(),
        start=app_service(lambda: _app("1.13.0", skip_auth=False, credentials=False)),
        notes="Langflow 1.13.0 defaults (login required)",
    ),
]
