"""Generic ws.origin.unchecked: a 101 that stays open for a foreign Origin is a finding; a 403,
or an accept followed at once by close 1008 (n8n's "Invalid origin!"), is a refusal; a
baseline that is itself refused leaves nothing to compare (not_applicable)."""

from __future__ import annotations

import pytest
from aiohttp import WSCloseCode, web

from gatescan.model import CheckStatus
from tests.checks.test_http_checks import serve

FP = {"checks": {"ws.origin.unchecked": {"path": "/ws"}}}


def ws_app(policy: str):
    async def handler(request: web.Request):
        origin = request.headers.get("Origin")
        foreign = origin is not None and origin != f"http://{request.host}"
        if policy == "needs-token" and request.headers.get("X-Token") != "t":
            return web.Response(status=401)
        if policy == "403" and foreign:
            return web.Response(status=403, text="Forbidden origin")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if policy == "close1008" and foreign:
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"Invalid origin!")
            return ws
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    return app


@pytest.mark.parametrize("policy, expected", [
    ("open", CheckStatus.FINDING),
    ("403", CheckStatus.PASSED),
    ("close1008", CheckStatus.PASSED),
    ("needs-token", CheckStatus.NOT_APPLICABLE),
])
async def test_generic_ws_origin(policy, expected, scan):
    async with serve(ws_app(policy)) as port:
        _, findings, results = await scan("127.0.0.1", port, FP, product="jupyter-server")
    result = results["ws.origin.unchecked"]
    assert result.result is expected, result.reason
    if expected is CheckStatus.FINDING:
        (finding,) = findings
        for label in ("attacker site", "null", "suffix trick", "prefix trick"):
            assert label in finding.evidence.summary
        origins = {e.request["headers"].get("Origin", "(none)") for e in finding.evidence.exchanges}
        assert "(none)" in origins and "null" in origins
