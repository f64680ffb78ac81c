"""The checks on the whole lab, end to end (identify, then run_checks): every expected finding,
none on a hardened twin or a decoy (issue 13; the manifest's `expected` is the truth)."""

from __future__ import annotations

import pytest

from gatescan.identify import engine as identify
from gatescan.checks import REGISTRY, run_checks
from gatescan.labrun import running_lab
from gatescan.model import Endpoint, Report
from gatescan.identify.fingerprints import load_fingerprints
from gatescan.net.client import Client
from tests.netns import requires_netns

pytestmark = [requires_netns, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab_scan():
    import asyncio

    async def go():
        async with running_lab() as lab:
            by_endpoint = {(e["host"], e["port"]): e for e in lab.entries}
            results = {}
            async with Client() as client:
                fps = {fp.id: fp for fp in load_fingerprints()}
                endpoints = [Endpoint(h, p) for h, p in by_endpoint]
                async for service in identify.identify_all(endpoints, client):
                    fp = fps.get(service.product)
                    # --intrusive: the manifest's `expected` is what an intrusive scan reports
                    findings = await run_checks(service, fp, client, intrusive=True) if fp else []
                    results[by_endpoint[(service.host, service.port)]["key"]] = (
                        by_endpoint[(service.host, service.port)], service, findings)
            return results

    return asyncio.run(go())


def test_expected_findings_and_nothing_else(lab_scan, validate_report):
    wrong = []
    for key, (entry, service, findings) in lab_scan.items():
        assert set(entry["expected"]) <= set(REGISTRY), key  # the manifest names only checks that exist
        expected = set(entry["expected"])
        found = {f.check for f in findings}
        if found != expected:
            wrong.append((key, sorted(expected), sorted(found),
                          [(c.check, c.result.value, c.reason) for c in service.checks]))
        if entry["twin"] == "decoy":
            assert not findings, key
    assert not wrong, wrong
    report = Report(services=[s for _, s, _ in lab_scan.values()],
                    findings=[f for _, _, fs in lab_scan.values() for f in fs])
    report.finish()
    validate_report(report.to_dict())


def test_every_finding_carries_evidence(lab_scan):
    for key, (_, service, findings) in lab_scan.items():
        for f in findings:
            assert f.evidence.summary and f.evidence.exchanges, (key, f.check)
            assert all(e.request for e in f.evidence.exchanges), (key, f.check)
            assert f.remediation and f.target.startswith(("http", "ws")), (key, f.check)
        applicable = {c.check for c in service.checks}
        assert {f.check for f in findings} <= applicable


def test_every_check_on_the_lab_is_decided(lab_scan):
    """Each twin answers every check clearly: a check reading a refusal (or an answer) as unclear
    shows here even where it changes no finding."""
    undecided = [(key, c.check, c.reason) for key, (_, service, _) in lab_scan.items()
                 for c in service.checks if c.result.value == "inconclusive"]
    assert not undecided, undecided


def test_mcp_401_reads_as_auth_enforced(lab_scan):
    """The OAuth-protected MCP server answers initialize 401: authentication is enforced, so the
    replaying rebinding check has nothing to replay."""
    _, service, findings = lab_scan["mcp-server-hardened"]
    results = {c.check: c for c in service.checks}
    assert results["auth.missing"].result.value == "passed" and "401" in results["auth.missing"].reason
    assert results["http.host.unchecked"].result.value == "not_applicable"
    assert "refused without credentials" in results["http.host.unchecked"].reason
    assert findings == []


def test_mcp_rebinding_request_sends_the_rebinding_host(lab_scan):
    """A twin that checks Host only (any Origin passes) refuses the rebinding initialize 421; a
    request that kept the real Host would be answered and reported."""
    _, service, findings = lab_scan["mcp-server-host-checked"]
    results = {c.check: c for c in service.checks}
    assert results["http.host.unchecked"].result.value == "passed", results["http.host.unchecked"].reason
    assert "HTTP 421" in results["http.host.unchecked"].reason
    assert {f.check for f in findings} == {"auth.missing"}


def test_openclaw_eras_explained(lab_scan):
    _, _, old = lab_scan["openclaw-gateway-clawdbot-2026.1.24"]
    _, _, clawjacked = lab_scan["openclaw-gateway-2026.2.24"]
    origin_old = next(f for f in old if f.check == "ws.origin.unchecked")
    origin_cj = next(f for f in clawjacked if f.check == "ws.origin.unchecked")
    assert "no Origin check at all" in origin_old.evidence.summary
    assert "only for Control UI" in origin_cj.evidence.summary
    # every foreign variant passed on the old eras: attacker site, null, suffix (and the prefix
    # trick, listed apart: no browser can present `http://attacker127.0.10.x`)
    assert "null" in origin_old.evidence.summary and "suffix trick" in origin_cj.evidence.summary
    assert "no browser can present it" in origin_cj.evidence.summary
    # 2026.2.24 runs token auth: the Origin finding is one step below the product's impact
    assert origin_old.severity.value == "critical" and origin_cj.severity.value == "high"


def test_cors_credentials_decide_the_severity(lab_scan):
    """allow_origin='*': a page reads only what needs no cookie (a step below jupyter's critical);
    allow_origin_pat='.*' with allow_credentials: a page reads the authenticated answer."""
    def cors(key):
        return next(f for f in lab_scan[key][2] if f.check == "http.cors.permissive")
    star, pat = cors("jupyter-vulnerable"), cors("jupyter-origin-pat-credentials")
    assert star.severity.value == "high" and "need no cookie" in star.evidence.summary
    assert pat.severity.value == "critical" and "read the authenticated answer" in pat.evidence.summary
    assert pat.evidence.exchanges[-1].response["headers"]["access-control-allow-credentials"] == "true"


def test_openclaw_auth_finding_says_why_a_404_proves_no_auth(lab_scan):
    _, _, findings = lab_scan["openclaw-gateway-2026.9.6-authnone"]
    auth = next(f for f in findings if f.check == "auth.missing")
    assert auth.evidence.exchanges[0].response["status"] == 404
    assert "tool lookup" in auth.evidence.summary and "answers 401 before any lookup" in auth.evidence.summary


def test_hardened_openclaw_passes(lab_scan):
    _, service, findings = lab_scan["openclaw-gateway-2026.9.6"]
    results = {c.check: c.result.value for c in service.checks}
    assert findings == []
    assert results["ws.origin.unchecked"] == "passed"
    assert results["auth.missing"] == "passed"
    assert results["http.host.unchecked"] == "not_applicable"
