"""A product that serves another protocol is named as itself: the embedded surface (an MCP
gateway, a plugin route) is recorded in attributes.embedded and that protocol's checks run
against it, each result and finding saying which surface it is about (issue 17 item 2)."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import FingerprintError, get, load_fingerprints
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._twins import lab_twins, started


def _twin(module: str, key: str):
    return next(s for s in lab_twins(module) if s.key == key)


async def _scan(svc):
    async with started(svc) as handle, Client() as client:
        service = await identify(Endpoint("127.0.0.1", handle.port), client)
        findings = await run_checks(service, get(service.product), client)
    return service, findings


def _surface_results(service, path):
    return {c.check: c for c in service.checks if (c.extra.get("surface") or {}).get("path") == path}


async def test_litellm_mcp_gateway_is_litellms_and_its_mcp_checks_run():
    service, findings = await _scan(_twin("litellm", "litellm-proxy-vulnerable"))
    assert (service.product, service.version) == ("litellm-proxy", "1.108.7")
    [surface] = service.extra["attributes"]["embedded"]
    assert surface == {"protocol": "mcp", "name": "MCP gateway", "path": "/mcp", "role": "server",
                       "transport": "streamable", "server_name": "litellm-mcp-server", "server_version": "1.0.0"}
    results = _surface_results(service, "/mcp")
    # mcp-server's own checks, retargeted: initialize + tools/list, the rebinding replay; the
    # WebSocket-only Origin check does not apply to streamable HTTP
    assert results["auth.missing"].result.value == "finding"
    assert results["http.host.unchecked"].result.value == "finding"
    assert results["ws.origin.unchecked"].result.value == "not_applicable"
    mcp_auth = next(f for f in findings if f.check == "auth.missing" and f.extra)
    assert mcp_auth.target.endswith("/mcp") and mcp_auth.extra["surface"]["protocol"] == "mcp"
    assert "(MCP gateway at /mcp)" in mcp_auth.title and "litellm-mcp-server" in mcp_auth.evidence.summary
    assert mcp_auth.product == "litellm-proxy"
    # and the proxy's own auth.missing is reported apart
    assert any(f.check == "auth.missing" and not f.extra for f in findings)


async def test_litellm_with_a_master_key_records_the_gateway_and_it_passes():
    service, findings = await _scan(_twin("litellm", "litellm-proxy-hardened"))
    assert [s["path"] for s in service.extra["attributes"]["embedded"]] == ["/mcp"]
    results = _surface_results(service, "/mcp")
    assert results["auth.missing"].result.value == "passed" and "401" in results["auth.missing"].reason
    assert findings == []


async def test_openclaw_plugin_route_is_the_gateways_surface():
    service, findings = await _scan(_twin("openclaw", "openclaw-gateway-2026.9.6-admin-rpc"))
    assert service.product == "openclaw-gateway"
    assert [s["protocol"] for s in service.extra["attributes"]["embedded"]] == ["openclaw-admin-rpc"]
    results = _surface_results(service, "/api/v1/admin/rpc")
    assert results["auth.missing"].result.value == "finding"
    assert results["http.host.unchecked"].result.value == "passed"  # foreign Host+Origin: 401
    rpc = next(f for f in findings if f.extra)
    assert '"commands.list"' in rpc.evidence.exchanges[0].request["body"] or "commands.list" in str(rpc.evidence.exchanges[0].request)
    assert "config.set" in rpc.evidence.summary


async def test_openclaw_without_the_plugin_records_no_surface():
    service, _ = await _scan(_twin("openclaw", "openclaw-gateway-2026.9.6-authnone"))
    assert "embedded" not in service.extra.get("attributes", {})
    assert not any(c.extra for c in service.checks)


@pytest.mark.parametrize("key", ["open-webui-vulnerable", "open-webui-hardened"])
async def test_open_webui_mcp_client_connections_are_recorded_and_checked(key):
    service, _ = await _scan(_twin("open_webui", key))
    [surface] = service.extra["attributes"]["embedded"]
    assert (surface["protocol"], surface["role"]) == ("mcp", "client")
    results = _surface_results(service, "/api/v1/configs/tool_servers")
    assert results["auth.missing"].result.value == "passed"  # a token is asked for even with auth off


def test_checks_from_must_name_a_fingerprint_of_the_set(tmp_path):
    src = get("litellm-proxy").path.read_text().replace("checks_from: mcp-server", "checks_from: no-such-product")
    (tmp_path / "litellm-proxy.yaml").write_text(src)
    with pytest.raises(FingerprintError, match=r"embeds\[0\]\.checks_from: unknown product id 'no-such-product'"):
        load_fingerprints(tmp_path)


def test_an_embed_names_a_probe_of_its_file(tmp_path):
    src = get("litellm-proxy").path.read_text().replace("probe: mcp-gateway\n    match", "probe: nope\n    match")
    (tmp_path / "litellm-proxy.yaml").write_text(src)
    with pytest.raises(FingerprintError, match=r"embeds\[0\]\.probe: unknown probe 'nope'"):
        load_fingerprints(tmp_path)


async def test_n8n_instance_mcp_server_is_checked_as_mcp():
    service, findings = await _scan(_twin("n8n", "n8n-hardened"))
    assert service.product == "n8n" and service.version == "2.8.4"
    results = _surface_results(service, "/mcp-server/http")
    assert results["auth.missing"].result.value == "passed"
    assert results["http.host.unchecked"].result.value == "not_applicable"
    assert findings == []


async def test_letta_mcp_registry_is_lettas_and_open_without_the_password():
    service, findings = await _scan(_twin("letta", "letta-vulnerable"))
    assert service.product == "letta"
    [surface] = service.extra["attributes"]["embedded"]
    assert (surface["protocol"], surface["role"], surface["path"]) == ("mcp", "client", "/v1/tools/mcp/servers")
    registry = next(f for f in findings if f.extra)
    assert registry.check == "auth.missing" and "MCP servers Letta's agents call" in registry.evidence.summary
    assert "(MCP server registry at /v1/tools/mcp/servers)" in registry.title
