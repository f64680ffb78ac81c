"""A WebSocket upgrade answered with a redirect is a refusal, never followed: a scanned server
must not be able to point our next handshake at another address (DESIGN.md, Safety)."""

from __future__ import annotations

from gatescan.checks.origin import upgrade
from gatescan.identify.engine import ws_probe
from gatescan.model import Access
from gatescan.net.client import Client
from gatescan.net.limits import Limits
from gatescan.protocols import mcp, openclaw
from tests.checks.hostile import pointing_server


def _redirect_elsewhere(other_port: int) -> bytes:
    return (f"HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:{other_port}/elsewhere\r\n"
            "Content-Length: 0\r\n\r\n").encode()


async def test_no_websocket_client_follows_a_redirect():
    """Every call site goes through the one connect (net/ws.py), and none follows the 302."""
    async with pointing_server(_redirect_elsewhere) as (port, hits):
        url = f"ws://127.0.0.1:{port}/"
        async with Client(Limits(connect_timeout=2, read_timeout=2)) as client:
            async with client.websocket(url) as ws:
                assert ws.status == 302 and not ws.accepted
            probed = await ws_probe(client, url)
            assert probed.status == 302 and not probed.accepted
            up = await upgrade(client, url, None)
            assert up.access is Access.CLOSED and up.status == 302
            listed = await mcp.list_tools_ws(client, url)
            assert listed.state is Access.UNDECIDED and "302" in listed.reason
            outcome = await openclaw.connect_probe(client, "127.0.0.1", port)
            assert outcome.access is Access.UNDECIDED and outcome.upgrade_status == 302
            assert client.probes == 5  # one connect each, none a second one to the Location
            for exchange in (ws.exchange, probed.exchange, up.exchange, listed.exchanges[0], outcome.exchange):
                assert exchange["response"]["status"] == 302
                assert exchange["response"]["headers"]["location"].endswith("/elsewhere")
        assert await hits.settled() == []
