"""Generic MCP servers (streamable HTTP, SSE, WebSocket): twins and the real Python SDK."""

from __future__ import annotations

import pytest

from gatescan.identify.engine import identify
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("mcp_server")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("mcp-server", svc.identified_version)


# which era answered identification (None: a 401 came before any protocol work)
ERAS = {"mcp-server-vulnerable": "legacy", "mcp-server-sse-vulnerable": "legacy",
        "mcp-server-ws-vulnerable": "legacy", "mcp-server-host-checked": "legacy", "mcp-server-hardened": None,
        "mcp-server-modern-vulnerable": "modern", "mcp-server-modern-hardened": None,
        "mcp-server-poisoned": "modern", "mcp-server-rug-pull": "legacy"}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_era_is_recorded(svc):
    """attributes.mcp_era: server/discover answered (modern) or only initialize did (legacy)."""
    service = await identify_twin(svc)
    attributes = service.extra.get("attributes", {})
    assert attributes.get("mcp_era") == ERAS.get(svc.key, attributes.get("mcp_era")), attributes
    if svc.key == "mcp-server-modern-hardened":  # RFC 9728: the 401 names its metadata
        assert attributes["oauth_resource_metadata"].endswith("/.well-known/oauth-protected-resource/mcp")


def test_every_twin_has_its_era_stated():
    assert {s.key for s in TWINS} == set(ERAS)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.15", svc.port)
    assert (service.product, service.version) == ("mcp-server", svc.identified_version)


# ---------------------------------------------------------------- the real Python SDK

import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.identify._real import exchange, free_port, running  # noqa: E402

HAVE_MCP = importlib.util.find_spec("mcp") is not None
needs_mcp = pytest.mark.skipif(not HAVE_MCP, reason="the MCP Python SDK (`mcp`) is not installed "
                                                    "(the test extra installs it)")

# A server as the SDK's docs write one (MCPServer in mcp 2.x, FastMCP before).
_SERVER = '''
import sys
try:
    from mcp.server.mcpserver import MCPServer as Server
    app = Server(name="gatescan-real", version="3.1.4")
except ImportError:
    from mcp.server.fastmcp import FastMCP as Server
    app = Server("gatescan-real")

@app.tool()
def add(a: int, b: int) -> int:
    return a + b

transport, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    app.run(transport, host=host, port=port)
except TypeError:  # mcp 1.x: host and port are settings
    app.settings.host, app.settings.port = host, port
    app.run(transport)
'''


def _sdk_server(tmp_path, transport: str, bind: str, port: int):
    script = tmp_path / "server.py"
    script.write_text(_SERVER)
    argv = [sys.executable, str(script), transport, bind, str(port)]
    return running(argv, "127.0.0.1", port, cwd=tmp_path, env=dict(os.environ, HOME=str(tmp_path)))


@requires_netns  # a real server may phone home
@needs_mcp
@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_real_sdk_server_is_named(tmp_path, transport):
    # Bound to 127.0.0.1, so the SDK's DNS-rebinding protection is on, as in a default install.
    port = free_port()
    async with _sdk_server(tmp_path, transport, "127.0.0.1", port):
        async with Client() as client:
            service = await identify(Endpoint("127.0.0.1", port), client)
    assert service.product == "mcp-server"
    attributes = service.extra.get("attributes", {})
    assert attributes["variant"] == {"streamable-http": "streamable HTTP", "sse": "HTTP+SSE"}[transport]
    assert attributes["server_name"] == "gatescan-real"
    if importlib.util.find_spec("mcp.server.mcpserver") is not None:
        assert service.version == "3.1.4"  # serverInfo.version: the server's, not the SDK's
        # mcp 2.x serves both eras: server/discover answers first, so the modern era is named
        assert attributes["mcp_era"] == "modern"
    else:
        assert service.version


_INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                               "clientInfo": {"name": "gatescan-test", "version": "1"}}}).encode()
_BOTH = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def _requests(port: int, transport: str) -> list[tuple[str, str, dict[str, str], bytes]]:
    rebind = f"rebind.test:{port}"
    if transport == "sse":
        return [
            ("GET", "/sse", {"Accept": "text/event-stream"}, b""),
            ("GET", "/sse", {"Host": rebind, "Origin": f"http://{rebind}"}, b""),
            ("POST", "/messages/", {"Content-Type": "application/json"}, _INIT),
            ("POST", "/mcp", _BOTH, _INIT),
        ]
    return [
        ("POST", "/mcp", _BOTH, _INIT),
        ("POST", "/mcp", {**_BOTH, "Host": rebind, "Origin": f"http://{rebind}"}, _INIT),
        ("POST", "/mcp", {**_BOTH, "Host": "127.0.0.1"}, _INIT),
        ("POST", "/mcp", {**_BOTH, "Accept": "application/json"}, _INIT),
        ("POST", "/mcp", {**_BOTH, "Accept": "text/event-stream"}, _INIT),
        ("POST", "/mcp", {"Accept": _BOTH["Accept"], "Content-Type": "application/json"}, b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}'),
        ("GET", "/mcp", {"Accept": "text/event-stream"}, b""),
        ("POST", "/", _BOTH, _INIT),
    ]


async def _answers(port: int, transport: str) -> list[tuple]:
    out = []
    for method, path, headers, body in _requests(port, transport):
        status, got = await exchange("127.0.0.1", port, method, path, headers, body)
        out.append((method, path, sorted(headers.items()), status, got.get("content-type", "").split(";")[0],
                    "mcp-session-id" in got and status == 200, got.get("server")))
    return out


@requires_netns
@needs_mcp
@pytest.mark.parametrize("twin,transport", [("mcp-server-vulnerable", "streamable-http"),
                                            ("mcp-server-sse-vulnerable", "sse")])
async def test_unprotected_twin_answers_like_the_real_sdk(tmp_path, twin, transport):
    """The SDK bound to 0.0.0.0 (inside the namespace) has no Host/Origin validation, like the
    vulnerable twins: every request identification and the checks send gets the same answer."""
    port = free_port()
    async with _sdk_server(tmp_path, transport, "0.0.0.0", port):
        real = await _answers(port, transport)
    async with started(next(s for s in TWINS if s.key == twin)) as handle:
        lab = await _answers(handle.port, transport)
    # aiohttp always sends a Content-Type; Starlette omits it on bare-text refusals: compare
    # the type only where the real server sent one.
    lab = [row[:4] + ((row[4] if real_row[4] else ""),) + row[5:] for row, real_row in zip(lab, real)]
    strip = lambda rows: [(m, p, st, ct, sid, srv) for m, p, _, st, ct, sid, srv in rows]  # noqa: E731
    assert strip(lab) == strip(real)


async def test_sse_probe_never_posts_off_the_endpoint():
    """An endpoint event naming another host is not followed (DESIGN.md, Safety)."""
    from aiohttp import web

    from gatescan.identify.engine import sse_probe

    posted: list[str] = []

    async def stream(request):
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"event: endpoint\r\ndata: http://192.0.2.1:8000/messages/?session_id=x\r\n\r\n")
        return resp

    async def anything(request):
        posted.append(request.path)
        return web.Response(status=202)

    app = web.Application()
    app.router.add_get("/sse", stream)
    app.router.add_route("*", "/{tail:.*}", anything)
    from gatescan.lab.base import serve_app

    handle = await serve_app(app, "127.0.0.1", 0)
    try:
        async with Client() as client:
            result = await sse_probe(client, f"http://127.0.0.1:{handle.port}/sse", b"{}")
    finally:
        await handle.close()
    assert result.status == 200 and b"event: endpoint" in result.body
    assert posted == []


# The deprecated WebSocket transport left the SDK in 2.0; 1.27.0 (before the CVE-2026-59950
# fix in 1.28.1) is installed beside it by the test command:
#   scripts/install-products (pip install --no-deps --target ~/.cache/gatescan-lab/mcp-1.27.0 mcp==1.27.0 ...)
MCP_WS_DIR = Path(os.environ.get("GATESCAN_LAB_CACHE", Path.home() / ".cache" / "gatescan-lab")) / "mcp-1.27.0"

_WS_SERVER = '''
import sys
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from mcp.server.fastmcp import FastMCP
from mcp.server.websocket import websocket_server

app = FastMCP("gatescan-ws")

@app.tool()
def add(a: int, b: int) -> int:
    return a + b

async def endpoint(websocket):
    async with websocket_server(websocket.scope, websocket.receive, websocket.send) as (read, write):
        await app._mcp_server.run(read, write, app._mcp_server.create_initialization_options())

uvicorn.run(Starlette(routes=[WebSocketRoute("/ws", endpoint)]), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning")
'''


async def _ws_answers(port: int) -> list[tuple]:
    from tests.identify._real import UPGRADE

    out = []
    for path, headers in [("/ws", {**UPGRADE, "Sec-WebSocket-Protocol": "mcp", "Origin": "http://scanner.invalid"}),
                          ("/ws", {**UPGRADE, "Origin": "null"}), ("/ws", {}), ("/", dict(UPGRADE))]:
        status, got = await exchange("127.0.0.1", port, "GET", path, headers)
        out.append((path, status, got.get("sec-websocket-protocol"), got.get("server")))
    return out


@requires_netns
@pytest.mark.skipif(not (MCP_WS_DIR / "mcp" / "server" / "websocket.py").is_file(),
                    reason=f"mcp 1.27.0 (WebSocket transport) is not installed in {MCP_WS_DIR}")
async def test_real_websocket_transport_is_named_and_answers_like_its_twin(tmp_path):
    script = tmp_path / "ws_server.py"
    script.write_text(_WS_SERVER)
    port = free_port()
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=str(MCP_WS_DIR))
    async with running([sys.executable, str(script), str(port)], "127.0.0.1", port, cwd=tmp_path, env=env):
        async with Client() as client:
            service = await identify(Endpoint("127.0.0.1", port), client)
        real = await _ws_answers(port)
    assert (service.product, service.version) == ("mcp-server", "1.27.0")  # FastMCP 1.x: the SDK's
    assert service.extra["attributes"]["variant"] == "WebSocket"
    async with started(next(s for s in TWINS if s.key == "mcp-server-ws-vulnerable")) as handle:
        lab = await _ws_answers(handle.port)
    assert lab == real


# ---------------------------------------------------------------- the 2026-07-28 era

_V = "2026-07-28"


def _modern_body(method: str, version: str = _V) -> bytes:
    meta = {"io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientInfo": {"name": "gatescan-test", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {}}
    return json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": {"_meta": meta}}).encode()


def _modern_requests() -> list[tuple[dict[str, str], bytes]]:
    head = {**_BOTH, "MCP-Protocol-Version": _V}
    return [
        ({**head, "Mcp-Method": "server/discover"}, _modern_body("server/discover")),
        ({**head, "Mcp-Method": "tools/list"}, _modern_body("tools/list")),
        (head, _modern_body("server/discover")),  # Mcp-Method missing: HeaderMismatch
        ({**head, "Mcp-Method": "tools/list"}, _modern_body("server/discover")),  # mismatch
        ({**head, "Mcp-Method": "gatescan/unknown"}, _modern_body("gatescan/unknown")),  # 404 -32601
    ]


async def _modern_answers(port: int) -> list[tuple]:
    import aiohttp

    out = []
    async with aiohttp.ClientSession() as session:
        for headers, body in _modern_requests():
            async with session.post(f"http://127.0.0.1:{port}/mcp", headers=headers, data=body) as resp:
                doc = json.loads(await resp.read())
            error = doc.get("error") or {}
            result = doc.get("result") or {}
            out.append((resp.status, resp.content_type, doc.get("id"), error.get("code"),
                        sorted(k for k in result if k != "capabilities"), "mcp-session-id" in resp.headers))
    return out


@requires_netns
@needs_mcp
async def test_modern_twin_answers_like_the_real_sdk(tmp_path):
    """The modern requests identification and the checks send get the same answers from the
    modern-only twin as from the real mcp 2.3.0 (which also serves the legacy era)."""
    if importlib.util.find_spec("mcp.server.mcpserver") is None:
        pytest.skip("mcp 1.x has no 2026-07-28 era")
    port = free_port()
    async with _sdk_server(tmp_path, "streamable-http", "0.0.0.0", port):
        real = await _modern_answers(port)
    async with started(next(s for s in TWINS if s.key == "mcp-server-modern-vulnerable")) as handle:
        lab = await _modern_answers(handle.port)
    assert lab == real
    assert real[0][0] == 200 and "supportedVersions" in real[0][4] and real[2][3] == -32020 and real[4][:4] == (
        404, "application/json", 7, -32601)


@requires_netns
@needs_mcp
@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_real_sdk_tools_are_listed_in_each_era(tmp_path, transport):
    """auth.missing's client on the real dual-era SDK: modern by default, legacy when asked."""
    from gatescan.model import Access
    from gatescan.protocols import mcp

    if importlib.util.find_spec("mcp.server.mcpserver") is None:
        pytest.skip("mcp 1.x has no 2026-07-28 era")
    port = free_port()
    async with _sdk_server(tmp_path, transport, "127.0.0.1", port), Client() as client:
        base = f"http://127.0.0.1:{port}"
        call = mcp.list_tools_sse if transport == "sse" else mcp.list_tools_http
        modern = await call(client, base)
        legacy = await call(client, base, era=mcp.LEGACY)
    for result, era in ((modern, mcp.MODERN), (legacy, mcp.LEGACY)):
        assert (result.state, result.era, result.tools) == (Access.OPEN, era, ["add"]), result.reason
        assert result.server_info["name"] == "gatescan-real"
        assert result.tool_defs[0]["inputSchema"]["required"] == ["a", "b"]
