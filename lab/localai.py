"""LocalAI twins: the OpenAI-compatible server on 8080, bound to every interface (`:8080`).

Facts: mudler/LocalAI `core/cli/run.go` (LOCALAI_ADDRESS defaults to ":8080"; LOCALAI_API_KEY is
unset, so nothing is guarded; CORS is off unless LOCALAI_CORS), `core/http/auth/middleware.go`
(a refused request gets 401, `WWW-Authenticate: Bearer` and
`{"error":{"code":401,"message":"An authentication key is required","type":"invalid_request_error"}}`),
`core/http/auth/public_routes.go` (public even with a key: the web UI at `/`, `/healthz`, `/readyz`,
`/.well-known/localai.json`, `/api/instructions`, `/swagger`, `/api/auth/status`),
`core/internal/version.go` (`/version` answers `{"version": "<tag> (<commit>)"}`), the LocalAI
docs "API Discovery" page (`/.well-known/localai.json` names the version and the endpoints) and
the public nuclei template localai-detect (`<title>LocalAI` and `alt="LocalAI Logo"` on `/`).
"""

from __future__ import annotations

from aiohttp import web

from ._http import bearer_guard, json_response
from .base import LabService, app_service, strip_server_header

_PUBLIC = {"/", "/healthz", "/readyz", "/.well-known/localai.json", "/api/instructions", "/api/auth/status"}


def _refused() -> web.Response:
    return json_response({"error": {"code": 401, "message": "An authentication key is required",
                                    "type": "invalid_request_error"}}, status=401,
                         headers={"WWW-Authenticate": "Bearer"})


def _app(version: str, commit: str, api_key: str | None, *, well_known: bool) -> web.Application:
    guard = bearer_guard(api_key, lambda r: r.path not in _PUBLIC, _refused, header_key="X-Api-Key")

    async def root(request: web.Request) -> web.Response:
        return web.Response(text=("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"UTF-8\">"
                                  "<title>LocalAI</title></head><body><nav><img src=\"static/logo_horizontal.png\" "
                                  "alt=\"LocalAI Logo\"></nav><div id=\"root\"></div></body></html>"),
                            content_type="text/html")

    async def version_(request: web.Request) -> web.Response:
        return json_response({"version": f"{version} ({commit})"})

    async def discovery(request: web.Request) -> web.Response:
        return json_response({"version": version, "endpoints": {
            "chat_completions": "/v1/chat/completions", "models": "/v1/models",
            "instructions": "/api/instructions", "swagger": "/swagger/index.html"}})

    async def ready(request: web.Request) -> web.Response:
        return web.Response(text="OK")

    async def models(request: web.Request) -> web.Response:
        return json_response({"object": "list", "data": [{"id": "qwen2.5-0.5b-instruct", "object": "model"}]})

    async def system(request: web.Request) -> web.Response:
        return json_response({"backends": ["llama-cpp"], "loaded_models": []})

    app = web.Application(middlewares=[guard])
    app.router.add_get("/", root)
    app.router.add_get("/version", version_)
    if well_known:
        app.router.add_get("/.well-known/localai.json", discovery)
    app.router.add_get("/readyz", ready)
    app.router.add_get("/healthz", ready)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/models", models)
    app.router.add_get("/system", system)
    return strip_server_header(app)  # Go's HTTP server names none


SERVICES = [
    # The documented `local-ai run`: every interface, no API key, CORS off. Anyone who reaches it
    # lists and runs models and installs models and backends from a URL (/models/apply).
    LabService(
        key="localai-vulnerable",
        product="localai",
        version="2.16.0",
        twin="vulnerable",
        port=8080,
        expected=("auth.missing", "http.host.unchecked"),
        start=app_service(lambda: _app("v2.16.0", "c61ef4a", None, well_known=False)),
        notes="LocalAI v2.16.0, no API key",
    ),
    # LOCALAI_API_KEY set: every API route 401; the UI shell and the discovery document (with the
    # version) stay public by design.
    LabService(
        key="localai-hardened",
        product="localai",
        version="3.8.0",
        twin="hardened",
        port=8080,
        expected=(),
        start=app_service(lambda: _app("v3.8.0", "e09f1c7", "lab-localai-key-2b9e", well_known=True)),
        notes="LocalAI v3.8.0 with LOCALAI_API_KEY",
    ),
]
