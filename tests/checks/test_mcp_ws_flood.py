"""The MCP WebSocket client reads a bounded number of frames per reply: a server that streams
notifications forever costs `max_frames` frames of evidence, not the whole read timeout's worth."""

from __future__ import annotations

import json

from websockets.asyncio.server import serve

from gatescan.model import Access
from gatescan.protocols import mcp


async def test_endless_notifications_are_cut_at_max_frames(client):
    async def flood(ws):
        note = json.dumps({"jsonrpc": "2.0", "method": "notifications/message", "params": {"data": "x" * 100}})
        try:
            while True:
                await ws.send(note)
        except Exception:  # noqa: BLE001 - the client went away
            pass

    async with serve(flood, "127.0.0.1", 0, subprotocols=["mcp"]) as server:
        port = server.sockets[0].getsockname()[1]
        result = await mcp.list_tools_ws(client, f"ws://127.0.0.1:{port}/")
    assert client.limits.max_frames == 16
    assert result.state is Access.UNDECIDED
    assert "16 frames" in result.reason
    assert len(result.exchanges[0]["response"]["frames"]) == 16
