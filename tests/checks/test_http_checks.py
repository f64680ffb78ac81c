"""http.cors.permissive and http.host.unchecked against small configurable servers: `*`,
reflected and `null`-only CORS, preflight granted or refused, Host checked or not, auth on."""

from __future__ import annotations

import contextlib

import pytest
from aiohttp import web

from gatescan.model import CheckStatus


def make_app(*, acao: str = "none", preflight: bool | str = True, host_check: bool = False, auth: bool = False):
    async def api(request: web.Request) -> web.Response:
        host = request.headers.get("Host", "")
        if host_check and not host.startswith("127.0.0.1"):
            return web.Response(status=403, text="bad host")
        if auth and request.headers.get("Authorization") != "Bearer right":
            return web.json_response({"error": "unauthorized"}, status=401)
        resp = web.json_response({"items": ["secret-thing"]})
        origin = request.headers.get("Origin")
        if acao == "star":
            resp.headers["Access-Control-Allow-Origin"] = "*"
        elif acao == "reflect" and origin:
            resp.headers["Access-Control-Allow-Origin"] = origin
        elif acao == "null-only" and origin == "null":
            resp.headers["Access-Control-Allow-Origin"] = "null"
        return resp

    async def options(request: web.Request) -> web.Response:
        if not preflight:
            return web.Response(status=405)
        origin = request.headers.get("Origin", "")
        if preflight == "origin-only":  # no Access-Control-Allow-Headers: a browser stops here
            return web.Response(status=204, headers={"Access-Control-Allow-Origin": origin})
        return web.Response(status=204, headers={
            "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "content-type"})

    app = web.Application()
    app.router.add_get("/api/list", api)
    app.router.add_post("/api/list", api)
    app.router.add_route("OPTIONS", "/api/list", options)
    return app


@contextlib.asynccontextmanager
async def serve(app):
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]
    finally:
        await runner.cleanup()


def fp(method="GET"):
    spec = {"request": {"method": method, "path": "/api/list", **({"json": {"q": 1}} if method == "POST" else {})},
            "open": {"status": 200, "json": {"items": {"exists": True}}}}
    return {"checks": {"auth.missing": spec, "http.host.unchecked": {}, "http.cors.permissive": {}}}


@pytest.mark.parametrize("method, kw, cors", [
    ("GET", {"acao": "star"}, CheckStatus.FINDING),
    ("GET", {"acao": "reflect"}, CheckStatus.FINDING),
    ("GET", {"acao": "null-only"}, CheckStatus.FINDING),
    ("GET", {"acao": "none"}, CheckStatus.PASSED),
    ("POST", {"acao": "reflect", "preflight": True}, CheckStatus.FINDING),
    ("POST", {"acao": "reflect", "preflight": False}, CheckStatus.PASSED),
    ("POST", {"acao": "reflect", "preflight": "origin-only"}, CheckStatus.PASSED),
    ("GET", {"acao": "star", "auth": True}, CheckStatus.NOT_APPLICABLE),
])
async def test_cors(method, kw, cors, scan):
    async with serve(make_app(**kw)) as port:
        _, findings, results = await scan("127.0.0.1", port, fp(method), product="ollama")
    assert results["http.cors.permissive"].result is cors, results["http.cors.permissive"].reason
    if cors is CheckStatus.FINDING:
        f = next(f for f in findings if f.check == "http.cors.permissive")
        last = f.evidence.exchanges[-1]
        assert last.request["headers"]["Origin"] in (last.response["headers"]["access-control-allow-origin"], "null") \
            or last.response["headers"]["access-control-allow-origin"] == "*"
        assert f.severity.value == "medium"  # ollama: inference only


@pytest.mark.parametrize("kw, host", [
    ({}, CheckStatus.FINDING),
    ({"host_check": True}, CheckStatus.PASSED),
    ({"auth": True}, CheckStatus.NOT_APPLICABLE),
])
async def test_rebinding(kw, host, scan):
    async with serve(make_app(**kw)) as port:
        _, findings, results = await scan("127.0.0.1", port, fp(), product="jupyter-server")
    assert results["http.host.unchecked"].result is host, results["http.host.unchecked"].reason
    if host is CheckStatus.FINDING:
        f = next(f for f in findings if f.check == "http.host.unchecked")
        sent = f.evidence.exchanges[-1].request["headers"]
        assert sent["Host"].endswith(f".rebind.invalid:{port}") and sent["Origin"] == "http://" + sent["Host"]
        assert f.severity.value == "critical"
    if kw.get("auth"):
        assert results["auth.missing"].result is CheckStatus.PASSED and not findings
