"""The check catalogue: one entry per DESIGN.md check id, read by the registry, the skills audit
and SARIF; it sits at the bottom (imports nothing of the engine)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gatescan import catalog
from gatescan.model import Severity

DESIGN_IDS = {
    "network": ["auth.missing", "ws.origin.unchecked", "http.cors.permissive", "http.host.unchecked",
                "auth.ratelimit.missing", "version.vulnerable", "exposure.network", "tls.missing",
                "mcp.tool.poisoned", "mcp.tools.changed"],
    "config": ["config.auth.none", "config.origins.wildcard", "config.origins.host-fallback",
               "config.tailscale.funnel", "config.tailscale.serve", "config.proxies.wide",
               "config.secrets.readable", "ide.auth.missing",
               # added by `gatescan local` in the same style, each listed in the README
               *(LOCAL_IDS := ["config.mdns.full", "config.hooks.token-reuse", "config.hooks.remote-code", "config.hooks.suspicious",
                             "config.env.injection", "config.env.base-url", "config.mcp.auto-approve",
                             "config.permissions.bypass", "mcp.launcher.unpinned", "mcp.package.known-bad"])],
    "skill": ["skill.unlisted", "skill.modified", "skill.known-malicious", "skill.manifest.invalid",
              "skill.manifest.conflict", "skill.shadowed", "skill.symlink.escape"],
}


def test_one_entry_per_design_id_and_nothing_else():
    assert set(catalog.CATALOGUE) == {i for ids in DESIGN_IDS.values() for i in ids}
    for family, ids in DESIGN_IDS.items():
        for check_id in ids:
            entry = catalog.get(check_id)
            assert entry.id == check_id and entry.family == family
            assert entry.title and entry.description.endswith(".") and entry.remediation
            # network severities follow the product's impact class; the others are fixed
            assert (entry.severity is None) == (family == "network"), check_id


def test_local_mode_ids_are_listed_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for check_id in LOCAL_IDS:
        assert f"`{check_id}`" in readme, check_id


def test_skill_rule_ids_follow_the_template():
    entry = catalog.get("skill.rule.reverse-shell")
    assert entry.id == "skill.rule.reverse-shell" and entry.family == "skill"
    assert "reverse-shell" in entry.description
    assert catalog.describe("skill.rule.reverse-shell", "nc -e /bin/sh") == \
        "A skill matches the static rule reverse-shell: nc -e /bin/sh"
    with pytest.raises(KeyError):
        catalog.get("skill.rule.")
    with pytest.raises(KeyError):
        catalog.get("no.such.check")
    assert catalog.describe("no.such.check", "its title") == "its title"


def test_registered_checks_are_catalogue_entries():
    from gatescan.checks import REGISTRY, register

    assert set(REGISTRY) == {"auth.missing", "ws.origin.unchecked", "http.host.unchecked", "http.cors.permissive",
                             "mcp.tool.poisoned", "mcp.tools.changed",
                             "version.vulnerable", "exposure.network", "tls.missing", "auth.ratelimit.missing"}
    for check_id, check in REGISTRY.items():
        assert check.entry is catalog.CATALOGUE[check_id]
    with pytest.raises(KeyError):
        register("no.such.check")
    with pytest.raises(ValueError, match="skill check"):
        register("skill.unlisted")


@pytest.mark.parametrize("check, impact, kw, sev", [
    ("auth.missing", "control", {}, Severity.CRITICAL),
    ("auth.missing", "inference", {}, Severity.MEDIUM),
    ("auth.missing", None, {}, Severity.HIGH),  # no fingerprint: data
    ("ws.origin.unchecked", "control", {"auth_enforced": True}, Severity.HIGH),
    ("http.cors.permissive", "inference", {"auth_enforced": True}, Severity.LOW),
    ("http.host.unchecked", "control", {"auth_enforced": True}, Severity.CRITICAL),
    ("auth.missing", "data", {"tools": ["run_shell_command"]}, Severity.CRITICAL),
    ("auth.missing", "data", {"tools": ["get_weather"]}, Severity.HIGH),
    ("auth.missing", "inference", {"tools": ["run_shell_command"]}, Severity.MEDIUM),
    ("skill.modified", "control", {}, Severity.HIGH),  # fixed: no impact class
])
def test_severity_policy(check, impact, kw, sev):
    assert catalog.severity(check, impact, **kw) is sev


def test_skill_cases_keep_their_own_wording():
    shadowed = catalog.get("skill.shadowed")
    assert shadowed.wording().severity is Severity.LOW
    assert shadowed.wording("hijack").severity is Severity.MEDIUM
    assert shadowed.wording("hijack").remediation.endswith("which here is not the approved one.")
    assert catalog.get("skill.modified").wording("approved_copy").title.startswith("Skill differs")


def test_catalogue_imports_nothing_of_the_engine():
    code = ("import sys, gatescan.catalog; "
            "print(sorted(m for m in sys.modules if m.startswith(('gatescan.', 'pydantic'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(out) == ["gatescan.catalog", "gatescan.model", "gatescan.typed"]  # pydantic: on first decode


def test_readme_and_docs_list_every_catalogued_id():
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text()
    for check_id in catalog.CATALOGUE:
        assert f"`{check_id}`" in readme, check_id
    assert "`skill.rule.<rule-id>`" in readme
    checks_md = (repo / "docs" / "checks.md").read_text()
    for check_id, entry in catalog.CATALOGUE.items():
        if entry.params is not None:  # what each built network check sends
            assert f"| `{check_id}` |" in checks_md, check_id


def test_a_fact_of_the_outcome_lowers_a_cors_finding_a_step():
    """http.cors.permissive without Allow-Credentials: a page reads only what needs no cookie."""
    assert catalog.severity("http.cors.permissive", "control").value == "critical"
    assert catalog.severity("http.cors.permissive", "control", facts={"uncredentialed": False}).value == "critical"
    assert catalog.severity("http.cors.permissive", "control", facts={"uncredentialed": True}).value == "high"
    assert catalog.severity("http.cors.permissive", "control", facts={"uncredentialed": True},
                            auth_enforced=True).value == "medium"
    assert catalog.severity("auth.missing", "control", facts={"uncredentialed": True}).value == "critical"
