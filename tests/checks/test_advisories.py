"""version.vulnerable (checks/advisories.py): an exact version in an affected range, a band wholly
inside one, a band straddling a fix, no version at all, a version no scheme knows; its severity is
the worst matched advisory's and its references carry the advisory ids. Sends nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gatescan.checks import run_checks
from gatescan.identify.fingerprints import load_file
from gatescan.model import Evidence, Service
from gatescan.net.client import Client

ADVISORIES = [
    {"id": "CVE-2026-25253", "summary": "Control UI trusted gatewayUrl", "affected": ["<2026.1.29"],
     "fixed": "2026.1.29", "severity": "high", "references": ["https://nvd.nist.gov/vuln/detail/CVE-2026-25253"]},
    {"id": "ClawJacked", "summary": "Origin checked for UI clients only", "affected": ["<2026.2.25"],
     "fixed": "2026.2.25", "severity": "high", "note": "No CVE.", "references": ["https://example.org/clawjacked"]},
    {"id": "GHSA-rqpp-rjj8-7wv8", "summary": "self-declared scopes", "affected": ["<2026.3.12"],
     "fixed": "2026.3.12", "severity": "critical", "references": ["https://example.org/rqpp"]},
    # an advisory fixed on two lines: the 2026.6 extended-stable build 2026.6.33 and 2026.7.1
    {"id": "GHSA-2j8v-hwgc-x698", "summary": "argv changed between approval and run",
     "affected": [">=2026.6.0,<2026.6.33", ">=2026.7.0,<2026.7.1"], "fixed": "2026.7.1", "severity": "medium",
     "references": ["https://example.org/2j8v"]},
]


@pytest.fixture
def fingerprint(tmp_path: Path):
    doc = {"id": "demo-gateway", "name": "Demo gateway", "category": "demo", "impact": "control", "ports": [1],
           "version_scheme": "calver", "probes": [{"id": "root", "kind": "http", "path": "/"}],
           "matchers": [{"probe": "root", "confidence": 0.9, "body_contains": "demo"}],
           "checks": {"version.vulnerable": {"remediation": "Upgrade."}}, "advisories": ADVISORIES}
    path = tmp_path / "demo-gateway.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_file(path)


async def judge(fp, version=None, band=None):
    service = Service(host="127.0.0.1", port=1, product="demo-gateway", product_name="Demo gateway", version=version)
    service.evidence.append(Evidence(probe="GET http://127.0.0.1:1/", observed="version " + version if version
                                     else "<title>Clawdbot Control</title>"))
    if band:
        service.extra["attributes"] = {"version_range": band}
    async with Client() as client:
        findings = await run_checks(service, fp, client)
        assert client.probes == 0  # the check sends nothing
    (result,) = service.checks
    return result, findings


async def test_an_exact_version_inside_a_range_is_a_finding_rated_by_the_worst_advisory(fingerprint):
    result, (finding,) = await judge(fingerprint, "2026.2.24")
    assert result.result.value == "finding"
    assert finding.severity.value == "critical"  # GHSA-rqpp-rjj8-7wv8, whatever the impact class says
    assert finding.references[:2] == ["ClawJacked", "https://example.org/clawjacked"]
    assert "GHSA-rqpp-rjj8-7wv8" in finding.references and "CVE-2026-25253" not in finding.references
    assert "2026.2.24 is affected by ClawJacked" in finding.title
    assert "fixed in 2026.2.25" in finding.evidence.summary and "No CVE." in finding.evidence.summary
    assert finding.evidence.exchanges[0].response == {"observed": "version 2026.2.24"}


@pytest.mark.parametrize("version, expected", [
    ("2026.3.12", "passed"),          # every fix in
    ("2026.2.25-beta.1", "finding"),  # a beta of the fix is before the fix
    ("2026.2.24-3", "finding"),       # a correction release of an affected one is affected
    ("2026.6.33", "passed"),          # the extended-stable build with the backport
    ("2026.6.11", "finding"),         # an older build of that line
    ("2026.7.0", "finding"),          # the new line before its fix
    ("2026.7.1", "passed"),
])
async def test_versions_across_betas_corrections_and_extended_stable(fingerprint, version, expected):
    result, _ = await judge(fingerprint, version)
    assert result.result.value == expected, result.reason


async def test_a_band_inside_a_range_is_a_finding_that_says_it_rests_on_the_band(fingerprint):
    result, (finding,) = await judge(fingerprint, band=">=2026.1.5 <2026.1.27")
    assert result.result.value == "finding"
    assert "rests on the band" in finding.evidence.summary and "not observable" in finding.evidence.summary
    assert "version band >=2026.1.5 <2026.1.27" in finding.title


async def test_a_band_straddling_a_fix_is_inconclusive_never_a_guess(fingerprint):
    result, findings = await judge(fingerprint, band=">=2026.3.1 <2026.4.1")
    assert findings == [] and result.result.value == "inconclusive"
    assert "straddles the fix of GHSA-rqpp-rjj8-7wv8" in result.reason


async def test_a_band_past_every_fix_passes(fingerprint):
    result, _ = await judge(fingerprint, band=">=2026.8.1")
    assert result.result.value == "passed", result.reason


async def test_no_version_and_no_band_is_not_applicable(fingerprint):
    result, _ = await judge(fingerprint)
    assert result.result.value == "not_applicable"
    assert "not observable" in result.reason


@pytest.mark.parametrize("version", ["latest", "2026.13.40", "v2", "1.2.3"])
async def test_a_version_no_scheme_knows_is_inconclusive(fingerprint, version):
    result, findings = await judge(fingerprint, version)
    assert findings == [] and result.result.value == "inconclusive"
    assert "cannot be compared" in result.reason and "calver" in result.reason


async def test_no_advisories_is_not_applicable(tmp_path):
    doc = {"id": "demo-none", "name": "Demo", "category": "demo", "impact": "data", "ports": [1],
           "probes": [{"id": "root", "kind": "http", "path": "/"}],
           "matchers": [{"probe": "root", "confidence": 0.9, "body_contains": "demo"}],
           "checks": {"version.vulnerable": None}}
    (tmp_path / "demo-none.yaml").write_text(yaml.safe_dump(doc))
    fp = load_file(tmp_path / "demo-none.yaml")
    service = Service(host="127.0.0.1", port=1, product="demo-none", version="1.0.0")
    async with Client() as client:
        assert await run_checks(service, fp, client) == []
    assert service.checks[0].result.value == "not_applicable"
