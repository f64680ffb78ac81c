"""A minimal streamable-HTTP MCP endpoint for product twins that embed one (LiteLLM's gateway,
n8n's MCP server): initialize, notifications, tools/list, an SSE `message` reply with a session
id, as the python SDK's transport answers (the wire checked on the real LiteLLM 1.108.7 /mcp).
Products mount it at their own path behind their own auth; it is no lab service by itself.
"""

from __future__ import annotations

import json
import uuid
from typing import Awaitable, Callable

from aiohttp import web

Guard = Callable[[web.Request], Awaitable[web.Response | None]]  # None: let the request through


def _reply(rid, result=None, error=None) -> dict:
    return {"jsonrpc": "2.0", "id": rid, **({"error": error} if error else {"result": result})}


def mcp_endpoint(server_info: dict, tools: list[dict], *, guard: Guard | None = None,
                 protocol: str = "2025-06-18"):
    """An aiohttp handler for POST <path>: JSON-RPC in, one SSE `message` event out."""
    sessions: set[str] = set()

    async def handler(request: web.Request) -> web.StreamResponse:
        if guard is not None and (refused := await guard(request)) is not None:
            return refused
        try:
            msg = json.loads(await request.content.read(65536))
        except ValueError:
            return web.json_response(_reply(None, error={"code": -32700, "message": "Parse error"}), status=400)
        if not isinstance(msg, dict) or "method" not in msg:
            return web.json_response(_reply(None, error={"code": -32600, "message": "Invalid Request"}), status=400)
        session = request.headers.get("mcp-session-id")
        if msg["method"] == "initialize":
            session = uuid.uuid4().hex
            sessions.add(session)
            reply = _reply(msg.get("id"), {"protocolVersion": protocol, "serverInfo": server_info,
                                           "capabilities": {"tools": {"listChanged": True}}})
        elif session not in sessions:
            return web.json_response(_reply(None, error={"code": -32600, "message": "Bad Request: Missing session ID"}),
                                     status=400)
        elif "id" not in msg:
            return web.Response(status=202, headers={"mcp-session-id": session})
        elif msg["method"] == "tools/list":
            reply = _reply(msg["id"], {"tools": tools})
        else:
            reply = _reply(msg["id"], error={"code": -32601, "message": "Method not found"})
        stream = web.StreamResponse(status=200, headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform",
            "mcp-session-id": session, "x-accel-buffering": "no"})
        await stream.prepare(request)
        await stream.write(b"event: message\r\ndata: " + json.dumps(reply, separators=(",", ":")).encode() + b"\r\n\r\n")
        await stream.write_eof()
        return stream

    return handler
