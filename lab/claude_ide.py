"""Claude Code IDE integration twins: the IDE's MCP-over-WebSocket server on a random high port.

Facts: the advisory GHSA-9f65-56v6-gxw7 and coder/claudecode.nvim's PROTOCOL.md and
lua/claudecode/server/{handshake,init}.lua. The official extension is closed source: its tool set is the one PROTOCOL.md
reverse-engineered; its serverInfo and its answer to a plain GET were not read anywhere, so the
vulnerable twin's are marked [UNVERIFIED] and identification keys on the tool set instead.
"""

from __future__ import annotations

from aiohttp import web

from .base import LabService, answer_jsonrpc_frames, app_service, strip_server_header

# The VS Code extension's tools (PROTOCOL.md) [SRC-3P]; schemas trimmed to their shape.
_TOOLS = [{"name": n, "description": d, "inputSchema": {"type": "object", "properties": {}}} for n, d in (
    ("openFile", "Open a file in the editor and optionally select a range of text"),
    ("openDiff", "Open a git diff for the file"),
    ("getCurrentSelection", "Get the current text selection in the active editor"),
    ("getLatestSelection", "Get the most recent text selection"),
    ("getOpenEditors", "Get information about currently open editors"),
    ("getWorkspaceFolders", "Get all workspace folders currently open in the IDE"),
    ("getDiagnostics", "Get language diagnostics from VS Code"),
    ("checkDocumentDirty", "Check if a document has unsaved changes"),
    ("saveDocument", "Save a document with unsaved changes"),
    ("close_tab", "Close a tab by name"),
    ("closeAllDiffTabs", "Close all diff tabs in the editor"),
    ("executeCode", "Execute Python code in the Jupyter kernel for the current notebook file"),
)]

_AUTH_HEADER = "x-claude-code-ide-authorization"


def _answer(msg, server_info: dict) -> dict | None:
    if not isinstance(msg, dict) or "id" not in msg:
        return None
    method, rid = msg.get("method"), msg["id"]
    if method == "initialize":
        return {"jsonrpc": "2.0", "id": rid, "result": {
            "protocolVersion": "2024-11-05",
            "capabilities": {"logging": {}, "prompts": {"listChanged": True},
                             "resources": {"subscribe": True, "listChanged": True}, "tools": {"listChanged": True}},
            "serverInfo": server_info}}
    if method == "tools/list":
        return {"jsonrpc": "2.0", "id": rid, "result": {"tools": _TOOLS}}
    if method == "prompts/list":
        return {"jsonrpc": "2.0", "id": rid, "result": {"prompts": []}}
    return {"jsonrpc": "2.0", "id": rid,
            "error": {"code": -32601, "message": "Method not found", "data": f"Unknown method: {method}"}}


def _plain(status: int, reason: str, text: str) -> web.Response:
    return web.Response(status=status, reason=reason, text=text, content_type="text/plain",
                        headers={"Connection": "close"})


def _app(*, token: str | None, server_info: dict) -> web.Application:
    async def any_path(request: web.Request) -> web.StreamResponse:
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if token is None:
            # Before 1.0.24: no header, no Origin check; any path upgrades.
            if not upgrade:
                # [UNVERIFIED] the `ws` library's own HTTP server answers a plain request 426.
                return _plain(426, "Upgrade Required", "Upgrade Required")
        else:
            # claudecode.nvim handshake.lua: every refusal is 400 "Bad WebSocket upgrade request: <why>".
            if not upgrade:
                return _plain(400, "Bad Request", "Bad WebSocket upgrade request: Missing or invalid Upgrade header")
            got = request.headers.get(_AUTH_HEADER)
            if got is None:
                return _plain(400, "Bad Request",
                              f"Bad WebSocket upgrade request: Missing authentication header: {_AUTH_HEADER}")
            if got != token:
                return _plain(400, "Bad Request", "Bad WebSocket upgrade request: Invalid authentication token")
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=65536)
        await ws.prepare(request)
        await answer_jsonrpc_frames(ws, lambda msg: _answer(msg, server_info), {
            "jsonrpc": "2.0", "id": None,
            "error": {"code": -32700, "message": "Parse error", "data": "Invalid JSON"}})
        return ws

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", any_path)
    return strip_server_header(app)


SERVICES = [
    # VS Code extension 1.0.23 (CVE-2025-52882, >= 0.2.116 < 1.0.24): any web page could open
    # the WebSocket and call openFile/getDiagnostics/executeCode.
    LabService(
        key="claude-code-ide-vulnerable",
        product="claude-code-ide",
        version="1.0.23",
        twin="vulnerable",
        port=38117,
        expected=("auth.missing", "ws.origin.unchecked", "version.vulnerable"),
        # [UNVERIFIED] serverInfo name; the version is the extension's.
        start=app_service(lambda: _app(token=None, server_info={"name": "claude-code-vscode", "version": "1.0.23"})),
        notes="Claude Code IDE WebSocket before 1.0.24: no auth header, any Origin",
    ),
    # Fixed builds need x-claude-code-ide-authorization (the lock file's authToken), which a
    # browser cannot send. The refusal comes before any JSON-RPC, so the version stays hidden.
    LabService(
        key="claude-code-ide-hardened",
        product="claude-code-ide",
        version=None,
        twin="hardened",
        version_observable=False,
        port=38118,
        expected=(),
        start=app_service(lambda: _app(token="5f0c8a52-31d4-4d8e-9b61-0e7c2a9d4b17",
                                       server_info={"name": "claudecode-neovim", "version": "0.3.0"})),
        notes="Claude Code IDE WebSocket with the auth header required (claudecode.nvim handshake)",
    ),
]
