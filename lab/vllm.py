"""vLLM twins: the OpenAI-compatible server (`vllm serve`) on 8000, every interface by default.

Facts: vllm-project/vllm `vllm/entrypoints/openai/api_server.py` (FastAPI on uvicorn: `GET /version`
answers `{"version": ...}`, `/health`, `/metrics`, `/v1/models`), `entrypoints/openai/protocol.py`
(ModelCard: `owned_by: "vllm"`, `root`, `parent`, `max_model_len`, `permission`),
`cli_args.py` (`--allowed-origins` defaults to ["*"], `--allow-credentials` to false; no
`--api-key` by default) and the API-key middleware (`entrypoints/.../authentication`): a missing
or wrong key on a guarded path is 401 `{"error":"Unauthorized"}`, while `/health`, `/ping`,
`/version`, `/metrics`, `/docs` and `/openapi.json` stay public. Prometheus metric names start
`vllm:` (the public nmap-ai-recon llm-info script reads them).
"""

from __future__ import annotations

from aiohttp import web

from ._http import bearer_guard, json_response, starlette_cors
from .base import LabService, app_service, strip_server_header

_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
_PUBLIC = ("/health", "/ping", "/load", "/version", "/metrics", "/docs", "/redoc", "/openapi.json")

_METRICS = f"""# HELP python_gc_objects_collected_total Objects collected during gc
# TYPE python_gc_objects_collected_total counter
python_gc_objects_collected_total{{generation="0"}} 1432.0
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{{engine="0",model_name="{_MODEL}"}} 0.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{{engine="0",model_name="{_MODEL}"}} 0.0
"""


def _app(version: str, api_key: str | None, origins) -> web.Application:
    guard = bearer_guard(api_key, lambda r: not any(r.path == p or r.path.startswith(p + "/") for p in _PUBLIC),
                         lambda: json_response({"error": "Unauthorized"}, status=401, separators=(", ", ": ")))

    async def version_(request: web.Request) -> web.Response:
        return json_response({"version": version}, separators=(", ", ": "))

    async def health(request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(text=_METRICS, content_type="text/plain", charset="utf-8")

    async def models(request: web.Request) -> web.Response:
        return json_response({"object": "list", "data": [{
            "id": _MODEL, "object": "model", "created": 1764633600, "owned_by": "vllm", "root": _MODEL,
            "parent": None, "max_model_len": 32768,
            "permission": [{"id": "modelperm-3f0c9b7e1a2d4c5b", "object": "model_permission", "created": 1764633600,
                            "allow_create_engine": False, "allow_sampling": True, "allow_logprobs": True,
                            "allow_search_indices": False, "allow_view": True, "allow_fine_tuning": False,
                            "organization": "*", "group": None, "is_blocking": False}]}]})

    async def not_found(request: web.Request) -> web.Response:
        return json_response({"detail": "Not Found"}, status=404)

    # Starlette runs the CORS middleware outside the key check: a refusal still carries CORS headers
    app = web.Application(middlewares=[starlette_cors(origins, credentials=False), guard])
    app.router.add_get("/version", version_)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/v1/models", models)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return strip_server_header(app, {"Server": "uvicorn"})


SERVICES = [
    # `vllm serve MODEL` as documented: no --api-key, --allowed-origins ["*"], every interface.
    LabService(
        key="vllm-vulnerable",
        product="vllm",
        version="0.7.3",
        twin="vulnerable",
        port=8000,
        expected=("auth.missing", "http.cors.permissive", "http.host.unchecked", "version.vulnerable"),
        start=app_service(lambda: _app("0.7.3", None, "*")),
        notes="vLLM 0.7.3, no --api-key, CORS *",
    ),
    # --api-key and an explicit --allowed-origins: /v1/* refused 401; /version stays public.
    LabService(
        key="vllm-hardened",
        product="vllm",
        version="0.14.1",
        twin="hardened",
        port=8000,
        expected=(),
        start=app_service(lambda: _app("0.14.1", "lab-vllm-key-51d0", ["http://localhost:3000"])),
        notes="vLLM 0.14.1 with --api-key and --allowed-origins",
    ),
]
