"""The ClawHub fingerprint, OpenClaw's fileTreeSha256 and the SKILL.md hash, against values
the tools' own code computed under Node (tests/skills/make_reference.mjs)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from gatescan.skills import hashes
from gatescan.skills.collation import locale_compare_key
from tests.skills.conftest import HERE, write_tree


def test_name_order_matches_localecompare(reference):
    names = reference["names"]
    assert sorted(names, key=locale_compare_key) == names
    # the case the reference notes: Node puts scripts/run.sh before SKILL.md, code points do not
    assert sorted(["SKILL.md", "scripts/run.sh"], key=locale_compare_key) == ["scripts/run.sh", "SKILL.md"]


@pytest.mark.parametrize("tree", ["mixed-names", "gitignored", "lowercase-skill-file", "crlf-and-bom"])
def test_sample_tree_hashes_match_reference(tmp_path, sample_trees, reference, tree):
    root = write_tree(tmp_path / tree, sample_trees[tree])
    got = hashes.compute(root)
    want = reference["trees"][tree]
    assert sorted(got.files, key=locale_compare_key) == want["clawhub_files"]
    assert got.fingerprint == want["clawhub_fingerprint"]
    assert got.file_tree_sha256 == want["file_tree_sha256"]
    assert got.skill_file == want["skill_file"]


def test_source_fingerprint_leaves_out_generated_files(tmp_path, sample_trees):
    root = write_tree(tmp_path / "m", sample_trees["mixed-names"])
    got = hashes.compute(root)
    source = {p: h for p, h in got.files.items() if p not in ("_meta.json", "skill-card.md")}
    assert got.source_fingerprint == hashes.clawhub_fingerprint(source) != got.fingerprint


def test_file_tree_refuses_symlinks_and_hard_links(tmp_path):
    root = write_tree(tmp_path / "s", {"SKILL.md": "x", "a.txt": "a"})
    os.symlink("a.txt", root / "link")
    got = hashes.compute(root)
    assert got.file_tree_sha256 is None and "symlink" in got.file_tree_problem
    assert "link" not in got.files  # the clawhub walk skips non-regular files
    (root / "link").unlink()
    os.link(root / "a.txt", root / "b.txt")
    got = hashes.compute(root)
    assert got.file_tree_sha256 is None and "hard-linked" in got.file_tree_problem


def test_hash_limits_are_enforced(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "big", {f"f{i}.txt": "x" for i in range(30)} | {"SKILL.md": "x"})
    with pytest.raises(hashes.HashLimitError):
        hashes.walk_tree(root, max_files=10)
    with pytest.raises(hashes.HashLimitError):
        hashes.walk_tree(root, budget=[10])


def _node_reference(node: str, dirs: list[Path], openclaw: Path) -> dict:
    out = subprocess.run(
        [node, str(HERE / "make_reference.mjs"), str(openclaw), "--dirs", *map(str, dirs)],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(out.stdout)


def test_bundled_skills_hash_like_the_tools(node, openclaw_package):
    """Every bundled skill of the installed openclaw package, hashed by OpenClaw's own
    digestClawHubSkillTree and the clawhub algorithm under Node, and by gatescan."""
    dirs = sorted(p.parent for p in openclaw_package.glob("*skills/*/SKILL.md"))
    assert len(dirs) >= 40
    ref = _node_reference(node, dirs, openclaw_package)
    for d in dirs:
        got = hashes.compute(d)
        want = ref[str(d)]
        assert got.fingerprint == want["clawhub_fingerprint"], d
        assert got.file_tree_sha256 == want["file_tree_sha256"], d
        assert got.skill_file == want["skill_file"], d


# Names one folder holds whose UTF-16 order (JavaScript's, OpenClaw's sort) differs from code-point
# order: U+1F642 is the surrogate pair D83D DE42, below U+FF5E as UTF-16 units, above it as a code
# point. Files, and folders of the same names one level down.
UTF16_TREE = {"SKILL.md": "x", "a\U0001F642.txt": "astral", "a\uFF5E.txt": "fullwidth tilde",
              "d\U0001F642/x.txt": "1", "d\uFF5E/x.txt": "2", "d\uE000/x.txt": "3"}
# digestClawHubSkillTree of UTF16_TREE, computed under Node by make_reference.mjs --dirs (openclaw 2026.9.6)
UTF16_TREE_SHA256 = "sha256:09d871dae8e67db8a2a396692bee7ffee40129d694962ee4d75bd8eaab24e709"


def test_file_tree_orders_names_by_utf16_units(tmp_path):
    assert sorted(["a\uFF5E", "a\U0001F642"]) != sorted(["a\uFF5E", "a\U0001F642"], key=hashes._utf16_key)
    root = write_tree(tmp_path / "utf16", UTF16_TREE)
    assert hashes.compute(root).file_tree_sha256 == UTF16_TREE_SHA256


def test_file_tree_utf16_order_matches_openclaw_live(tmp_path, node, openclaw_package):
    root = write_tree(tmp_path / "utf16", UTF16_TREE)
    want = _node_reference(node, [root], openclaw_package)[str(root)]
    assert want["file_tree_sha256"] == UTF16_TREE_SHA256
    assert hashes.compute(root).file_tree_sha256 == want["file_tree_sha256"]


def test_random_names_sort_like_node(node):
    """Differential: random names over an awkward alphabet, ordered by Node's localeCompare."""
    import random

    rng = random.Random(7)
    alphabet = list("aAbBeEsSzZ09_-./ ~$()éèÉßæøłđ日ω–…Жж") + ["\u0301", "🙂"]
    words = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(3000)})
    script = 'const w=JSON.parse(require("fs").readFileSync(0,"utf8"));' \
             'process.stdout.write(JSON.stringify(w.sort((a,b)=>a.localeCompare(b))))'
    out = subprocess.run([node, "-e", script], input=json.dumps(words), capture_output=True,
                         text=True, timeout=60, check=True)
    assert sorted(words, key=locale_compare_key) == json.loads(out.stdout)


def test_hostile_gitignore_is_matched_in_bounded_time(tmp_path, monkeypatch):
    # "*a*a...*b" made the regex translation backtrack for minutes on one 40-character name,
    # so a skill could stall the audit forever; the automaton is linear per character.
    skill = tmp_path / "redos"
    skill.mkdir()
    (skill / "SKILL.md").write_text("---\nname: redos\ndescription: d\n---\n")
    (skill / ".gitignore").write_text("*a" * 20 + "*b\n" + "**/a" * 20 + "/**/b\n")
    (skill / ("a" * 40)).write_text("")
    (skill / "b").write_text("")
    got = hashes.compute(skill)
    assert sorted(got.files) == ["SKILL.md", "a" * 40, "b"]  # neither name has the twenty a's
    monkeypatch.setattr(hashes, "IGNORE_BUDGET", 50)  # past the budget: not fingerprinted, not stuck
    with pytest.raises(hashes.HashLimitError, match="ignore rules"):
        hashes.compute(skill)


@pytest.mark.parametrize("rule, path, ignored", [
    ("*.log", "a/b/x.log", True), ("/root.txt", "src/root.txt", False), ("docs/**/d.md", "docs/d.md", True),
    ("docs/**/d.md", "docs/a/b/d.md", True), ("a/**", "a/b/c", True), ("x?z", "x/z", False),
    ("[!a]b", "cb", True), ("[!a]b", "ab", False), ("build/", "build/out.js", True), ("a**b", "a/x/b", True),
])
def test_ignore_rules(rule, path, ignored):
    assert hashes.IgnoreRules([rule]).ignores(path) is ignored


@pytest.mark.parametrize("line, path, ignored", [
    ("x.txt   ", "x.txt", True),         # trailing spaces are not part of the pattern
    ("x.txt\\ ", "x.txt ", True),        # ... unless escaped
    ("x.txt\\ ", "x.txt", False),
    (" " * 60_000 + "x", " " * 60_000 + "x", True),  # was quadratic in re.sub (~8 s for this line)
])
def test_ignore_rule_trailing_whitespace(line, path, ignored):
    assert hashes.IgnoreRules([line]).ignores(path) is ignored


def test_a_folder_past_the_file_limit_is_not_listed_whole(tmp_path, monkeypatch):
    # walk_tree sorted every entry of a directory before checking MAX_FILES: a skill folder
    # with millions of empty files cost memory in proportion (130 MB per 300,000).
    listed = []
    real_scandir = os.scandir

    class Counting:
        def __init__(self, path):
            self.it = real_scandir(path)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.it.close()

        def __iter__(self):
            for entry in self.it:
                listed.append(entry.name)
                yield entry

    skill = tmp_path / "many"
    skill.mkdir()
    for i in range(300):
        (skill / f"f{i}").write_text("")
    monkeypatch.setattr(hashes.os, "scandir", Counting)
    with pytest.raises(hashes.HashLimitError):
        hashes.walk_tree(skill, max_files=10)
    assert len(listed) <= 10 + 3
