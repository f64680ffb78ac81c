"""http.cors.permissive and http.host.unchecked against small configurable servers: `*`,
reflected and `null`-only CORS, with and without Allow-Credentials, preflight granted or refused
(its methods and its Allow-Origin), Host checked or not, auth on."""

from __future__ import annotations

import contextlib

import pytest
from aiohttp import web

from gatescan.model import CheckStatus


def make_app(*, acao: str = "none", preflight: bool | str = True, host_check: bool = False, auth: bool = False,
             credentials: bool | str = False, methods: str = "GET, POST", pre_acao: str = "reflect"):
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
        if credentials:
            resp.headers["Access-Control-Allow-Credentials"] = "true"
        return resp

    async def options(request: web.Request) -> web.Response:
        if not preflight:
            return web.Response(status=405)
        origin = request.headers.get("Origin", "")
        if preflight == "origin-only":  # no Access-Control-Allow-Headers: a browser stops here
            return web.Response(status=204, headers={"Access-Control-Allow-Origin": origin})
        headers = {"Access-Control-Allow-Origin": origin if pre_acao == "reflect" else pre_acao,
                   "Access-Control-Allow-Methods": methods, "Access-Control-Allow-Headers": "content-type"}
        if credentials is True:  # "response": the preflight withholds it, so no cookies are sent
            headers["Access-Control-Allow-Credentials"] = "true"
        return web.Response(status=204, headers=headers)

    app = web.Application()
    app.router.add_get("/api/list", api)
    app.router.add_post("/api/list", api)
    app.router.add_put("/api/list", api)
    app.router.add_route("OPTIONS", "/api/list", options)
    return app


@contextlib.asynccontextmanager
async def serve(app, ssl_context=None):
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]
    finally:
        await runner.cleanup()


def fp(method="GET"):
    spec = {"request": {"method": method, "path": "/api/list", **({"json": {"q": 1}} if method in ("POST", "PUT") else {})},
            "open": {"status": 200, "json": {"items": {"exists": True}}}}
    return {"checks": {"auth.missing": spec, "http.host.unchecked": {}, "http.cors.permissive": {}}}


# ollama is `inference` (medium): a page that can send the user's cookies keeps it, one that
# reads only what needs no cookie is a step lower.
@pytest.mark.parametrize("method, kw, cors, severity", [
    ("GET", {"acao": "star"}, CheckStatus.FINDING, "low"),
    ("GET", {"acao": "star", "credentials": True}, CheckStatus.FINDING, "low"),  # `*` never carries cookies
    ("GET", {"acao": "reflect"}, CheckStatus.FINDING, "low"),
    ("GET", {"acao": "reflect", "credentials": True}, CheckStatus.FINDING, "medium"),
    ("GET", {"acao": "null-only"}, CheckStatus.FINDING, "low"),
    ("GET", {"acao": "none"}, CheckStatus.PASSED, None),
    ("POST", {"acao": "reflect", "preflight": True}, CheckStatus.FINDING, "low"),
    ("POST", {"acao": "reflect", "preflight": True, "credentials": True}, CheckStatus.FINDING, "medium"),
    ("POST", {"acao": "reflect", "preflight": True, "credentials": "response"}, CheckStatus.FINDING, "low"),
    ("POST", {"acao": "reflect", "preflight": False}, CheckStatus.PASSED, None),
    ("POST", {"acao": "reflect", "preflight": "origin-only"}, CheckStatus.PASSED, None),
    # a method no simple request has: the preflight must grant it by name or `*`
    ("PUT", {"acao": "reflect", "methods": "GET, POST"}, CheckStatus.PASSED, None),
    ("PUT", {"acao": "reflect", "methods": "GET, PUT"}, CheckStatus.FINDING, "low"),
    ("PUT", {"acao": "reflect", "methods": "*"}, CheckStatus.FINDING, "low"),
    # the preflight's own Allow-Origin: another site's, or none, stops the browser; `*` does not
    ("PUT", {"acao": "reflect", "methods": "PUT", "pre_acao": "https://trusted.example"}, CheckStatus.PASSED, None),
    ("POST", {"acao": "reflect", "pre_acao": ""}, CheckStatus.PASSED, None),
    ("PUT", {"acao": "reflect", "methods": "PUT", "pre_acao": "*"}, CheckStatus.FINDING, "low"),
    ("GET", {"acao": "star", "auth": True}, CheckStatus.NOT_APPLICABLE, None),
])
async def test_cors(method, kw, cors, severity, scan):
    async with serve(make_app(**kw)) as port:
        _, findings, results = await scan("127.0.0.1", port, fp(method), product="ollama")
    assert results["http.cors.permissive"].result is cors, results["http.cors.permissive"].reason
    if cors is CheckStatus.FINDING:
        f = next(f for f in findings if f.check == "http.cors.permissive")
        last = f.evidence.exchanges[-1]
        assert last.request["method"] == method
        assert last.request["headers"]["Origin"] in (last.response["headers"]["access-control-allow-origin"], "null") \
            or last.response["headers"]["access-control-allow-origin"] == "*"
        assert f.severity.value == severity
        if severity == "medium":
            assert "read the authenticated answer" in f.evidence.summary
        else:
            assert "need no cookie" in f.evidence.summary and "authenticated" not in f.evidence.summary
    else:
        assert not [f for f in findings if f.check == "http.cors.permissive"]


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
        assert f.severity.value == "critical" and "certificate" not in f.evidence.summary
    if kw.get("auth"):
        assert results["auth.missing"].result is CheckStatus.PASSED and not findings


async def test_rebinding_over_https_says_the_browser_stops_at_the_certificate(scan):
    """The same unchecked Host over HTTPS: a browser on the rebinding name refuses the certificate
    first, so the finding says so and is a step below jupyter's critical."""
    from lab.decoys import self_signed_context

    async with serve(make_app(), ssl_context=self_signed_context()) as port:
        _, findings, results = await scan("127.0.0.1", port, fp(), product="jupyter-server", tls=True)
    assert results["http.host.unchecked"].result is CheckStatus.FINDING, results["http.host.unchecked"].reason
    f = next(f for f in findings if f.check == "http.host.unchecked")
    assert f.target.startswith("https://")
    assert f.severity.value == "high"
    assert "stop at the certificate" in f.evidence.summary
