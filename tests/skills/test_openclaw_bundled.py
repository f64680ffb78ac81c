"""The real skills shipped in the pinned `openclaw` npm package (2026.9.6) parse cleanly."""

from __future__ import annotations

from gatescan.skills import audit_skills
from gatescan.skills.manifest import read_manifest


def test_every_bundled_skill_manifest_parses(openclaw_package):
    files = sorted(p for p in openclaw_package.rglob("*") if p.name in ("SKILL.md", "skill.md") and p.is_file())
    assert len(files) >= 50, f"only {len(files)} skill files under {openclaw_package}"
    problems = {}
    for f in files:
        m = read_manifest(f)
        if m.issues or m.conflict:
            problems[str(f)] = [i.message for i in m.issues] + ([m.conflict] if m.conflict else [])
        assert m.name, f
    assert problems == {}


def test_bundled_roots_audit_without_findings(openclaw_package, tmp_path, validate_report):
    roots = [openclaw_package / "skills", openclaw_package / "custodian-skills"]
    audit = audit_skills([r for r in roots if r.is_dir()], home=tmp_path, cwd=tmp_path)
    assert len(audit.skills) >= 50
    assert audit.findings == [] and audit.errors == []
    assert all(s.fingerprint and s.file_tree_sha256 for s in audit.skills)
    validate_report(audit.to_report().to_dict())
