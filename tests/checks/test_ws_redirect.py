"""A WebSocket upgrade answered with a redirect is a refusal, never followed: a scanned server
must not be able to point our next handshake at another address (DESIGN.md, Safety)."""

from __future__ import annotations

import asyncio

from gatescan.checks.context import CheckContext
from gatescan.checks.wsio import upgrade
from gatescan.identify.engine import ws_probe
from gatescan.net.client import Client
from gatescan.protocols import mcp, openclaw
from tests.checks.hostile import pointing_server


def _redirect_elsewhere(other_port: int) -> bytes:
    return (f"HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:{other_port}/elsewhere\r\n"
            "Content-Length: 0\r\n\r\n").encode()


async def test_no_websocket_client_follows_a_redirect():
    async with pointing_server(_redirect_elsewhere) as (port, hits):
        async with Client() as client:
            probed = await ws_probe(client, f"ws://127.0.0.1:{port}/")
        assert probed.status == 302 and not probed.accepted
        up = await upgrade(CheckContext(connect_timeout=2, read_timeout=2), f"ws://127.0.0.1:{port}/", None)
        assert up.accepted is False and up.status == 302
        listed = await mcp.list_tools_ws(f"ws://127.0.0.1:{port}/", open_timeout=2, reply_timeout=2)
        assert listed.state == mcp.UNDECIDED and "302" in listed.reason
        outcome, _ = await openclaw.connect_probe("127.0.0.1", port, open_timeout=2, reply_timeout=2)
        assert outcome.kind == openclaw.UNDECIDED and outcome.upgrade_status == 302
        await asyncio.sleep(0.1)
        assert hits == []
