"""SARIF, exactly: the whole document for the synthetic report is pinned, so a dashboard's view of
a finding (rule names, levels, security-severity buckets, URIs, fingerprints, suppressions) cannot
drift unseen. An intended change regenerates the pinned file:
`GATESCAN_WRITE_PINNED=1 pytest tests/report/test_sarif_exact.py`, then review the diff.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os

import pytest

from gatescan.model import Finding, FindingEvidence, Report, SuppressedFinding
from gatescan.report.sarif import _file_uri, _rule_name, _short, finding_fingerprint, sarif_document
from tests.report.conftest import DATA
from tests.report.synth import full_report

PINNED = DATA / "full_report.sarif.json"


def _report():
    """The synthetic report plus the cases the plain one lacks: two findings sharing one key
    (ordinals), a relative path with a space, a URL path, and a finding with no host at all."""
    report = full_report()
    twin = Finding(check="skill.manifest.invalid", severity="low", title="name is missing",
                   target="skills/my notes/SKILL.md", path="skills/my notes/SKILL.md", line=1, skill="my notes")
    report.findings += [
        twin,
        dataclasses.replace(twin, title="version is not a string"),
        Finding(check="skill.known-malicious", severity="high", title="Published as malware",
                target="https://clawhub.ai/skills/evil", path="https://clawhub.ai/skills/evil", skill="evil"),
        Finding(check="mcp.tools.changed", severity="medium", title="Tools changed since the baseline",
                target="", evidence=FindingEvidence(summary="")),
        # a host but no target, no port, no product: the location is built from what there is
        Finding(check="exposure.network", severity="low", title="Answers beyond loopback", target="",
                host="10.99.0.3", port=8080),
        Finding(check="exposure.network", severity="low", title="Host-level", target="", host="10.99.0.4"),
        Finding(check="exposure.network", severity="low", title="IPv6", target="", host="fd00::4", port=18789),
        # a check id this build does not know, titled exactly at the short-description limit
        Finding(check="future.check", severity="info", title="x" * 119, target="", host="10.99.0.5", port=1),
        Finding(check="future.other", severity="info", title="y" * 120, target="", host="10.99.0.5", port=2),
    ]
    report.suppressed.append(SuppressedFinding(
        finding=Finding(check="auth.missing", severity="high", title="Accepted risk", target="http://10.99.0.9/",
                        host="10.99.0.9", port=80),
        reason="lab box, never expires"))
    return report


def test_document_matches_the_pinned_file():
    doc = sarif_document(_report())
    if os.environ.get("GATESCAN_WRITE_PINNED"):
        PINNED.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    assert doc == json.loads(PINNED.read_text())


@pytest.mark.parametrize("text, short", [
    ("A short one.", "A short one."),
    ("x" * 119, "x" * 119),
    ("An agent answers on a wide address. " + "More words. " * 12, "An agent answers on a wide address"),
    ("An agent answers on a wide address, " + "so more words " * 12, "An agent answers on a wide address"),
    ("y" * 200, "y" * 115 + " ..."),
])
def test_short_description_is_a_title_not_the_id(text, short):
    """A long catalogue description gives its first sentence or clause (dashboards show it as
    the rule's title), never the bare check id."""
    assert _short(text) == short


@pytest.mark.parametrize("tool, name", [({"name": "gatescan-fork", "version": "9"}, "gatescan-fork"),
                                        ({"version": "9"}, "gatescan")])
def test_driver_name_is_the_reports_tool(tool, name):
    """A merged or older report keeps the tool that wrote it; one without a name is ours."""
    doc = sarif_document(Report(scan_id="s", tool=tool))
    assert doc["runs"][0]["tool"]["driver"]["name"] == name


def test_first_occurrence_hashes_as_the_bare_key():
    """Fingerprints of v1 reports: the first finding of a key hashes its key alone, later ones add
    their ordinal; dashboards keyed on older SARIF keep matching."""
    f = full_report().findings[0]
    bare = hashlib.sha256(json.dumps(list(f.key()), separators=(",", ":")).encode()).hexdigest()
    assert finding_fingerprint(f) == finding_fingerprint(f, 0) == bare
    second = hashlib.sha256(json.dumps(list(f.key()) + [1], separators=(",", ":")).encode()).hexdigest()
    assert finding_fingerprint(f, 1) == second != bare


@pytest.mark.parametrize("path, uri", [
    ("/home/u/my skills/a.md", "file:///home/u/my%20skills/a.md"),
    ("skills/my notes/SKILL.md", "skills/my%20notes/SKILL.md"),
    ("file:///already/a%20uri", "file:///already/a%20uri"),
    ("http://host/x y", "http://host/x y"),
    ("https://host/x y", "https://host/x y"),
])
def test_file_uri(path, uri):
    assert _file_uri(path) == uri


def test_a_location_without_a_target_is_a_valid_tcp_uri():
    """Found by mutation testing: a host without a port gave `tcp://h:None`, an IPv6 host an
    unbracketed `tcp://fd00::4:18789`."""
    uris = {r["message"]["text"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif_document(_report())["runs"][0]["results"]}
    assert uris["Host-level"] == "tcp://10.99.0.4"
    assert uris["IPv6"] == "tcp://[fd00::4]:18789"
    assert uris["Answers beyond loopback"] == "tcp://10.99.0.3:8080"


@pytest.mark.parametrize("check, name", [
    ("auth.missing", "AuthMissing"),
    ("skill.rule.reverse-shell", "SkillRuleReverseShell"),
    ("config.tailscale_funnel", "ConfigTailscaleFunnel"),
    ("ws.origin.unchecked", "WsOriginUnchecked"),
])
def test_rule_name(check, name):
    assert _rule_name(check) == name
