"""The .gitignore/.clawhubignore matcher against the `ignore` package the clawhub CLI uses, live
under Node: every glob feature (?, classes and their negation and escapes, an unclosed bracket,
backslash escapes, `**` in each position, negation, anchoring) on paths that tell them apart.
Mutation testing found these untested: a broken class or escape changed no sample tree's hash."""

from __future__ import annotations

import json
import subprocess

import pytest

from gatescan.skills import hashes

# (rules, path): each judged by both implementations; the answers must agree.
CASES = [
    (["?.md"], "a.md"), (["?.md"], "ab.md"), (["?.md"], "dir/a.md"), (["x?z"], "x/z"),
    (["[ab].txt"], "a.txt"), (["[ab].txt"], "b.txt"), (["[ab].txt"], "c.txt"),
    (["[!a].txt"], "b.txt"), (["[!a].txt"], "a.txt"), (["[a-c]x"], "bx"), (["[a-c]x"], "dx"),
    (["[abc"], "[abc"), (["[abc"], "a"), (["x[abc"], "x[abc"), (["x[abc"], "xa"),
    (["x][ab]"], "x]a"), (["x][ab]"], "x]c"), (["[ab]c[de]"], "acd"), (["[ab]c[de]"], "acf"),
    (["[]a]"], "a"), (["[]a]"], "]"), (["x[\\\\]"], "x\\"), (["x[\\\\]"], "xX"),
    (["\\#notes"], "#notes"), (["\\!keep"], "!keep"), (["a\\*b"], "a*b"), (["a\\*b"], "axb"),
    (["a\\"], "a\\"), (["a\\"], "a"),
    (["a**z"], "abz"), (["a**z"], "ab"), (["**/x.md"], "x.md"), (["**/x.md"], "y.md"),
    (["**/x.md"], "d/e/x.md"), (["a/**/b"], "a/b"), (["a/**/b"], "a/x/y/b"), (["a/**/b"], "ab"),
    (["docs/**"], "docs/a/b"), (["*.log", "!keep.log"], "keep.log"), (["*.log", "!keep.log"], "x.log"),
    (["/top.txt"], "top.txt"), (["/top.txt"], "d/top.txt"), (["build/"], "build/x.js"),
    (["build/"], "build"), (["*"], "anything/at/all"), (["a*"], "abc/def"), (["*c"], "ab/c"),
    (["[!]a]"], "b"), (["[!]a]"], "]"), (["[a-]"], "-"), (["a[!b"], "a[!b"), (["\\[x]"], "[x]"),
    (["\\[x]"], "x"), (["[]]"], "]"), (["x\\"], "x"), (["#c"], "#c"), (["!"], "a"),
]

NODE_JUDGE = """
const ignore = require(process.argv[1]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(cases.map(([rules, path]) => {
  try { return ignore().add(rules).ignores(path); } catch (e) { return "error: " + e.message; }
})));
"""


@pytest.fixture(scope="module")
def ignore_package(openclaw_package):
    path = openclaw_package.parent / "ignore"
    if not (path / "index.js").is_file():
        path = openclaw_package / "node_modules" / "ignore"
    assert (path / "index.js").is_file(), f"the `ignore` package is not next to {openclaw_package}"
    return path


def test_ignore_rules_match_the_ignore_package(node, ignore_package):
    proc = subprocess.run([node, "-e", NODE_JUDGE, str(ignore_package)], input=json.dumps(CASES),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    want = json.loads(proc.stdout)
    got = [hashes.IgnoreRules(rules).ignores(path) for rules, path in CASES]
    differ = [(rules, path, w, g) for (rules, path), w, g in zip(CASES, want, got) if w != g]
    assert not differ, differ


def test_a_special_file_refuses_the_file_tree_digest(tmp_path):
    """A FIFO (kind "other") makes OpenClaw's digest throw, like a symlink: no fileTreeSha256."""
    import os

    skill = tmp_path / "s"
    skill.mkdir()
    (skill / "SKILL.md").write_text("x")
    os.mkfifo(skill / "pipe")
    got = hashes.compute(skill)
    assert got.file_tree_sha256 is None and "(other)" in got.file_tree_problem
