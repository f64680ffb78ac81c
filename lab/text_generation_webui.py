"""text-generation-webui (oobabooga) twins: its OpenAI-compatible API (`--api`) on 5000.

Facts: oobabooga/text-generation-webui `modules/api/script.py` (FastAPI on uvicorn;
CORSMiddleware(allow_origins=["*"], allow_credentials=True); `validate_host_header` answers 400
`{"detail":"Invalid host header"}` to any Host other than localhost/127.0.0.1 unless `--listen`
or `--public-api`; `--api-key` makes every route answer 401 `{"detail":"Unauthorized"}` without
`Authorization: Bearer <key>`; the API binds 127.0.0.1, or 0.0.0.0 with `--listen`),
`modules/api/models.py` (`/v1/internal/model/info` is `{model_name, lora_names, loader}`;
`/v1/models` entries are `owned_by: "user"`) and `modules/shared.py` (`--api-port` 5000,
`--api-key` empty by default). FastAPI's own `/openapi.json` and `/docs` carry no key check.
No answer names the version.
"""

from __future__ import annotations

from aiohttp import web

from ._http import bearer_guard, json_response, starlette_cors
from .base import LabService, app_service, host_only, strip_server_header

_MODEL = "Qwen2.5-7B-Instruct-Q4_K_M.gguf"
_ROUTES = ("/v1/completions", "/v1/chat/completions", "/v1/messages", "/v1/models", "/v1/models/{model}",
           "/v1/embeddings", "/v1/internal/health", "/v1/internal/encode", "/v1/internal/token-count",
           "/v1/internal/model/info", "/v1/internal/model/list", "/v1/internal/model/load",
           "/v1/internal/model/unload", "/v1/internal/lora/list", "/v1/internal/lora/load")
_OPENAPI = {"openapi": "3.1.0", "info": {"title": "FastAPI", "version": "0.1.0"},
            "paths": {path: {"get" if "list" in path or "info" in path or path.startswith("/v1/models") else "post":
                             {"summary": path.rsplit("/", 1)[-1].replace("-", " ").title(), "responses": {}}}
                      for path in _ROUTES}}


def app(api_key: str | None, *, listen: bool) -> web.Application:
    """The API as `--api [--listen] [--api-key KEY]` starts it (also used by the tests directly:
    without --listen only a loopback Host passes, so it cannot sit on a lab address)."""

    @web.middleware
    async def validate_host_header(request: web.Request, handler):
        if not listen and host_only(request.headers.get("Host", "")) not in ("localhost", "127.0.0.1"):
            return json_response({"detail": "Invalid host header"}, status=400)
        return await handler(request)

    open_paths = {"/openapi.json", "/docs"}
    guard = bearer_guard(api_key, lambda r: r.path not in open_paths,
                         lambda: json_response({"detail": "Unauthorized"}, status=401))

    async def model_info(request: web.Request) -> web.Response:
        return json_response({"model_name": _MODEL, "lora_names": [], "loader": "llama.cpp"})

    async def models(request: web.Request) -> web.Response:
        return json_response({"object": "list", "data": [{"id": _MODEL, "object": "model", "created": 0, "owned_by": "user"}]})

    async def openapi(request: web.Request) -> web.Response:
        return json_response(_OPENAPI)

    async def not_found(request: web.Request) -> web.Response:
        return json_response({"detail": "Not Found"}, status=404)

    # Starlette: the middleware added last runs first (host check, then CORS, then the key)
    application = web.Application(middlewares=[validate_host_header, starlette_cors("*", credentials=True), guard])
    application.router.add_get("/v1/internal/model/info", model_info)
    application.router.add_get("/v1/models", models)
    application.router.add_get("/openapi.json", openapi)
    application.router.add_route("*", "/{tail:.*}", not_found)
    return strip_server_header(application, {"Server": "uvicorn"})


SERVICES = [
    # `--api --listen`: on every interface, no key, CORS "*" with credentials, no Host check.
    LabService(
        key="text-generation-webui-vulnerable",
        product="text-generation-webui",
        version="3.4",
        twin="vulnerable",
        port=5000,
        expected=("auth.missing", "http.cors.permissive", "http.host.unchecked"),
        start=app_service(lambda: app(None, listen=True)),
        notes="text-generation-webui API, --listen, no --api-key",
        version_observable=False,
    ),
    # `--api --listen --api-key KEY`: every API route 401; only FastAPI's schema stays open.
    LabService(
        key="text-generation-webui-hardened",
        product="text-generation-webui",
        version="3.19",
        twin="hardened",
        port=5000,
        expected=(),
        start=app_service(lambda: app("lab-tgw-key-8e41", listen=True)),
        notes="text-generation-webui API, --listen with --api-key",
        version_observable=False,
    ),
]
