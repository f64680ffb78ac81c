"""LM Studio twins: the desktop app's local server on 1234 (closed source; behaviour from its SDK,
docs and bug tracker).

Facts: lmstudio-ai/lmstudio-js `LMStudioClient.ts` and lmstudio-ai/lms `src/createClient.ts`
(`GET /lmstudio-greeting` must answer `{"lmstudio":true}` before the SDK and CLI talk to a
server); the LM Studio docs (the server binds localhost until "Serve on Local Network";
"Enable CORS" is off by default; API tokens and "Require Authentication" from 0.4.0, off by
default); lmstudio-ai/lmstudio-bug-tracker #1879 and client issue threads (every path it does not
serve, `/` included, is answered `{"error":"Unexpected endpoint or method. (GET /)"}` with 200,
"Returning 200 anyway"; `/v1/models` entries are `owned_by: "organization_owner"`; a request
without a token when one is required gets 401 and an `invalid_api_key` error naming the
`Authorization: Bearer` scheme). The version is shown by none of these answers.
"""

from __future__ import annotations

from aiohttp import web

from ._http import bearer_guard, json_response
from .base import LabService, app_service, strip_server_header

_TOKEN_MESSAGE = ("An LM Studio API token is required to make requests to this server, but none was provided "
                  "using the Authorization header using the 'Bearer' scheme (i.e., 'Authorization: Bearer "
                  "$LM_API_TOKEN'). Learn more at: https://lmstudio.ai/docs/developer/core/authentication.")


def _app(token: str | None, *, cors: bool) -> web.Application:
    # the token guards the API (/v1/*, /api/*); the greeting stays public, other paths get the 200 above
    guard = bearer_guard(token, lambda r: r.path.startswith(("/v1/", "/api/")), lambda: json_response(
        {"error": {"type": "invalid_request", "code": "invalid_api_key", "message": _TOKEN_MESSAGE}}, status=401))

    @web.middleware
    async def enable_cors(request: web.Request, handler):
        response = await handler(request)
        if cors:  # the "Enable CORS" server setting
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    async def greeting(request: web.Request) -> web.Response:
        return json_response({"lmstudio": True})

    async def models(request: web.Request) -> web.Response:
        return json_response({"data": [{"id": "qwen/qwen3-4b-2507", "object": "model", "owned_by": "organization_owner"},
                                       {"id": "text-embedding-nomic-embed-text-v1.5", "object": "model",
                                        "owned_by": "organization_owner"}], "object": "list"}, separators=(",", ": "))

    async def native_models(request: web.Request) -> web.Response:
        return json_response({"data": [{"id": "qwen/qwen3-4b-2507", "object": "model", "type": "llm",
                                        "publisher": "qwen", "arch": "qwen3", "compatibility_type": "gguf",
                                        "quantization": "Q4_K_M", "state": "not-loaded", "max_context_length": 262144}],
                              "object": "list"})

    async def unexpected(request: web.Request) -> web.Response:
        return json_response({"error": f"Unexpected endpoint or method. ({request.method} {request.path})"})

    app = web.Application(middlewares=[enable_cors, guard])
    app.router.add_get("/lmstudio-greeting", greeting)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/api/v0/models", native_models)
    app.router.add_route("*", "/{tail:.*}", unexpected)
    return strip_server_header(app)  # no Server header is documented


SERVICES = [
    # "Serve on Local Network" and "Enable CORS" on, no token required (the default): any page
    # reads the model list and can run completions.
    LabService(
        key="lm-studio-vulnerable",
        product="lm-studio",
        version="0.3.30",
        twin="vulnerable",
        port=1234,
        expected=("auth.missing", "http.cors.permissive", "http.host.unchecked"),
        start=app_service(lambda: _app(None, cors=True)),
        notes="LM Studio 0.3.30 server, CORS on, no token",
        version_observable=False,
    ),
    # 0.4 with "Require Authentication": every API route 401 without a token; the greeting stays
    # public (the SDK asks it before it sends a token).
    LabService(
        key="lm-studio-hardened",
        product="lm-studio",
        version="0.4.18",
        twin="hardened",
        port=1234,
        expected=(),
        start=app_service(lambda: _app("sk-lm-lab0Tok:en3f9a1c", cors=False)),
        notes="LM Studio 0.4.18 with Require Authentication",
        version_observable=False,
    ),
]
