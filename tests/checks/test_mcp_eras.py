"""The MCP client in both protocol eras: server/discover first, the legacy initialize only where
the server is not modern, over streamable HTTP, HTTP+SSE and WebSocket (twins, and the real
`mcp` SDK, which serves both eras on one endpoint)."""

from __future__ import annotations

import json
import re

import pytest
from websockets.asyncio.server import serve

from gatescan.model import Access
from gatescan.protocols import mcp
from tests.identify._twins import lab_twins, started

TWINS = {s.key: s for s in lab_twins("mcp_server")}


def _methods(result: mcp.McpResult) -> list[str]:
    """The JSON-RPC methods sent, in order (HTTP bodies and WebSocket frames)."""
    out = []
    for exchange in result.exchanges:
        request = exchange.get("request", {})
        for text in [request.get("body")] + list(request.get("frames") or []):
            out += re.findall(r'"method"\s*:\s*"([^"]+)"', text) if isinstance(text, str) else []
    return [m for m in out if not m.startswith("notifications/")]


@pytest.mark.parametrize("key, call", [
    ("mcp-server-vulnerable", "http"), ("mcp-server-sse-vulnerable", "sse"), ("mcp-server-ws-vulnerable", "ws")])
async def test_legacy_server_falls_back_to_initialize(client, key, call):
    async with started(TWINS[key]) as handle:
        base = f"http://127.0.0.1:{handle.port}"
        result = await {"http": lambda: mcp.list_tools_http(client, base),
                        "sse": lambda: mcp.list_tools_sse(client, base),
                        "ws": lambda: mcp.list_tools_ws(client, f"ws://127.0.0.1:{handle.port}/ws")}[call]()
    assert result.state is Access.OPEN, result.reason
    assert result.era == mcp.LEGACY
    assert result.tools == ["search_notes", "read_file"]
    sent = _methods(result)
    assert sent[0] == "server/discover" and "initialize" in sent and "tools/call" not in sent, sent


async def test_modern_server_answers_without_a_handshake(client):
    async with started(TWINS["mcp-server-modern-vulnerable"]) as handle:
        result = await mcp.list_tools_http(client, f"http://127.0.0.1:{handle.port}")
    assert result.state is Access.OPEN and result.era == mcp.MODERN, result.reason
    assert result.protocol_version == mcp.MODERN_VERSION
    assert result.server_info == {"name": "modern-notes", "version": "5.0.1"}
    assert [t["name"] for t in result.tool_defs] == ["search_notes", "read_file"]
    assert result.tool_defs[0]["inputSchema"]["required"] == ["query"]
    assert _methods(result) == ["server/discover", "tools/list"]  # no initialize, no session
    sent = result.exchanges[1]["request"]["headers"]
    assert {k.lower(): v for k, v in sent.items()}["mcp-method"] == "tools/list"


async def test_modern_only_server_refuses_initialize(client):
    """The legacy handshake alone gets nowhere on a modern-only server: it names its versions."""
    async with started(TWINS["mcp-server-modern-vulnerable"]) as handle:
        result = await mcp.list_tools_http(client, f"http://127.0.0.1:{handle.port}", era=mcp.LEGACY)
    assert result.state is Access.UNDECIDED
    assert result.exchanges[0]["response"]["status"] == 400
    assert "-32022" in result.exchanges[0]["response"]["body"]


async def test_modern_oauth_server_names_its_resource_metadata(client):
    async with started(TWINS["mcp-server-modern-hardened"]) as handle:
        result = await mcp.list_tools_http(client, f"http://127.0.0.1:{handle.port}")
    assert result.state is Access.CLOSED
    assert result.resource_metadata.endswith("/.well-known/oauth-protected-resource/mcp")
    assert result.authorization_servers == ["http://127.0.0.1:9000/"]
    assert "oauth-protected-resource" in result.reason and "127.0.0.1:9000" in result.reason
    assert result.exchanges[-1]["request"]["method"] == "GET"  # the metadata document, fetched


async def test_modern_websocket_server(client):
    """A modern server over WebSocket: discover, then tools/list on the same socket."""
    from gatescan.lab.mcp_server import _Rpc  # the lab's modern answers, over the `mcp` subprotocol

    server_rpc = _Rpc("ws-modern", "7.0.0")

    async def handler(ws):
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("method") == "initialize":
                await ws.send(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32022,
                                          "message": "initialize is not accepted", "data": {"supported": ["2026-07-28"]}}}))
            elif "id" in msg:
                await ws.send(json.dumps(server_rpc.modern(msg)))

    async with serve(handler, "127.0.0.1", 0, subprotocols=["mcp"]) as server:
        port = server.sockets[0].getsockname()[1]
        result = await mcp.list_tools_ws(client, f"ws://127.0.0.1:{port}/")
    assert result.state is Access.OPEN and result.era == mcp.MODERN, result.reason
    assert result.server_info["version"] == "7.0.0" and result.tools == ["search_notes", "read_file"]
    assert _methods(result) == ["server/discover", "tools/list"]


async def test_unsupported_version_is_retried_with_the_offered_one(client):
    """UnsupportedProtocolVersion names the versions the server speaks: one retry with one of
    them, never a fall back to initialize (a modern server)."""
    from aiohttp import web

    from gatescan.lab.base import serve_app

    seen = []

    async def post(request):
        msg = await request.json()
        version = request.headers.get("MCP-Protocol-Version")
        seen.append((msg["method"], version))
        if version != "2027-01-01":
            return web.json_response({"jsonrpc": "2.0", "id": msg["id"], "error": {
                "code": -32022, "message": "Unsupported protocol version",
                "data": {"supported": ["2027-01-01"], "requested": version}}}, status=400)
        result = ({"supportedVersions": ["2027-01-01"], "capabilities": {}} if msg["method"] == "server/discover"
                  else {"tools": [{"name": "t", "inputSchema": {"type": "object"}}]})
        return web.json_response({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    app = web.Application()
    app.router.add_post("/mcp", post)
    handle = await serve_app(app, "127.0.0.1", 0)
    try:
        result = await mcp.list_tools_http(client, f"http://127.0.0.1:{handle.port}")
    finally:
        await handle.close()
    assert result.state is Access.OPEN and result.protocol_version == "2027-01-01"
    assert seen == [("server/discover", "2026-07-28"), ("server/discover", "2027-01-01"), ("tools/list", "2027-01-01")]


async def test_tools_list_pages_are_followed(client):
    from aiohttp import web

    from gatescan.lab.base import serve_app

    async def post(request):
        msg = await request.json()
        if msg["method"] == "server/discover":
            result = {"supportedVersions": ["2026-07-28"], "capabilities": {"tools": {}}}
        else:
            page = int((msg["params"].get("cursor") or "0"))
            result = {"tools": [{"name": f"tool{page}"}], **({"nextCursor": str(page + 1)} if page < 50 else {})}
        return web.json_response({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    app = web.Application()
    app.router.add_post("/mcp", post)
    handle = await serve_app(app, "127.0.0.1", 0)
    try:
        result = await mcp.list_tools_http(client, f"http://127.0.0.1:{handle.port}")
    finally:
        await handle.close()
    assert result.tools == [f"tool{i}" for i in range(mcp.MAX_PAGES)]  # bounded: never all 51 pages
