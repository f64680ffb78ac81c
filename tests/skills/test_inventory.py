"""Default roots of every agent, discovery depth, precedence, symlinks and broken trees."""

from __future__ import annotations

import json
import os
from pathlib import Path

from gatescan.skills import audit_skills, default_roots
from gatescan.skills.inventory import FoundSkill, SkillRoot, SymlinkEscape, WalkError, discover
from tests.skills.conftest import skill_md, write_tree


def test_default_roots_cover_every_agent(tmp_path):
    home, cwd = tmp_path / "home", tmp_path / "proj"
    (home / ".openclaw").mkdir(parents=True)
    (home / ".openclaw" / "openclaw.json").write_text(json.dumps({
        "agents": {"defaults": {"workspace": "~/ws"}, "list": [{"id": "b", "workspace": "/srv/b"}]},
        "skills": {"load": {"extraDirs": ["~/extra-skills", "rel/skills"]}},
    }))
    plugin = home / ".claude/plugins/cache/market/tool/1.0.0/skills"
    plugin.mkdir(parents=True)
    roots = default_roots(home, cwd, env={})
    paths = {(r.agent, str(r.path)) for r in roots}
    for agent, p in [
        ("openclaw", home / "ws/skills"),
        ("openclaw", Path("/srv/b/skills")),
        ("openclaw", home / ".openclaw/workspace/skills"),
        ("openclaw", home / ".openclaw/workspace/.agents/skills"),
        ("openclaw", home / ".agents/skills"),
        ("openclaw", home / ".openclaw/skills"),
        ("openclaw", home / ".clawdbot/skills"),
        ("openclaw", home / "extra-skills"),
        ("openclaw", home / ".openclaw/rel/skills"),
        ("claude-code", home / ".claude/skills"),
        ("claude-code", cwd / ".claude/skills"),
        ("claude-code", plugin),
        ("codex", home / ".codex/skills"),
        ("cursor", home / ".cursor/skills"),
        ("gemini-cli", home / ".gemini/skills"),
        ("copilot", home / ".copilot/skills"),
        ("windsurf", home / ".codeium/windsurf/skills"),
        ("amp", home / ".config/agents/skills"),
    ]:
        assert (agent, str(p)) in paths, (agent, p)
    oc = [r for r in roots if r.agent == "openclaw"]
    order = [str(r.path) for r in oc]
    # OpenClaw precedence: workspace > workspace .agents > ~/.agents > managed > extra
    assert order.index(str(home / "ws/skills")) < order.index(str(home / ".agents/skills")) \
        < order.index(str(home / ".openclaw/skills")) < order.index(str(home / "extra-skills"))
    assert [r.precedence for r in oc] == sorted(r.precedence for r in oc)


def test_env_overrides_and_garbage_config(tmp_path):
    home = tmp_path / "home"
    state = tmp_path / "state"
    state.mkdir(parents=True)
    (state / "openclaw.json").write_bytes(b"\x00garbage{{{")
    roots = default_roots(home, tmp_path, env={"OPENCLAW_STATE_DIR": str(state), "CODEX_HOME": str(tmp_path / "cx")})
    paths = {str(r.path) for r in roots}
    assert str(state / "skills") in paths and str(tmp_path / "cx/skills") in paths


def test_discovery_depth_variants_and_skips(tmp_path):
    root = tmp_path / "skills"
    write_tree(root, {
        "a/SKILL.md": skill_md("a"),
        "group/personal/research/SKILL.md": skill_md("research"),
        "lower/skill.md": skill_md("lower"),
        "legacy/skills.md": skill_md("legacy"),
        "upper/SKILL.MD": skill_md("upper"),
        "1/2/3/4/5/6/SKILL.md": skill_md("deep6"),
        "1/2/3/4/5/6/7/SKILL.md": skill_md("deep7"),
        "a/nested/SKILL.md": skill_md("inside-a-skill"),
        "node_modules/x/SKILL.md": skill_md("nm"),
        ".hidden/SKILL.md": skill_md("hidden"),
        "notes/README.md": "not a skill",
    })
    found = [i for i in discover(SkillRoot(root)) if isinstance(i, FoundSkill)]
    names = sorted(f.dir.relative_to(root).as_posix() for f in found)
    assert names == ["1/2/3/4/5/6", "a", "group/personal/research", "legacy", "lower", "upper"]


def test_symlinks_escape_loops_and_inside_links(tmp_path):
    outside = write_tree(tmp_path / "outside", {"evil/SKILL.md": skill_md("evil"), "secret.txt": "s"})
    root = write_tree(tmp_path / "skills", {"good/SKILL.md": skill_md("good"), "real/inner/SKILL.md": skill_md("inner")})
    os.symlink(outside / "evil", root / "linked-out")          # a skill folder outside the root
    os.symlink(root, root / "loop")                             # a loop back to the root
    os.symlink(root / "real", root / "alias")                   # inside: followed once
    os.symlink(outside / "secret.txt", root / "good" / "creds")  # a file link out of a skill
    os.symlink(tmp_path / "gone", root / "dangling")            # dangling, pointing outside
    os.symlink("missing-inside", root / "dangling-inside")      # dangling, inside: nothing to say
    audit = audit_skills([root], home=tmp_path, cwd=tmp_path)
    names = sorted(s.name for s in audit.skills)
    assert names == ["good", "inner"]
    escapes = sorted(Path(f.path).name for f in audit.findings if f.check == "skill.symlink.escape")
    assert escapes == ["creds", "dangling", "linked-out"]
    for f in audit.findings:
        assert f.port is None and f.target == f.path


def test_containment_is_by_path_component_not_by_prefix(tmp_path):
    """`skills-evil` starts with `skills` but is not inside it; `weather-evil` is not inside
    `weather`: both links escape."""
    root = write_tree(tmp_path / "skills", {"weather/notes.txt": "n", "weather-evil/SKILL.md": skill_md("weather")})
    write_tree(tmp_path / "skills-evil", {"evil/SKILL.md": skill_md("evil")})
    os.symlink(tmp_path / "skills-evil" / "evil", root / "sneaky")  # a folder next to the root
    os.symlink(root / "weather-evil" / "SKILL.md", root / "weather" / "SKILL.md")  # next to its folder
    audit = audit_skills([root], home=tmp_path, cwd=tmp_path)
    escapes = sorted(Path(f.path).relative_to(root).as_posix() for f in audit.findings
                     if f.check == "skill.symlink.escape")
    assert escapes == ["sneaky", "weather/SKILL.md"]
    assert [Path(s.path).name for s in audit.skills] == ["weather-evil"]


def test_missing_and_broken_roots(tmp_path):
    missing = tmp_path / "nope"
    items = list(discover(SkillRoot(missing, explicit=True)))
    assert len(items) == 1 and isinstance(items[0], WalkError) and "does not exist" in items[0].message
    assert list(discover(SkillRoot(missing))) == []  # a default root that is absent is skipped
    afile = tmp_path / "file"
    afile.write_text("x")
    assert isinstance(next(discover(SkillRoot(afile, explicit=True))), WalkError)
    audit = audit_skills([missing], home=tmp_path, cwd=tmp_path)
    assert audit.skills == [] and audit.errors and audit.errors[0].where == str(missing)


def test_unreadable_skill_file_and_fifo(tmp_path):
    root = tmp_path / "skills"
    (root / "dir-skill" / "SKILL.md").mkdir(parents=True)  # SKILL.md that is a directory
    (root / "fifo-skill").mkdir()
    os.mkfifo(root / "fifo-skill" / "SKILL.md")             # would block a naive open()
    write_tree(root, {"ok/SKILL.md": skill_md("ok")})
    audit = audit_skills([root], home=tmp_path, cwd=tmp_path)
    assert sorted(s.name for s in audit.skills) == ["dir-skill", "fifo-skill", "ok"]
    invalid = {Path(f.path).parent.name for f in audit.findings if f.check == "skill.manifest.invalid"}
    assert invalid == {"dir-skill", "fifo-skill"}
    assert {Path(e.where).parent.name for e in audit.errors} >= {"dir-skill", "fifo-skill"}


def test_shadowed_by_precedence_and_duplicates(tmp_path):
    first = write_tree(tmp_path / "ws", {"weather/SKILL.md": skill_md("weather")})
    second = write_tree(tmp_path / "managed", {"weather/SKILL.md": skill_md("weather"),
                                                "w2/SKILL.md": skill_md("Weather")})
    audit = audit_skills([first, second], home=tmp_path, cwd=tmp_path)
    shadowed = [f for f in audit.findings if f.check == "skill.shadowed"]
    assert sorted(Path(f.path).parent.name for f in shadowed) == ["w2", "weather"]
    assert all(str(first / "weather") in f.evidence.summary for f in shadowed)
    assert all(f.severity.value == "low" for f in shadowed)


def test_skill_file_linked_out_of_its_folder(tmp_path):
    root = write_tree(tmp_path / "skills", {"shared/SKILL.md": skill_md("shared"), "borrower/notes.md": "n"})
    os.symlink(root / "shared" / "SKILL.md", root / "borrower" / "SKILL.md")
    audit = audit_skills([root], home=tmp_path, cwd=tmp_path)
    assert [s.name for s in audit.skills] == ["shared"]
    (f,) = [f for f in audit.findings if f.check == "skill.symlink.escape"]
    assert f.skill == "borrower" and "its skill folder" in f.title


def test_skill_folder_stuffed_past_the_entry_limit_is_still_found(tmp_path, monkeypatch):
    # Listing stops at MAX_ENTRIES_PER_DIR; SKILL.md beyond that cut was never seen, so a skill
    # could hide from the audit (no record, no finding, exit 0) by holding enough files.
    from gatescan.skills import inventory

    monkeypatch.setattr(inventory, "MAX_ENTRIES_PER_DIR", 2)
    evil = tmp_path / "root" / "evil"
    evil.mkdir(parents=True)
    (evil / "SKILL.md").write_text(skill_md("evil"))
    for i in range(500):
        (evil / f"junk{i:03}").write_text("")
    found = list(discover(SkillRoot(tmp_path / "root", explicit=True)))
    assert [f.dir.name for f in found if isinstance(f, FoundSkill)] == ["evil"]
    assert any(isinstance(f, WalkError) and "entries" in f.message for f in found)
