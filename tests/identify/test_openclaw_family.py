"""OpenClaw family: every gateway era, browser control and extension relay twin is named with
its product and (where the product shows it) version, at its default port; the gateway twins
answer the WebSocket handshake the way their era does (openclaw-gateway.md §4, §6.2, §13)."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from gatescan._paths import import_lab
from gatescan.identify.engine import identify
from gatescan.labrun import running_lab
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._twins import identify_twin, started
from tests.netns import requires_netns

PRODUCTS = ["openclaw-gateway", "openclaw-browser-control", "openclaw-extension-relay"]
TWINS = [s for s in import_lab().services() if s.product in PRODUCTS]


@requires_netns
async def test_every_openclaw_twin_is_named_at_its_default_port():
    async with running_lab(PRODUCTS, base="127.0.30.0") as lab, Client() as client:
        for entry in lab.entries:
            svc = import_lab().get(entry["key"])
            service = await identify(Endpoint(entry["host"], entry["port"]), client)
            assert (service.product, service.version) == (svc.product, svc.identified_version), entry["key"]
            assert service.confidence >= 0.5 and service.evidence


@pytest.mark.parametrize("svc", [s for s in TWINS if s.product == "openclaw-gateway"], ids=lambda s: s.key)
async def test_gateway_twin_on_any_port_with_era_and_protocol(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("openclaw-gateway", svc.identified_version)
    attrs = service.extra["attributes"]
    assert attrs["protocol"] == ("4" if svc.version.startswith("2026.9") else "3")
    assert attrs["variant"] in svc.notes  # Clawdbot / Moltbot / OpenClaw
    assert any("connect.challenge" in e.observed for e in service.evidence)
    if not svc.version_observable:  # the era's range stands in for the hidden version
        assert attrs["version_range"].endswith("<2026.1.29") or attrs["version_range"].endswith("<2026.1.27")
    else:
        assert "version_range" not in attrs


def _connect(client_id="cli", mode="cli", lo=3, hi=4, **extra):
    params = {"minProtocol": lo, "maxProtocol": hi,
              "client": {"id": client_id, "version": "0.0.0", "platform": "linux", "mode": mode},
              "role": "operator", **extra}
    return json.dumps({"type": "req", "id": "t1", "method": "connect", "params": params})


async def _handshake(port: int, frame: str, origin: str | None = None):
    async with websockets.connect(f"ws://127.0.0.1:{port}/any/path", origin=origin, proxy=None,
                                  open_timeout=5) as ws:
        challenge = json.loads(await ws.recv())
        assert challenge["event"] == "connect.challenge" and challenge["payload"]["nonce"]
        await ws.send(frame)
        reply = json.loads(await ws.recv())
        if reply.get("ok"):
            return reply, None, None  # hello-ok: the session stays open
        try:
            await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed as closed:
            return reply, closed.rcvd.code if closed.rcvd else None, closed.rcvd.reason if closed.rcvd else None
        return reply, None, None


EVIL = "https://scanner-evil.invalid"


@pytest.mark.parametrize(
    "key, client, origin, expect",
    [
        # ≤2026.2.1: no Origin check at all; auth none hands out hello-ok to any token (§8.1)
        ("openclaw-gateway-clawdbot-2026.1.24", "openclaw-control-ui", EVIL, "hello-ok"),
        # 2026.2.2..2.24: only UI client ids are Origin-checked (§6.2)
        ("openclaw-gateway-2026.2.24", "cli", EVIL, "unauthorized: gateway token mismatch"),
        ("openclaw-gateway-2026.2.24", "openclaw-control-ui", EVIL, "origin not allowed"),
        # current: every client with an Origin, `null` included, before credentials (§13)
        ("openclaw-gateway-2026.9.6", "cli", EVIL, "origin not allowed"),
        ("openclaw-gateway-2026.9.6", "cli", "null", "origin not allowed"),
        ("openclaw-gateway-2026.9.6", "cli", None, "unauthorized: gateway token mismatch"),
        ("openclaw-gateway-2026.9.6-authnone", "cli", None, "device identity required"),
    ],
)
async def test_gateway_handshake_by_era(key, client, origin, expect):
    svc = import_lab().get(key)
    mode = "ui" if client == "openclaw-control-ui" else "cli"
    async with started(svc) as handle:
        reply, code, reason = await _handshake(handle.port, _connect(client, mode, auth={"token": "random-wrong-gatescan"}),
                                               origin)
    if expect == "hello-ok":
        assert reply["ok"] is True and reply["payload"]["type"] == "hello-ok"
        assert reply["payload"]["server"]["version"] == svc.version
    else:
        assert reply["ok"] is False and expect in reply["error"]["message"]
        assert code == 1008 and expect in reason


@pytest.mark.parametrize("key, protocol", [("openclaw-gateway-clawdbot-2026.1.24", 3), ("openclaw-gateway-2026.9.6", 4)])
async def test_protocol_mismatch_reveals_protocol_before_auth(key, protocol):
    async with started(import_lab().get(key)) as handle:
        reply, code, reason = await _handshake(handle.port, _connect(lo=1, hi=1))
    assert reply["error"]["message"] == "protocol mismatch"
    assert reply["error"]["details"]["expectedProtocol"] == protocol
    assert (code, reason) == (1002, "protocol mismatch")


async def test_tools_invoke_and_http_origin_by_era():
    import aiohttp

    async with aiohttp.ClientSession() as http:
        for key, plain, foreign in [("openclaw-gateway-clawdbot-2026.1.24", 404, 404),
                                    ("openclaw-gateway-2026.9.6-authnone", 404, 401),
                                    ("openclaw-gateway-2026.9.6", 401, 401)]:
            async with started(import_lab().get(key)) as handle:
                url = f"http://127.0.0.1:{handle.port}/tools/invoke"
                async with http.get(url) as r:
                    assert (r.status, r.headers["Allow"]) == (405, "POST")
                async with http.post(url, json={"tool": "__gatescan_probe__"}) as r:
                    assert r.status == plain, key
                    if plain == 404:
                        assert "Tool not available" in await r.text()
                headers = {"Host": "rebind.test", "Origin": "http://rebind.test"}
                async with http.post(url, json={"tool": "x"}, headers=headers) as r:
                    assert r.status == foreign, key
                assert "Server" not in r.headers  # Node's http server sends none
