"""Generic MCP servers (streamable HTTP, SSE, WebSocket): twins and the real Python SDK."""

from __future__ import annotations

import importlib

import pytest

from gatescan._paths import import_lab
from gatescan.identify import identify
from gatescan.model import Endpoint
from gatescan.probes.http import ProbeContext
from tests.netns import requires_netns

import_lab()
TWINS = importlib.import_module("gatescan.lab.mcp_server").SERVICES


async def _identify(svc, host: str = "127.0.0.1", port: int = 0):
    handle = await svc.start(host, port)
    try:
        async with ProbeContext() as ctx:
            return await identify(Endpoint(host, handle.port if port == 0 else port), ctx)
    finally:
        await handle.close()


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await _identify(svc)
    assert (service.product, service.version) == ("mcp-server", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await _identify(svc, "127.0.10.15", svc.port)
    assert (service.product, service.version) == ("mcp-server", svc.identified_version)


# ---------------------------------------------------------------- the real Python SDK

import asyncio  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

HAVE_MCP = importlib.util.find_spec("mcp") is not None

# A server as the SDK's docs write one (MCPServer in mcp 2.x, FastMCP before), on 127.0.0.1,
# so the SDK's own DNS-rebinding protection is on, as in a default install.
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

transport, port = sys.argv[1], int(sys.argv[2])
try:
    app.run(transport, host="127.0.0.1", port=port)
except TypeError:  # mcp 1.x: host and port are settings
    app.settings.host, app.settings.port = "127.0.0.1", port
    app.run(transport)
'''


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


async def _wait_listening(host: str, port: int, proc, deadline: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while loop.time() < end:
        if proc.returncode is not None:
            raise AssertionError(f"the MCP server exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise AssertionError(f"the MCP server did not listen on {host}:{port} within {deadline:g} s")


@requires_netns  # a real server may phone home
@pytest.mark.skipif(not HAVE_MCP, reason="the MCP Python SDK (`mcp`) is not installed (the test extra installs it)")
@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_real_sdk_server_is_named(tmp_path, transport):
    script = tmp_path / "server.py"
    script.write_text(_SERVER)
    host, port = "127.0.0.1", _free_port("127.0.0.1")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), transport, str(port), cwd=tmp_path, env=dict(os.environ, HOME=str(tmp_path)),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        await _wait_listening(host, port, proc)
        async with ProbeContext() as ctx:
            service = await identify(Endpoint(host, port), ctx)
        assert service.product == "mcp-server"
        attributes = service.extra.get("attributes", {})
        if transport == "streamable-http":
            assert attributes["variant"] == "streamable HTTP"
            assert attributes["server_name"] == "gatescan-real"
            if importlib.util.find_spec("mcp.server.mcpserver") is not None:
                assert service.version == "3.1.4"  # serverInfo.version: the server's, not the SDK's
            else:
                assert service.version
        else:
            assert attributes["variant"] == "HTTP+SSE"
            assert service.version is None  # only the session's event stream carries serverInfo
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
