"""A2A agent twins: one per card era (1.0, 0.3, 0.2) without authentication, and a 1.0 agent
behind a bearer token.

Facts, checked against the real a2a-sdk (PyPI) 0.3.26 and 1.3.0 run in a private namespace
(a2aproject/a2a-python `src/a2a/utils/constants.py`, `server/routes/jsonrpc_dispatcher.py`):
- 1.x serves the card at `/.well-known/agent-card.json` only (`/.well-known/agent.json` is 404);
  the card lists `supportedInterfaces[{url, protocolBinding, protocolVersion}]` and
  `capabilities.extendedAgentCard`. JSON-RPC methods are PascalCase (`ListTasks`, `GetTask`,
  `GetExtendedAgentCard`); a request without `A2A-Version: 1.0` is taken for 0.3 and answered
  `-32009` "A2A version '0.3' is not supported by this handler. Expected version '1.0'.";
  `GetTask` of an unknown id is `-32001 Task not found` with an ErrorInfo `TASK_NOT_FOUND`; an
  old method name (`tasks/get`) is `-32601 Method not found`. The HTTP+JSON binding answers
  `GET <prefix>/tasks/<id>` 404 `{"error": {"status": "NOT_FOUND", ... "TASK_NOT_FOUND"}}`.
- 0.3 serves the same card at both paths (`PREV_AGENT_CARD_WELL_KNOWN_PATH`), with the endpoint
  in the top-level `url`, `preferredTransport: JSONRPC`, `protocolVersion: "0.3.0"`,
  `supportsAuthenticatedExtendedCard`; `tasks/get` of an unknown id is
  `{"error":{"code":-32001,"message":"Task not found"}}`; `GET /agent/authenticatedExtendedCard`
  still answers (deprecated) and so does `agent/getAuthenticatedExtendedCard`.
- Agents before 0.3 serve only `/.well-known/agent.json` (a2a-python v0.2.16 constants).
- Neither SDK authenticates anything: `GET /` is 405 (uvicorn's `Server` header), the RPC is
  answered to anyone. The hardened twin puts the RPC behind a bearer token the card declares
  (an application's own middleware; the card stays public, as the protocol intends).
"""

from __future__ import annotations

import json

from aiohttp import web

from .base import LabService, app_service, strip_server_header

_SECRET = "lab-a2a-bearer-2b7c61f0"  # the hardened twin's token (never sent by the scanner)
_SKILLS = [{"id": "hello_world", "name": "Returns hello world", "description": "just returns hello world",
            "tags": ["hello world"], "examples": ["hi", "hello world"]}]


def _card(era: str, base: str, *, secured: bool) -> dict:
    if era == "1.0":
        card = {"name": "Hello World Agent", "description": "Just a hello world agent",
                "supportedInterfaces": [
                    {"url": f"{base}/", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
                    {"url": f"{base}/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"}],
                "version": "1.0.0", "capabilities": {"streaming": True, "extendedAgentCard": True},
                "defaultInputModes": ["text"], "defaultOutputModes": ["text"], "skills": _SKILLS}
        if secured:
            card["securitySchemes"] = {"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}}
            card["securityRequirements"] = [{"schemes": {"bearer": {"list": []}}}]
        return card
    card = {"capabilities": {"streaming": True}, "defaultInputModes": ["text"], "defaultOutputModes": ["text"],
            "description": "Just a hello world agent", "name": "Hello World Agent", "skills": _SKILLS,
            "url": f"{base}/", "version": "0.9.2" if era == "0.2" else "1.0.0"}
    if era == "0.3":
        card.update(preferredTransport="JSONRPC", protocolVersion="0.3.0", supportsAuthenticatedExtendedCard=True)
    return card


def _app(era: str, *, secured: bool = False) -> web.Application:
    @web.middleware
    async def bearer(request: web.Request, handler):
        if secured and not request.path.startswith("/.well-known/"):
            if request.headers.get("Authorization") != f"Bearer {_SECRET}":
                return web.json_response({"error": "unauthorized"}, status=401,
                                         headers={"WWW-Authenticate": 'Bearer realm="a2a"'})
        return await handler(request)

    def card_of(request: web.Request) -> dict:
        return _card(era, f"http://{request.host}", secured=secured)

    async def card(request: web.Request) -> web.Response:
        return web.json_response(card_of(request), dumps=lambda d: json.dumps(d, separators=(",", ":")))

    def error(req_id, code: int, message: str, reason: str | None = None) -> dict:
        err: dict = {"code": code, "message": message}
        if reason:
            err["data"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                            "domain": "a2a-protocol.org", "metadata": {}}]
        return {"error": err, "id": req_id, "jsonrpc": "2.0"}

    async def rpc(request: web.Request) -> web.Response:
        try:
            msg = await request.json()
        except ValueError:
            return web.json_response(error(None, -32700, "Parse error"))
        req_id, method = msg.get("id"), msg.get("method")
        if era == "1.0":
            if request.headers.get("A2A-Version") != "1.0" and method in (
                    "ListTasks", "GetTask", "GetExtendedAgentCard", "SendMessage"):
                return web.json_response(error(req_id, -32009, "A2A version '0.3' is not supported by this handler. "
                                               "Expected version '1.0'.", "VERSION_NOT_SUPPORTED"))
            if method == "ListTasks":
                return web.json_response({"result": {"pageSize": 50, "tasks": [], "nextPageToken": "", "totalSize": 0},
                                          "id": req_id, "jsonrpc": "2.0"})
            if method == "GetTask":
                return web.json_response(error(req_id, -32001, "Task not found", "TASK_NOT_FOUND"))
            if method == "GetExtendedAgentCard":
                return web.json_response({"result": card_of(request), "id": req_id, "jsonrpc": "2.0"})
        else:
            if method == "tasks/get":
                return web.json_response(error(req_id, -32001, "Task not found"))
            if method == "agent/getAuthenticatedExtendedCard" and era == "0.3":
                return web.json_response({"id": req_id, "jsonrpc": "2.0", "result": card_of(request)})
        return web.json_response(error(req_id, -32601, "Method not found"))

    async def rest_task(request: web.Request) -> web.Response:
        if request.headers.get("A2A-Version") != "1.0":
            return web.json_response({"error": {"code": 400, "status": "FAILED_PRECONDITION",
                                                "message": "A2A version '0.3' is not supported by this handler."}},
                                     status=400)
        return web.json_response({"error": {"code": 404, "status": "NOT_FOUND", "message": "Task not found",
                                            "details": [{"reason": "TASK_NOT_FOUND", "domain": "a2a-protocol.org"}]}},
                                 status=404)

    async def not_allowed(request: web.Request) -> web.Response:
        return web.Response(status=405, text="Method Not Allowed")  # the SDK routes only POST /

    app = web.Application(middlewares=[bearer])
    app.router.add_get("/.well-known/agent-card.json" if era != "0.2" else "/.well-known/agent.json", card)
    if era == "0.3":
        app.router.add_get("/.well-known/agent.json", card)
        app.router.add_get("/agent/authenticatedExtendedCard", card)
    app.router.add_post("/", rpc)
    app.router.add_get("/", not_allowed)
    if era == "1.0":
        app.router.add_get("/rest/tasks/{id}", rest_task)
    return strip_server_header(app, {"Server": "uvicorn"})


SERVICES = [
    LabService(key="a2a-v1-vulnerable", product="a2a-agent", version="1.0.0", twin="vulnerable", port=9999,
               expected=("auth.missing", "http.host.unchecked"), start=app_service(lambda: _app("1.0")),
               notes="a2a-sdk 1.x agent, card with supportedInterfaces, no authentication"),
    LabService(key="a2a-v03-vulnerable", product="a2a-agent", version="1.0.0", twin="vulnerable", port=9999,
               expected=("auth.missing", "http.host.unchecked"), start=app_service(lambda: _app("0.3")),
               notes="a2a-sdk 0.3 agent, card at both paths with a top-level url, no authentication"),
    LabService(key="a2a-v02-vulnerable", product="a2a-agent", version="0.9.2", twin="vulnerable", port=9999,
               expected=("auth.missing", "http.host.unchecked"), start=app_service(lambda: _app("0.2")),
               notes="a pre-0.3 agent: /.well-known/agent.json only, no authentication"),
    LabService(key="a2a-hardened", product="a2a-agent", version="1.0.0", twin="hardened", port=9999,
               expected=(), start=app_service(lambda: _app("1.0", secured=True)),
               notes="a2a-sdk 1.x agent whose RPC sits behind the bearer token its card declares"),
]
