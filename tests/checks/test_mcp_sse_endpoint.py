"""The legacy MCP SSE client posts only to this endpoint: an `endpoint` event naming another
host or port is not followed (the scope allowed this endpoint, nothing else)."""

from __future__ import annotations

from gatescan.model import Access
from gatescan.protocols import mcp
from tests.checks.hostile import pointing_server


def _endpoint_elsewhere(other_port: int) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
            + f"event: endpoint\r\ndata: http://127.0.0.1:{other_port}/messages\r\n\r\n".encode())


async def test_sse_endpoint_event_off_this_endpoint_is_not_followed(client):
    async with pointing_server(_endpoint_elsewhere, hold=5) as (port, hits):
        result = await mcp.list_tools_sse(client, f"http://127.0.0.1:{port}", "/sse")
    assert result.state is Access.UNDECIDED
    assert "off this endpoint" in result.reason
    assert hits == []
