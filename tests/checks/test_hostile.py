"""Bad input: servers that close mid-handshake, answer the upgrade with 200, send a binary
frame, send 10 MB, never answer the connect, or send invalid JSON. Every check ends
inconclusive (or not_applicable) with a reason: never a finding, never a crash."""

from __future__ import annotations

import pytest

from gatescan.identify import fingerprints
from gatescan.model import CheckStatus
from gatescan.protocols import mcp, openclaw
from tests.checks.hostile import MODES, hostile_server

OPENCLAW_FP = fingerprints.load_file(fingerprints.default_dir() / "openclaw-gateway.yaml")

MCP_FP = {"checks": {"auth.missing": {"protocol": "mcp", "path": "/mcp"},
                     "http.host.unchecked": {}, "http.cors.permissive": {}}}
MCP_WS_FP = {"checks": {"ws.origin.unchecked": {"path": "/", "confirm": "mcp", "subprotocol": "mcp"},
                        "auth.missing": {"protocol": "mcp", "transport": "ws", "path": "/"}}}


@pytest.fixture
def fast(ctx):
    ctx.connect_timeout = ctx.read_timeout = 1.0
    return ctx


@pytest.mark.parametrize("mode", MODES)
async def test_openclaw_checks_on_hostile_server(mode, fast, scan):
    async with hostile_server(mode) as port:
        service, findings, results = await scan("127.0.0.1", port, OPENCLAW_FP)
    assert findings == []
    assert set(results) >= {"auth.missing", "ws.origin.unchecked", "http.host.unchecked", "http.cors.permissive"}
    for result in results.values():
        assert result.result in (CheckStatus.INCONCLUSIVE, CheckStatus.NOT_APPLICABLE), (mode, result)
        assert result.reason


@pytest.mark.parametrize("mode", MODES)
async def test_connect_probe_is_undecided(mode):
    async with hostile_server(mode) as port:
        outcome, _ = await openclaw.connect_probe("127.0.0.1", port, origin="null",
                                                  open_timeout=1, reply_timeout=1)
    assert outcome.kind == openclaw.UNDECIDED, outcome
    assert outcome.reason


@pytest.mark.parametrize("mode", MODES)
async def test_mcp_http_and_ws_on_hostile_server(mode, fast, scan):
    async with hostile_server(mode) as port:
        _, findings, results = await scan("127.0.0.1", port, MCP_FP, product="mcp-server")
        _, findings2, results2 = await scan("127.0.0.1", port, MCP_WS_FP, product="mcp-server")
    assert findings == [] and findings2 == []
    for result in [*results.values(), *results2.values()]:
        assert result.result in (CheckStatus.INCONCLUSIVE, CheckStatus.NOT_APPLICABLE), (mode, result)


@pytest.mark.parametrize("mode", MODES)
async def test_mcp_ws_client_on_hostile_server(mode):
    async with hostile_server(mode) as port:
        result = await mcp.list_tools_ws(f"ws://127.0.0.1:{port}/", open_timeout=1, reply_timeout=1)
    assert result.state != mcp.OPEN and result.reason
