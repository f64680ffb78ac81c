"""Codex `app-server` WebSocket twins: the listener without `--ws-auth`, and with a capability token.

Facts, checked against the real `@openai/codex` 0.171.0 (npm, its Linux binary) run as
`codex app-server --listen ws://127.0.0.1:PORT` in a private namespace with an empty CODEX_HOME
(openai/codex `codex-rs/app-server/README.md` documents the transport):
- no port of its own (the one `--listen` names; 4222 here, as its test client uses);
- `GET /readyz` and `GET /healthz`: 200, empty body, no Content-Type; any other request without
  an upgrade (any path): 400 `text/plain; charset=utf-8` "Connection header did not include
  'upgrade'"; no Server header;
- an upgrade carrying any `Origin`, its own included: 403, empty (no web page can drive it);
- without `--ws-auth` the upgrade is accepted and JSON-RPC runs with the `jsonrpc` member
  omitted: `initialize` answers `userAgent` ("<clientInfo.name>/0.171.0 (<os>; <arch>) ..."),
  `codexHome`, `platformFamily`, `platformOs`; `thread/list` lists the saved threads;
- `--ws-auth capability-token --ws-token-file F`: an upgrade without `Authorization: Bearer`
  is 401 "missing websocket bearer token", a wrong one 401 "invalid websocket bearer token";
- a non-loopback `--listen` without `--ws-auth` refuses to start ("refusing to start
  non-loopback websocket listener ... without auth").
"""

from __future__ import annotations

from aiohttp import web

from .base import LabService, answer_jsonrpc_frames, app_service, strip_server_header

_TOKEN = "lab-codex-capability-token-5f1e0c9a"  # the hardened twin's token (never sent by the scanner)


def _answer(version: str):
    def answer(msg):
        if not isinstance(msg, dict) or "id" not in msg:
            return None  # notifications (`initialized`) get no reply
        method = msg.get("method")
        if method == "initialize":
            name = ((msg.get("params") or {}).get("clientInfo") or {}).get("name", "client")
            return {"id": msg["id"], "result": {
                "userAgent": f"{name}/{version} (Debian 12.0.0; x86_64) xterm ({name}; 1)",
                "codexHome": "/home/lab/.codex", "platformFamily": "unix", "platformOs": "linux"}}
        if method == "thread/list":
            return {"id": msg["id"], "result": {"data": [], "readStates": {}, "nextCursor": None,
                                                "backwardsCursor": None}}
        return {"id": msg["id"], "error": {"code": -32601, "message": f"unknown method: {method}"}}
    return answer


def _app(version: str, *, token: str | None) -> web.Application:
    async def any_path(request: web.Request) -> web.StreamResponse:
        if request.path in ("/readyz", "/healthz") and request.method == "GET":
            return web.Response(status=200)
        if "upgrade" not in request.headers.get("Connection", "").lower():
            return web.Response(status=400, text="Connection header did not include 'upgrade'")
        if "Origin" in request.headers:
            return web.Response(status=403)
        if token is not None:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer "):
                return web.Response(status=401, text="missing websocket bearer token")
            if auth != f"Bearer {token}":
                return web.Response(status=401, text="invalid websocket bearer token")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await answer_jsonrpc_frames(ws, _answer(version), {"id": None, "error": {"code": -32700, "message": "parse error"}})
        return ws

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", any_path)
    return strip_server_header(app)  # the Rust server names none


SERVICES = [
    # Started the documented way on loopback, without --ws-auth: any local process (a browser
    # page cannot: every Origin is refused) drives an agent that runs commands.
    LabService(key="codex-app-server-vulnerable", product="codex-app-server", version="0.171.0",
               twin="vulnerable", port=4222, expected=("auth.missing",),
               start=app_service(lambda: _app("0.171.0", token=None)),
               notes="codex app-server --listen ws://127.0.0.1:4222, no --ws-auth"),
    LabService(key="codex-app-server-hardened", product="codex-app-server", version="0.171.0",
               twin="hardened", port=4222, expected=(), version_observable=False,
               start=app_service(lambda: _app("0.171.0", token=_TOKEN)),
               notes="codex app-server with --ws-auth capability-token (version hidden behind the token)"),
]
