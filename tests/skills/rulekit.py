"""Helpers for the rule tests: run one sample (a text, or a skill folder's files) through the rules."""

from __future__ import annotations

import re
from pathlib import Path

from gatescan.skills.manifest import read_manifest
from gatescan.skills.rules import RuleSet, sample_bytes


def write_skill(base: Path, files: dict[str, str | bytes]) -> Path:
    """A skill folder named after its SKILL.md `name:` (else `sample`) holding `files`."""
    md = files.get("SKILL.md") or files.get("skill.md") or ""
    md = md.decode("utf-8", "replace") if isinstance(md, bytes) else md
    m = re.search(r"^name:\s*(\S+)", md, re.M)
    skill = base / (m.group(1) if m else "sample")
    for rel, content in files.items():
        p = skill.joinpath(*rel.split("/"))
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogatepass")
        p.write_bytes(content)
    return skill


def sample_ids(rules: RuleSet, sample, tmp: Path) -> list[str]:
    """The rule ids that fire on one sample."""
    if isinstance(sample, str):
        return [h.rule_id for h in rules.scan_text(sample, source="SKILL.md")]
    skill = write_skill(tmp, {k: sample_bytes(v) for k, v in sample.items()})
    manifest = read_manifest(skill / "SKILL.md") if (skill / "SKILL.md").is_file() else None
    return [h.hit.rule_id for h in rules.scan_skill(skill, name=skill.name, manifest=manifest).hits]
