"""Hermes Agent twins: the OpenAI-compatible API server without and with API_SERVER_KEY, and the
web dashboard.

Facts (NousResearch/hermes-agent; twin only):
- `gateway/platforms/api_server.py` (002b7c3): an aiohttp server on 127.0.0.1:8642
  (DEFAULT_HOST/DEFAULT_PORT) with /v1/chat/completions, /v1/responses, /v1/runs (a run is a
  whole agent turn with tools), /v1/models (lists `hermes-agent`), /v1/capabilities
  (`"object": "hermes.api_server.capabilities"`), /health and /health/detailed. `/health` needs
  no key and answers `{"status": "ok", "platform": "hermes-agent"}`, with `"version"` in later
  releases (0.18.2, 0.21.6 seen in deployment notes); every other route wants
  `Authorization: Bearer <API_SERVER_KEY>` when a key is set (401 otherwise) and lets everything
  through when none is, which an upstream issue reported as remote code execution over the API;
  later releases refuse a non-loopback bind without a key (the reference notes; the PR was not
  re-read here).
- `hermes_cli/web_server.py`: the dashboard (FastAPI app titled "Hermes Agent", port 9119):
  `/api/status` is public and returns `version`, `release_date`, `hermes_home`,
  `gateway_running`...; the rest of /api/ needs the per-start session token (401
  `{"detail":"Unauthorized"}`); a Host that is not a loopback name on a loopback bind is 400
  "Invalid Host header..." (GHSA-ppp5-vxwm-4cf7; a loopback-name bind accepts the loopback
  names, another bind only its own address); CORS allows only localhost/127.0.0.1 origins.
"""

from __future__ import annotations

import json
import re

from aiohttp import web

from .base import LabService, app_service, host_only, strip_server_header

_KEY = "lab-hermes-api-key-7d0c2e"  # the hardened twin's API_SERVER_KEY (never sent by the scanner)
_LOCAL_ORIGIN = re.compile(r"^https?://(localhost|127\.0\.0\.1)(:\d+)?$")


def _api(version: str, *, key: str | None, health_version: bool) -> web.Application:
    def openai_error(message: str, code: str) -> dict:
        return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}

    @web.middleware
    async def auth(request: web.Request, handler):
        if key is not None and not request.path.startswith("/health"):
            if request.headers.get("Authorization") != f"Bearer {key}":
                return web.json_response(openai_error("Invalid API key", "invalid_api_key"), status=401)
        return await handler(request)

    async def health(request: web.Request) -> web.Response:
        doc = {"status": "ok", "platform": "hermes-agent"}
        if health_version:
            doc["version"] = version
        return web.json_response(doc)

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": "hermes-agent", "object": "model", "created": 1744348800, "owned_by": "hermes"}]})

    async def capabilities(request: web.Request) -> web.Response:
        return web.json_response({"object": "hermes.api_server.capabilities", "platform": "hermes-agent",
                                  "model": "hermes-agent", "features": {"chat_completions": True,
                                                                        "run_submission": True, "cors": False}})

    app = web.Application(middlewares=[auth])
    app.router.add_get("/health", health)
    app.router.add_get("/v1/health", health)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/v1/capabilities", capabilities)
    return app  # aiohttp's own Server header, as the real adapter (aiohttp) sends


def _dashboard(version: str) -> web.Application:
    public = {"/api/status", "/api/config/defaults", "/api/config/schema", "/api/model/info"}

    @web.middleware
    async def guard(request: web.Request, handler):
        # _is_accepted_host: a loopback-name bind accepts the loopback names, any other bind
        # exactly its own address (the lab binds 127.0.10.x, so that address is the one accepted)
        bound = (request.transport.get_extra_info("sockname") or ("",))[0] if request.transport else ""
        host = host_only(request.host or "").lower()
        loopback = ("localhost", "127.0.0.1", "::1")
        if not (host == bound or (bound in loopback and host in loopback)):
            return web.json_response({"detail": "Invalid Host header. Dashboard requests must use the hostname "
                                      "the server was bound to."}, status=400)
        if request.path.startswith("/api/") and request.path not in public:
            return web.json_response({"detail": "Unauthorized"}, status=401)
        response = await handler(request)
        origin = request.headers.get("Origin")
        if origin and _LOCAL_ORIGIN.match(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
        return response

    async def status(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps({
            "version": version, "release_date": "2026.11.20", "hermes_home": "/home/lab/.hermes",
            "config_path": "/home/lab/.hermes/config.yaml", "env_path": "/home/lab/.hermes/.env",
            "config_version": 19, "latest_config_version": 19, "gateway_running": False, "gateway_pid": None,
            "gateway_health_url": None, "gateway_state": None, "gateway_platforms": {},
            "gateway_exit_reason": None, "gateway_updated_at": None, "active_sessions": 0}),
            content_type="application/json")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><html><head><title>Hermes Agent</title></head>"
                                 "<body><div id=\"root\"></div></body></html>", content_type="text/html")

    app = web.Application(middlewares=[guard])
    app.router.add_get("/api/status", status)
    app.router.add_get("/api/config", status)  # behind the session token (guard)
    app.router.add_get("/", page)
    return strip_server_header(app, {"Server": "uvicorn"})


SERVICES = [
    LabService(key="hermes-agent-api-vulnerable", product="hermes-agent", version="0.18.2", twin="vulnerable",
               port=8642, expected=("auth.missing",),
               start=app_service(lambda: _api("0.18.2", key=None, health_version=True)),
               notes="Hermes Agent API server without API_SERVER_KEY"),
    LabService(key="hermes-agent-api-hardened", product="hermes-agent", version="0.21.6", twin="hardened",
               port=8642, expected=(), start=app_service(lambda: _api("0.21.6", key=_KEY, health_version=True)),
               notes="Hermes Agent API server with API_SERVER_KEY (version still on /health)"),
    LabService(key="hermes-agent-dashboard", product="hermes-agent", version="0.21.6", twin="hardened",
               port=9119, expected=(), start=app_service(lambda: _dashboard("0.21.6")),
               notes="hermes dashboard on loopback: session token, Host check"),
]
