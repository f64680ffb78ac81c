"""The rules on the labeled sample set (tests/data/skills) and on the real openclaw package's skills."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from gatescan.model import Severity
from gatescan.skills import audit_skills
from gatescan.skills.rules import StaticRules

DATA = Path(__file__).resolve().parents[1] / "data" / "skills"
LABELS = yaml.safe_load((DATA / "labels.yaml").read_text(encoding="utf-8"))


def _audit(root: Path, tmp_path: Path):
    return audit_skills([root], home=tmp_path, cwd=tmp_path, rules=[StaticRules()])


def _rule_findings(audit):
    return [f for f in audit.findings if f.check.startswith("skill.rule.")]


def test_benign_skills_stay_at_or_below_low(tmp_path):
    audit = _audit(DATA / "benign", tmp_path)
    assert len(audit.skills) >= 12
    loud = [(f.check, f.path, f.line, f.evidence.summary) for f in _rule_findings(audit)
            if f.severity.rank > Severity.LOW.rank]
    assert loud == []
    assert all(s.status != "malicious" for s in audit.skills)


def test_each_malicious_sample_is_caught_by_its_rule(tmp_path):
    audit = _audit(DATA / "malicious", tmp_path)
    folders = {Path(s.path).name for s in audit.skills}
    assert folders == set(LABELS["malicious"])
    fired: dict[str, set[str]] = {}
    for f in _rule_findings(audit):
        folder = Path(f.path).relative_to(DATA / "malicious").parts[0]
        fired.setdefault(folder, set()).add(f.check.removeprefix("skill.rule."))
    missed = {k: sorted(set(v) - fired.get(k, set())) for k, v in LABELS["malicious"].items()
              if set(v) - fired.get(k, set())}
    assert missed == {}


def test_findings_name_file_line_and_signals(tmp_path):
    audit = _audit(DATA / "malicious", tmp_path)
    for f in _rule_findings(audit):
        assert f.path and Path(f.path).is_file() and f.line and f.line >= 1, f
        assert f.extra["signals"], f
        assert f.skill and f.title.endswith(f.skill) and f.remediation and f.references
    (f,) = [f for f in _rule_findings(audit) if f.check == "skill.rule.install-prompt"
            and "clawhavoc-base64" in f.path]
    assert f.severity == Severity.CRITICAL and f.line == 15
    assert {"terminal-cue", "b64-shell"} <= set(f.extra["signals"])
    assert "b64-shell at line 15" in f.evidence.summary and "Signals: terminal-cue at line" in f.evidence.summary


def test_a_critical_rule_makes_the_skill_malicious(tmp_path):
    audit = _audit(DATA / "malicious" / "clawhavoc-base64" / "..", tmp_path)
    status = {Path(s.path).name: s.status for s in audit.skills}
    assert status["clawhavoc-base64"] == "malicious" and status["typosquat-clawhubb"] == "unlisted"


def test_every_bundled_openclaw_skill_stays_at_or_below_low(openclaw_package, tmp_path):
    roots = [r for r in (openclaw_package / "skills", openclaw_package / "custodian-skills") if r.is_dir()]
    audit = audit_skills(roots, home=tmp_path, cwd=tmp_path, rules=[StaticRules()])
    assert len(audit.skills) >= 50
    loud = [(f.check, f.path, f.line) for f in audit.findings if f.severity.rank > Severity.LOW.rank]
    assert loud == []
    assert audit.errors == []


def test_rule_findings_reach_every_output_format(tmp_path, validate_report):
    from tests.cli.conftest import run_gatescan

    out = run_gatescan("skills", str(DATA / "malicious"), "--json", str(tmp_path / "r.json"),
                       "--jsonl", str(tmp_path / "r.jsonl"), "--sarif", str(tmp_path / "r.sarif"),
                       "--html", str(tmp_path / "r.html"), "--style", "plain")
    assert out.returncode == 1, out.stdout + out.stderr  # critical findings, --fail-on high
    doc = json.loads((tmp_path / "r.json").read_text())
    validate_report(doc)
    checks = {f["check"] for f in doc["findings"]}
    assert "skill.rule.install-prompt" in checks and "skill.rule.reverse-shell" in checks
    jsonl = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert any(e.get("type") == "finding" and e.get("check") == "skill.rule.install-prompt" for e in jsonl)
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "skill.rule.reverse-shell" for r in results)
    assert "skill.rule.install-prompt" in (tmp_path / "r.html").read_text()
    assert "skill.rule.install-prompt" in out.stdout
