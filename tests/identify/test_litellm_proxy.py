"""LiteLLM proxy: both twins are named with LiteLLM's own version (openapi.json), on a free port,
its default port and MCP's default port, never as the `mcp-server` its /mcp gateway looks like."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("litellm")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("litellm-proxy", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("port", [4000, 8000], ids=["default-port", "mcp-server-port"])
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_named_as_itself_on_its_port_and_mcps(svc, port):
    service = await identify_twin(svc, "127.0.17.4", port)
    assert (service.product, service.version) == ("litellm-proxy", "1.108.7")
    assert service.version != "1.0.0"  # the MCP gateway's serverInfo version is not LiteLLM's


CASES = [
    # (method, path, headers, body, no master key, master key) as the real 1.108.7 answered
    ("GET", "/health/liveliness", {}, b"", 200, 200),
    ("GET", "/v1/models", {}, b"", 200, 401),
    ("GET", "/.well-known/litellm-ui-config", {}, b"", 200, 200),
    ("POST", "/mcp", {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
     b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",'
     b'"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}', 200, 401),
]


@pytest.mark.parametrize("method,path,headers,body,open_status,keyed_status", CASES)
async def test_twins_answer_as_litellm_does(method, path, headers, body, open_status, keyed_status):
    for svc, want in ((BY_TWIN["vulnerable"], open_status), (BY_TWIN["hardened"], keyed_status)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, method, path,
                                         {**headers, "Origin": "http://scanner.invalid"}, body)
        assert status == want, (svc.key, path)
        assert got["access-control-allow-origin"] == "*" and "server" not in got
        if path == "/mcp" and status == 401:
            assert "oauth-protected-resource/mcp" in got["www-authenticate"]
