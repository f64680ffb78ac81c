"""The checks against the real OpenClaw gateway (openclaw@2026.9.6) in none/token/password
modes (issue 13, Real targets; openclaw-gateway.md §13)."""

from __future__ import annotations

import pytest

from gatescan.identify import fingerprints
from gatescan.model import CheckStatus
from tests.netns import requires_netns

pytestmark = [requires_netns, pytest.mark.real, pytest.mark.slow]


def _fp():
    return fingerprints.load_file(fingerprints.default_dir() / "openclaw-gateway.yaml")


async def test_auth_none(real_openclaw_none, scan):
    gw = real_openclaw_none
    service, findings, results = await scan(gw.host, gw.port, _fp())
    assert results["auth.missing"].result is CheckStatus.FINDING
    assert results["http.host.unchecked"].result is CheckStatus.PASSED, results["http.host.unchecked"].reason
    assert results["ws.origin.unchecked"].result is CheckStatus.PASSED, results["ws.origin.unchecked"].reason
    assert results["http.cors.permissive"].result is CheckStatus.PASSED
    (finding,) = findings
    assert finding.check == "auth.missing" and finding.severity.value == "critical"
    exchange = finding.evidence.exchanges[0]
    assert exchange.request["method"] == "POST" and "/tools/invoke" in exchange.request["url"]
    assert exchange.response["status"] == 404 and "Tool not available" in exchange.response["body"]
    assert "gateway.auth" in finding.remediation
    # the finding says why a 404 proves it: the gateway answered the tool lookup, not 401
    assert "tool lookup" in finding.evidence.summary and "401" in finding.evidence.summary


@pytest.mark.parametrize("mode", ["token", "password"])
async def test_auth_enforced(real_openclaw_factory, scan, mode):
    gw = real_openclaw_factory(mode)
    service, findings, results = await scan(gw.host, gw.port, _fp())
    assert findings == []
    assert results["auth.missing"].result is CheckStatus.PASSED
    assert results["http.host.unchecked"].result is CheckStatus.NOT_APPLICABLE
    assert results["ws.origin.unchecked"].result is CheckStatus.PASSED, results["ws.origin.unchecked"].reason
    # no credential was ever sent: nothing in the evidence carries one
    assert gw.secret not in repr(service.to_dict())


async def test_protocol_client_on_the_real_gateway(real_openclaw_token, client):
    from gatescan.protocols import openclaw

    gw = real_openclaw_token
    assert await openclaw.protocol_version(client, gw.host, gw.port) == 4
    # a range that misses is retried once at the server's version
    attempt = client.scope()
    outcome = await openclaw.connect_probe(attempt, gw.host, gw.port, protocol_range=(1, 2))
    assert attempt.probes == 2 and len(outcome.exchanges) == 2 and outcome.kind == openclaw.NEXT_GATE and outcome.code in openclaw.NEXT_GATE_CODES, outcome
    refused = await openclaw.connect_probe(client, gw.host, gw.port, origin=f"http://{gw.host}.attacker.invalid")
    assert refused.kind == openclaw.ORIGIN_REJECTED and refused.code == "CONTROL_UI_ORIGIN_NOT_ALLOWED"


async def test_the_real_gateway_refuses_a_foreign_origin_after_the_upgrade(real_openclaw_token, scan):
    """Issue 19 item 5: 2026.9.6 upgrades (101), sends connect.challenge, then answers the connect
    "origin not allowed" and closes 1008; no HTTP 403 before the upgrade."""
    gw = real_openclaw_token
    _, _, results = await scan(gw.host, gw.port, _fp())
    origin = results["ws.origin.unchecked"]
    assert origin.result is CheckStatus.PASSED
    assert "refused after the upgrade" in origin.reason and "origin not allowed" in origin.reason


async def test_the_real_gateway_throttles_wrong_tokens_and_names_no_advisory(client):
    """--intrusive on a gateway of its own (the lockout lasts 5 minutes per Origin): 10 wrong tokens
    with its own Origin, then AUTH_RATE_LIMITED; its version (2026.9.6) is past every advisory."""
    from gatescan.checks import run_checks
    from gatescan.identify import engine as identify
    from gatescan.model import Endpoint
    from tests.openclaw_real import start_gateway

    gw = start_gateway("token")
    try:
        service = await identify.identify(Endpoint(gw.host, gw.port), client)
        findings = await run_checks(service, _fp(), client, intrusive=True)
    finally:
        gw.stop()
    results = {c.check: c for c in service.checks}
    assert service.version == gw.version
    assert results["auth.ratelimit.missing"].result is CheckStatus.PASSED, results["auth.ratelimit.missing"].reason
    assert "throttled after" in results["auth.ratelimit.missing"].reason
    assert "too many failed authentication attempts" in results["auth.ratelimit.missing"].reason
    assert results["version.vulnerable"].result is CheckStatus.PASSED, results["version.vulnerable"].reason
    assert results["exposure.network"].result is CheckStatus.NOT_APPLICABLE
    assert findings == []
