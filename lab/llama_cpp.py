"""llama.cpp `llama-server` twins: the OpenAI-compatible server on 8080 (127.0.0.1 by default).

Facts: ggml-org/llama.cpp `tools/server/server-http.cpp` (cpp-httplib; every answer carries
`Server: llama.cpp`; the pre-routing handler copies the request's Origin into
Access-Control-Allow-Origin on every answer; `--api-key` guards every path except `/health`,
`/v1/health`, `/models`, `/v1/models`, `/` and the web UI's assets, and refuses with 401
`{"error":{"message":"Invalid API Key","type":"authentication_error","code":401}}`; an unknown
path is 404 `{"error":{"message":"File Not Found",...}}`), `server-context.cpp` (`/v1/models`
entries are `owned_by: "llamacpp"` with a `meta` block) and the public nuclei template
`llamacpp-detect` (`/health` `{"status":"ok"}` plus the Server header). `/props` carries
`build_info` ("b<build>-<commit>"), the release tag llama.cpp publishes as its version; with a
key set it is refused like any guarded path, so a keyed server hides its version.
"""

from __future__ import annotations

from aiohttp import web

from ._http import bearer_guard, json_response
from .base import LabService, app_service, strip_server_header

_PUBLIC = {"/health", "/v1/health", "/models", "/v1/models", "/"}
_MODEL = "qwen2.5-0.5b-instruct-q4_k_m.gguf"


def _error(message: str, kind: str, code: int) -> web.Response:
    return json_response({"error": {"message": message, "type": kind, "code": code}}, status=code)


def _app(build: str, api_key: str | None) -> web.Application:
    @web.middleware
    async def reflect_origin(request: web.Request, handler):
        # set_pre_routing_handler: ACAO = the request's Origin, before the key check, on every answer
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = _error("File Not Found", "not_found_error", 404)
        if "Origin" in request.headers:
            response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        return response

    guard = bearer_guard(api_key, lambda r: r.path not in _PUBLIC and r.method != "OPTIONS",
                         lambda: _error("Invalid API Key", "authentication_error", 401), header_key="X-Api-Key")

    async def root(request: web.Request) -> web.Response:
        # the Svelte web UI (tools/server/webui: <title>llama.cpp - AI Chat Interface</title>)
        return web.Response(text="<!doctype html><html><head><title>llama.cpp - AI Chat Interface</title></head>"
                                 "<body><div id=\"app\"></div></body></html>", content_type="text/html")

    async def health(request: web.Request) -> web.Response:
        return json_response({"status": "ok"})

    async def models(request: web.Request) -> web.Response:
        return json_response({"models": [{"name": _MODEL, "model": _MODEL, "type": "model", "capabilities": ["completion"]}],
                              "object": "list",
                              "data": [{"id": _MODEL, "object": "model", "created": 1764633600, "owned_by": "llamacpp",
                                        "meta": {"vocab_type": 2, "n_vocab": 151936, "n_ctx_train": 32768,
                                                 "n_embd": 896, "n_params": 494032768, "size": 491400032}}]})

    async def props(request: web.Request) -> web.Response:
        return json_response({"default_generation_settings": {"n_ctx": 4096, "params": {"temperature": 0.8}},
                              "total_slots": 1, "model_path": f"/models/{_MODEL}", "chat_template": "chatml",
                              "build_info": build})

    app = web.Application(middlewares=[reflect_origin, guard])
    app.router.add_get("/", root)
    for path in ("/health", "/v1/health"):
        app.router.add_get(path, health)
    for path in ("/models", "/v1/models"):
        app.router.add_get(path, models)
    app.router.add_get("/props", props)
    return strip_server_header(app, {"Server": "llama.cpp"})


SERVICES = [
    # The defaults: no --api-key, so /props (model path, system prompt) and every completion
    # answer anyone; the Origin reflection lets any page read them; no Host check exists.
    LabService(
        key="llama-cpp-server-vulnerable",
        product="llama-cpp-server",
        version="b4500",
        twin="vulnerable",
        port=8080,
        expected=("auth.missing", "http.cors.permissive", "http.host.unchecked"),
        start=app_service(lambda: _app("b4500-a3b2c1d0", None)),
        notes="llama-server b4500, no --api-key",
    ),
    # --api-key set: /props refused 401 (so the build, the version, is hidden too); the model
    # list stays public by design and the Origin is still reflected, but on a refusal.
    LabService(
        key="llama-cpp-server-hardened",
        product="llama-cpp-server",
        version="b6500",
        twin="hardened",
        port=8080,
        expected=(),
        start=app_service(lambda: _app("b6500-9f8e7d6c", "lab-llama-key-7c1f0e")),
        notes="llama-server b6500 with --api-key (version hidden behind the key)",
        version_observable=False,
    ),
]
