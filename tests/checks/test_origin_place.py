"""ws.origin.unchecked says where the defence sits: before the upgrade (an HTTP status instead of
101, as the hardened DevTools twin answers) or after it (101, then an error and close 1008, as the
OpenClaw gateway does: checked on the real openclaw@2026.9.6 in test_openclaw_real.py). A gateway
with an upgrade-time Origin gate (403 to the upgrade itself) counts as refused too."""

from __future__ import annotations

import contextlib

from aiohttp import web

import lab as labpkg
from gatescan.checks import run_checks
from gatescan.identify import engine as identify
from gatescan.identify.fingerprints import get
from gatescan.model import Endpoint
from gatescan.net.client import Client
from lab.base import is_loopback_name, serve_app
from lab.openclaw import OPENCLAW_2026_9_6, Gateway
from tests.netns import requires_netns

pytestmark = requires_netns


async def origin_result(start, port):
    handle = await start("127.0.0.1", port)
    try:
        async with Client() as client:
            service = await identify.identify(Endpoint("127.0.0.1", port), client)
            await run_checks(service, {"checks": {"ws.origin.unchecked": get(service.product).raw["checks"]
                                                  ["ws.origin.unchecked"]}}, client)
    finally:
        await handle.close()
    return {c.check: c for c in service.checks}["ws.origin.unchecked"]


async def test_devtools_refuses_before_the_upgrade():
    result = await origin_result(labpkg.get("chrome-devtools-hardened").start, 9222)
    assert result.result.value == "passed"
    assert "refused before the upgrade" in result.reason and "HTTP 403" in result.reason


async def test_the_openclaw_gateway_refuses_after_the_upgrade():
    result = await origin_result(labpkg.get("openclaw-gateway-2026.9.6").start, 18789)
    assert result.result.value == "passed"
    assert "refused after the upgrade" in result.reason and "origin not allowed" in result.reason


async def test_an_upgrade_time_origin_gate_on_the_gateway_counts_as_refused_before_the_upgrade():
    gateway = Gateway(OPENCLAW_2026_9_6, "token", "lab-gateway-token-not-secret")
    inner = gateway.app()

    async def gate(request: web.Request):
        origin = request.headers.get("Origin")
        host = (origin or "").split("://", 1)[-1].split(":", 1)[0]
        if request.headers.get("Upgrade", "").lower() == "websocket" and origin and not is_loopback_name(host):
            return web.Response(status=403, text="Forbidden: origin not allowed")
        return await gateway.dispatch(request)

    async def start(host, port):
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", gate)
        for hook in inner.on_response_prepare:
            app.on_response_prepare.append(hook)
        return await serve_app(app, host, port)

    result = await origin_result(start, 18789)
    assert result.result.value == "passed", result.reason
    assert "refused before the upgrade" in result.reason
