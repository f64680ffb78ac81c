"""A WebSocket upgrade answered with a redirect is a refusal, never followed: a scanned server
must not be able to point our next handshake at another address (DESIGN.md, Safety)."""

from __future__ import annotations

import asyncio
import contextlib

from gatescan.checks.context import CheckContext
from gatescan.checks.wsio import upgrade
from gatescan.model import Endpoint
from gatescan.probes.http import ProbeContext
from gatescan.probes.ws import ws_probe
from gatescan.protocols import mcp, openclaw


@contextlib.asynccontextmanager
async def redirecting_server():
    """(port that answers every upgrade 302 to the other port, connections the other port got)."""
    hits: list[bytes] = []

    async def elsewhere(reader, writer):
        hits.append(await reader.read(64))
        writer.close()

    async def redirect(reader, writer):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            writer.write(f"HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:{other_port}/elsewhere\r\n"
                         "Content-Length: 0\r\n\r\n".encode())
            await writer.drain()
        writer.close()

    other = await asyncio.start_server(elsewhere, "127.0.0.1", 0)
    other_port = other.sockets[0].getsockname()[1]
    server = await asyncio.start_server(redirect, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], hits
    finally:
        for s in (server, other):
            s.close()
            await s.wait_closed()


async def test_no_websocket_client_follows_a_redirect():
    async with redirecting_server() as (port, hits):
        async with ProbeContext() as ctx:
            probed = await ws_probe(ctx, Endpoint("127.0.0.1", port), "/")
        assert probed.status == 302 and not probed.accepted
        up = await upgrade(CheckContext(connect_timeout=2, read_timeout=2), f"ws://127.0.0.1:{port}/", None)
        assert up.accepted is False and up.status == 302
        listed = await mcp.list_tools_ws(f"ws://127.0.0.1:{port}/", open_timeout=2, reply_timeout=2)
        assert listed.state == mcp.UNDECIDED and "302" in listed.reason
        outcome, _ = await openclaw.connect_probe("127.0.0.1", port, open_timeout=2, reply_timeout=2)
        assert outcome.kind == openclaw.UNDECIDED and outcome.upgrade_status == 302
        await asyncio.sleep(0.1)
        assert hits == []
