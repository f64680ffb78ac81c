"""The legacy MCP SSE client posts only to this endpoint: an `endpoint` event naming another
host or port is not followed (the scope allowed this endpoint, nothing else)."""

from __future__ import annotations

import asyncio
import contextlib

from gatescan.checks.context import CheckContext
from gatescan.checks.httpio import new_session, request
from gatescan.protocols import mcp


async def test_sse_endpoint_event_off_this_endpoint_is_not_followed():
    hits: list[bytes] = []

    async def elsewhere(reader, writer):
        hits.append(await reader.read(64))
        writer.close()

    async def stream(reader, writer):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                         + f"event: endpoint\r\ndata: http://127.0.0.1:{other_port}/messages\r\n\r\n".encode())
            await writer.drain()
            await asyncio.sleep(5)
        writer.close()

    other = await asyncio.start_server(elsewhere, "127.0.0.1", 0)
    other_port = other.sockets[0].getsockname()[1]
    server = await asyncio.start_server(stream, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    ctx = CheckContext(connect_timeout=2, read_timeout=2)
    session = new_session(ctx)

    async def send(method, url, **kw):
        return await request(session, ctx, method, url, **kw)

    try:
        result = await mcp.list_tools_sse(send, session, ctx, f"http://127.0.0.1:{port}", "/sse")
    finally:
        await session.close()
        for s in (server, other):
            s.close()
            await s.wait_closed()
    assert result.state == mcp.UNDECIDED
    assert "off this endpoint" in result.reason
    assert hits == []
