"""OpenHands twins: the app server as the docs start it (no authentication in the open-source
single-user mode), and a sandbox agent server started with SESSION_API_KEY.

Facts (OpenHands/OpenHands; twin only): the app server is a FastAPI app titled "OpenHands"
("OpenHands: Code Less, Make More", `/openapi.json` `info.version` e.g. 0.53.0, as its published
API reference shows) on port 3000, `GET /health` a JSON string, conversations listed by
`GET /api/conversations` (`{"results": [...], "next_page_id": null}`, openhands/server/routes,
the V0 routes) with no authentication in the single-user OSS server; one public survey found
the UI answering without auth on every instance it probed. The sandbox's agent server
("OpenHands Agent Server", `/openapi.json` version 0.1.0) checks `X-Session-API-Key` on its
/api routes only when SESSION_API_KEY is set (401 otherwise); FastAPI serves `/openapi.json`
outside those routes, so the version stays visible.
"""

from __future__ import annotations

from aiohttp import web

from .base import LabService, app_service, strip_server_header

_KEY = "lab-openhands-session-key-never-sent"


def _openapi(title: str, description: str, version: str) -> dict:
    return {"openapi": "3.1.0", "info": {"title": title, "description": description, "version": version},
            "paths": {"/health": {"get": {"summary": "Health", "operationId": "health_health_get"}}}}


def _app_server(version: str) -> web.Application:
    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(_openapi("OpenHands", "OpenHands: Code Less, Make More", version))

    async def health(request: web.Request) -> web.Response:
        return web.json_response("OK")

    async def conversations(request: web.Request) -> web.Response:
        return web.json_response({"results": [{"conversation_id": "5e1f0c", "title": "Fix the tests",
                                               "status": "STOPPED"}], "next_page_id": None})

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<!DOCTYPE html><html lang=\"en\"><head><title>OpenHands</title></head>"
                                 "<body><div id=\"root\"></div></body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/health", health)
    app.router.add_get("/api/conversations", conversations)
    return strip_server_header(app, {"Server": "uvicorn"})


def _agent_server(version: str, key: str) -> web.Application:
    @web.middleware
    async def session_key(request: web.Request, handler):
        if request.path.startswith("/api/") and request.headers.get("X-Session-API-Key") != key:
            return web.json_response({"detail": "Unauthorized"}, status=401)
        return await handler(request)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(_openapi("OpenHands Agent Server",
                                          "OpenHands Agent Server - REST/WebSocket interface for OpenHands AI Agent",
                                          version))

    async def health(request: web.Request) -> web.Response:
        return web.json_response("OK")

    async def search(request: web.Request) -> web.Response:
        return web.json_response({"items": [], "next_page_id": None})

    app = web.Application(middlewares=[session_key])
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/health", health)
    app.router.add_get("/api/conversations/search", search)
    return strip_server_header(app, {"Server": "uvicorn"})


SERVICES = [
    LabService(key="openhands-vulnerable", product="openhands", version="0.53.0", twin="vulnerable", port=3000,
               expected=("auth.missing",), start=app_service(lambda: _app_server("0.53.0")),
               notes="OpenHands app server (OSS single-user): no authentication"),
    LabService(key="openhands-agent-server-hardened", product="openhands", version="0.1.0", twin="hardened",
               port=8000, expected=(), start=app_service(lambda: _agent_server("0.1.0", _KEY)),
               notes="OpenHands agent server with SESSION_API_KEY"),
]
