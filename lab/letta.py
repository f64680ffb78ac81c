"""Letta server twins: the stateful-agent server on 8283 (the legacy self-hosted server).

Facts: the letta-ai/letta source (archived 2026-08-15; letta/server/rest_api/app.py
CheckPasswordMiddleware and CORS, routers/v1/health.py, routers/v1/tools.py list_mcp_servers,
server/constants.py REST_DEFAULT_PORT). PyPI `letta` from 0.32 on is another program (the Letta
Code terminal CLI, a bundled Node app, checked here: 0.34.12 ships letta_code/_payload), so
0.16.8 is the last server release.
- `GET /v1/health/` {"version", "status": "ok"} is exempt from the password.
- The password middleware runs only with LETTA_SERVER_SECURE=true or --secure: otherwise every
  route answers anyone; with it, 401 {"detail": "Unauthorized"} unless `X-BARE-PASSWORD:
  password <pw>` or `Authorization: Bearer <pw>`.
- CORS allowlist: localhost:8283/8083/3000/4200, letta.localhost, ACCEPTABLE_ORIGINS and
  https://app.letta.com, with credentials; no Host check.
- `GET /v1/tools/mcp/servers` returns the configured MCP servers {name: config (server_url,
  type, token / headers ...)}: Letta is an MCP client; its agents call those servers' tools.
- uvicorn serves it (`server: uvicorn`).
"""

from __future__ import annotations

from aiohttp import web

from .base import LabService, app_service, strip_server_header

_ALLOWED = {"http://letta.localhost", "http://localhost:8283", "http://localhost:8083", "http://localhost:3000",
            "http://localhost:4200", "https://app.letta.com"}


def _app(version: str, *, password: str | None) -> web.Application:
    @web.middleware
    async def guard(request: web.Request, handler):
        exempt = request.path in ("/v1/health/", "/latest/health/")
        if password is not None and not exempt and request.headers.get("X-BARE-PASSWORD") != f"password {password}" \
                and request.headers.get("Authorization") != f"Bearer {password}":
            response = web.json_response({"detail": "Unauthorized"}, status=401)
        else:
            response = await handler(request)
        origin = request.headers.get("Origin")
        if origin in _ALLOWED:  # starlette CORSMiddleware with an allowlist and credentials
            response.headers["access-control-allow-origin"] = origin
            response.headers["access-control-allow-credentials"] = "true"
            response.headers["vary"] = "Origin"
        return response

    async def health(request):
        return web.json_response({"version": version, "status": "ok"})

    async def agents(request):
        return web.json_response([{"id": "agent-6f1c2e7a-3b9d-4c52-9a0e-1d8f7b2c4e61", "name": "support-bot",
                                   "agent_type": "memgpt_v2_agent", "created_at": "2026-10-12T09:41:07Z",
                                   "tools": [{"name": "send_message"}, {"name": "run_code"}]}])

    async def mcp_servers(request):
        return web.json_response({"github": {"server_name": "github", "type": "streamable_http",
                                             "server_url": "https://api.githubcopilot.com/mcp/",
                                             "auth_header": "Authorization", "auth_token": "<set>"}})

    async def not_found(request):
        return web.json_response({"detail": "Not Found"}, status=404)

    app = web.Application(middlewares=[guard])
    app.router.add_get("/v1/health/", health)
    app.router.add_get("/latest/health/", health)
    app.router.add_get("/v1/agents/", agents)
    app.router.add_get("/v1/tools/mcp/servers", mcp_servers)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return strip_server_header(app, {"Server": "uvicorn"})


SERVICES = [
    # The default: no password middleware; agents (and their tools) answer anyone, and a
    # rebinding page reaches them too.
    LabService(
        key="letta-vulnerable",
        product="letta",
        version="0.16.8",
        twin="vulnerable",
        port=8283,
        expected=("auth.missing", "http.host.unchecked"),
        start=app_service(lambda: _app("0.16.8", password=None)),
        notes="Letta server 0.16.8, default (no --secure)",
    ),
    LabService(
        key="letta-hardened",
        product="letta",
        version="0.16.8",
        twin="hardened",
        port=8283,
        expected=(),
        start=app_service(lambda: _app("0.16.8", password="lab-letta-password-2b7e")),
        notes="Letta server 0.16.8 with --secure (password on every route but health)",
    ),
]
