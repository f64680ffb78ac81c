"""SARIF 2.1.0: valid against the vendored OASIS schema, one rule per check, levels,
security-severity, locations and fingerprints stable across runs."""

from __future__ import annotations

import json

import jsonschema
import pytest

from gatescan.report.sarif import FINGERPRINT_KEY, render_sarif
from tests.report.conftest import DATA
from tests.report.synth import full_report


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _doc(report):
    return json.loads(render_sarif(report))


def test_valid_against_sarif_schema(report, sarif_validator):
    errors = list(sarif_validator.iter_errors(_doc(report)))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_rules_results_levels(report):
    run = _doc(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert set(ids) == {f.check for f in report.findings} | {s.finding.check for s in report.suppressed}
    for r in rules:
        assert r["help"]["text"] and r["properties"]["security-severity"]
    by_rule = {r["id"]: r for r in rules}
    assert by_rule["auth.missing"]["properties"]["security-severity"] == "9.5"  # worst of critical and high
    assert "Turn" in by_rule["auth.missing"]["help"]["text"] or "token" in by_rule["auth.missing"]["help"]["text"]
    results = run["results"]
    assert len(results) == len(report.findings) + len(report.suppressed)
    levels = {(r["ruleId"], r["properties"]["severity"]): r["level"] for r in results}
    assert levels[("auth.missing", "critical")] == "error"
    assert levels[("version.vulnerable", "medium")] == "warning"
    assert levels[("skill.unlisted", "info")] == "note"
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


def test_locations(report):
    results = _doc(report)["runs"][0]["results"]
    net = next(r for r in results if r["ruleId"] == "ws.origin.unchecked")
    assert net["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "ws://127.0.0.1:18789/"
    skill = next(r for r in results if r["ruleId"] == "skill.rule.reverse-shell")
    phys = skill["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "file:///home/u/.openclaw/skills/evil/SKILL.md"
    assert phys["region"]["startLine"] == 40


def test_suppressed_are_marked(report):
    results = _doc(report)["runs"][0]["results"]
    sup = [r for r in results if r.get("suppressions")]
    assert len(sup) == 1
    assert sup[0]["suppressions"][0]["kind"] == "external"
    assert "lab box" in sup[0]["suppressions"][0]["justification"]


def test_fingerprints_stable_and_distinct():
    a = _doc(full_report())["runs"][0]["results"]
    other = full_report()
    other.scan_id = "another-run"
    other.findings.reverse()
    other.findings[0].title = "reworded title"
    b = _doc(other)["runs"][0]["results"]
    fa = {r["ruleId"] + str(r["properties"].get("host")) + str(r["properties"].get("skill")): r["partialFingerprints"][FINGERPRINT_KEY] for r in a}
    fb = {r["ruleId"] + str(r["properties"].get("host")) + str(r["properties"].get("skill")): r["partialFingerprints"][FINGERPRINT_KEY] for r in b}
    assert fa == fb
    assert len(set(fa.values())) == len(fa)


def test_incomplete_run_and_errors(report, sarif_validator):
    report.complete = False
    doc = _doc(report)
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert len(inv["toolExecutionNotifications"]) == len(report.errors)
    sarif_validator.validate(doc)


def test_empty_report_valid(sarif_validator):
    from gatescan.model import Report

    sarif_validator.validate(_doc(Report()))


def test_findings_sharing_a_key_get_distinct_stable_fingerprints():
    # Two problems in one SKILL.md share the finding key; they had one partialFingerprint,
    # so code scanning merged them into one alert and the second was lost.
    from gatescan.model import Finding, Report
    from gatescan.report.sarif import finding_fingerprint

    def issue(line, summary):
        f = Finding(check="skill.manifest.invalid", severity="low", title="Skill manifest cannot be read",
                    target="/s/a/SKILL.md", path="/s/a/SKILL.md", line=line, skill="a")
        f.evidence.summary = summary
        return f

    def prints(findings):
        results = _doc(Report(findings=findings))["runs"][0]["results"]
        return {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r["partialFingerprints"][FINGERPRINT_KEY]
                for r in results}

    a, b = issue(2, "no description"), issue(4, "invalid YAML")
    got = prints([a, b])
    assert len(set(got.values())) == 2
    assert got[2] == finding_fingerprint(a)  # the first keeps the plain key's hash
    assert prints([issue(4, "invalid YAML"), issue(2, "no description")]) == got


def test_skill_rule_texts_say_what_the_audit_checks():
    # skill.modified is mostly proven against install-time hashes (no allowlist needed), and
    # skill.shadowed is raised on the hidden copy; the rule texts said otherwise
    from gatescan.catalog import describe

    assert "install" in describe("skill.modified")
    assert "never runs" in describe("skill.shadowed")


# GitHub code scanning reads security-severity into buckets: >= 9.0 critical, 7.0-8.9 high,
# 4.0-6.9 medium, 0.1-3.9 low; `level` decides error / warning / note.
BUCKETS = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9), "info": (0.0, 0.0)}
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


@pytest.mark.parametrize("severity", list(BUCKETS))
def test_every_severity_lands_in_its_bucket_and_level(severity, sarif_validator):
    """A finding alone under its rule: the result and the rule both carry its severity's level and
    a security-severity inside its GitHub bucket, for every severity (high and low included)."""
    from dataclasses import replace

    from gatescan.model import Report
    from tests.report.synth import _origin_finding

    report = Report(findings=[replace(_origin_finding("127.0.0.1", 18789), severity=severity)])
    report.finish()
    doc = _doc(report)
    assert not list(sarif_validator.iter_errors(doc))
    run = doc["runs"][0]
    (rule,), (result,) = run["tool"]["driver"]["rules"], run["results"]
    low, high = BUCKETS[severity]
    for props in (rule["properties"], result["properties"]):
        assert low <= float(props["security-severity"]) <= high, (severity, props)
    assert result["level"] == rule["defaultConfiguration"]["level"] == LEVELS[severity]
    assert result["properties"]["severity"] == severity


# One check per severity, so each rule's security-severity is that one severity's.
SEVERITY_CHECKS = {"critical": "auth.missing", "high": "ws.origin.unchecked", "medium": "version.vulnerable",
                   "low": "exposure.network", "info": "skill.unlisted"}


def test_sarif_rendered_from_a_saved_report(tmp_path, sarif_validator):
    """`gatescan report render REPORT.json --format sarif`: the saved report's round trip through
    JSON still yields a schema-valid SARIF whose every result and rule carry their severity's
    level and security-severity (a severity lost or remapped on load would show here)."""
    from dataclasses import replace

    from typer.testing import CliRunner

    from gatescan.cli import app
    from gatescan.model import Report
    from gatescan.report import write_report
    from tests.report.synth import _origin_finding

    base = _origin_finding("127.0.0.1", 18789)
    report = Report(scan_id="saved-severities",
                    findings=[replace(base, check=check, severity=sev) for sev, check in SEVERITY_CHECKS.items()])
    report.finish()
    saved, out = tmp_path / "report.json", tmp_path / "report.sarif"
    write_report(report, "json", str(saved))
    result = CliRunner().invoke(app, ["report", "render", str(saved), "--format", "sarif", "--output", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    errors = list(sarif_validator.iter_errors(doc))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == set(SEVERITY_CHECKS.values())
    results = {r["ruleId"]: r for r in run["results"]}
    assert len(run["results"]) == len(results) == len(SEVERITY_CHECKS)
    for sev, check in SEVERITY_CHECKS.items():
        rule, res = rules[check], results[check]
        low, high = BUCKETS[sev]
        assert res["properties"]["severity"] == sev, check
        assert res["level"] == rule["defaultConfiguration"]["level"] == LEVELS[sev], (sev, res["level"])
        assert low <= float(rule["properties"]["security-severity"]) <= high, (sev, rule["properties"])
        assert rule["properties"]["security-severity"] == res["properties"]["security-severity"]
        assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == check
