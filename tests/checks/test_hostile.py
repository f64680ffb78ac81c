"""Bad input: servers that close mid-handshake, answer the upgrade with 200, send a binary
frame, send 10 MB, never answer the connect, or send invalid JSON. Every check ends
inconclusive (or not_applicable) with a reason: never a finding, never a crash."""

from __future__ import annotations

import pytest

from gatescan.identify import fingerprints
from gatescan.model import Access, CheckStatus
from gatescan.net.client import Client
from gatescan.net.limits import Limits
from gatescan.protocols import mcp, openclaw
from tests.checks.hostile import MODES, hostile_server

OPENCLAW_FP = fingerprints.load_file(fingerprints.default_dir() / "openclaw-gateway.yaml")

MCP_FP = {"checks": {"auth.missing": {"protocol": "mcp", "path": "/mcp"},
                     "http.host.unchecked": {}, "http.cors.permissive": {}}}
MCP_WS_FP = {"checks": {"ws.origin.unchecked": {"path": "/", "confirm": "mcp", "subprotocol": "mcp"},
                        "auth.missing": {"protocol": "mcp", "transport": "ws", "path": "/"}}}


FAST = Limits(connect_timeout=1.0, read_timeout=1.0, service_deadline=20.0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("limits", [FAST])
async def test_openclaw_checks_on_hostile_server(mode, scan):
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
        async with Client(FAST) as client:
            outcome = await openclaw.connect_probe(client, "127.0.0.1", port, origin="null")
    assert outcome.access is Access.UNDECIDED and outcome.kind == openclaw.UNEXPECTED, outcome
    assert outcome.reason


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("limits", [FAST])
async def test_mcp_http_and_ws_on_hostile_server(mode, scan):
    async with hostile_server(mode) as port:
        _, findings, results = await scan("127.0.0.1", port, MCP_FP, product="mcp-server")
        _, findings2, results2 = await scan("127.0.0.1", port, MCP_WS_FP, product="mcp-server")
    assert findings == [] and findings2 == []
    for result in [*results.values(), *results2.values()]:
        assert result.result in (CheckStatus.INCONCLUSIVE, CheckStatus.NOT_APPLICABLE), (mode, result)


@pytest.mark.parametrize("mode", MODES)
async def test_mcp_ws_client_on_hostile_server(mode):
    async with hostile_server(mode) as port:
        async with Client(FAST) as client:
            result = await mcp.list_tools_ws(client, f"ws://127.0.0.1:{port}/")
    assert result.state is not Access.OPEN and result.reason
