"""AnythingLLM twins: a single-user instance with no password, and one with a password.

Facts (Mintplex-Labs/anything-llm `server/endpoints/system.js` at 00c93a4, mounted under /api;
twin only): `GET /api/ping` is `{"online": true}`; `GET /api/setup-complete` is public by design
and returns `{"results": <system settings>}` with `RequiresAuth`, `AuthToken` (a boolean),
`MultiUserMode`, `LLMProvider`, ... but no version; routes behind `validatedRequest` pass
everyone through in single-user mode without AUTH_TOKEN/JWT_SECRET and otherwise want a bearer
token (401 `{"error": "No auth token found."}`, the middleware's message, from public copies of
`utils/middleware/validatedRequest.js`). Port 3001, the page title "AnythingLLM | Your personal
LLM trained on anything" (the public nuclei template). Older builds leaked provider keys in
setup-complete (CVE-2024-6842); this twin models a current one.
"""

from __future__ import annotations

from aiohttp import web

from .base import LabService, app_service

_TOKEN = "lab-anythingllm-jwt-never-sent"


def _settings(password: bool) -> dict:
    return {"results": {"RequiresAuth": password, "AuthToken": password, "JWTSecret": password,
                        "StorageDir": "/app/server/storage", "MultiUserMode": False, "DisableTelemetry": "true",
                        "LLMProvider": "ollama", "EmbeddingEngine": "native", "VectorDB": "lancedb"}}


def _app(*, password: bool) -> web.Application:
    @web.middleware
    async def validated(request: web.Request, handler):
        if password and request.path.startswith("/api/") and request.path not in ("/api/ping", "/api/setup-complete"):
            if request.headers.get("Authorization") != f"Bearer {_TOKEN}":
                return web.json_response({"error": "No auth token found."}, status=401)
        return await handler(request)

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"UTF-8\" />"
                                 "<title>AnythingLLM | Your personal LLM trained on anything</title></head>"
                                 "<body><div id=\"root\" class=\"h-screen\"></div></body></html>",
                            content_type="text/html")

    async def ping(request: web.Request) -> web.Response:
        return web.json_response({"online": True})

    async def setup_complete(request: web.Request) -> web.Response:
        return web.json_response(_settings(password))

    async def workspaces(request: web.Request) -> web.Response:
        return web.json_response({"workspaces": [{"id": 1, "name": "My Workspace", "slug": "my-workspace"}]})

    app = web.Application(middlewares=[validated])
    app.router.add_get("/", page)
    app.router.add_get("/api/ping", ping)
    app.router.add_get("/api/setup-complete", setup_complete)
    app.router.add_get("/api/workspaces", workspaces)

    async def powered_by(request, response):  # Express
        response.headers["X-Powered-By"] = "Express"
    app.on_response_prepare.append(powered_by)
    return app


SERVICES = [
    LabService(key="anythingllm-vulnerable", product="anythingllm", version="1.9.0", twin="vulnerable", port=3001,
               expected=("auth.missing",), version_observable=False,
               start=app_service(lambda: _app(password=False)),
               notes="AnythingLLM single-user, no password (version not shown without credentials)"),
    LabService(key="anythingllm-hardened", product="anythingllm", version="1.9.0", twin="hardened", port=3001,
               expected=(), version_observable=False, start=app_service(lambda: _app(password=True)),
               notes="AnythingLLM with a password (AUTH_TOKEN) set"),
]
