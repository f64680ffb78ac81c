"""The three content hashes ClawHub and OpenClaw record for an installed skill, recomputed.

A recorded hash that no longer matches the files is how `skill.modified` is proven, so each
one follows its tool byte for byte (docs/skills.md, "Hashes"); the files are read, never run.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .collation import locale_compare_key
from ..userio import read_bounded

SKILL_FILE_NAMES = ("SKILL.md", "skill.md", "skills.md", "SKILL.MD")  # OpenClaw's order
METADATA_DIRS = (".clawhub", ".clawdhub")
# Files the ClawHub download ZIP adds or the registry generates: a fingerprint of the files
# as published (the registry's `source` kind) leaves them out.
GENERATED_FILES = ("_meta.json", "skill-card.md")

MAX_FILES = 5_000  # per skill
MAX_BYTES = 512 * 1024 * 1024  # hashed per skill; streaming, so memory stays small
MAX_DEPTH = 24
_CHUNK = 1024 * 1024
_IGNORE_FILE_MAX = 64 * 1024
_IGNORE_RULES_MAX = 1_000


class HashLimitError(Exception):
    """The skill is too large (files, bytes or depth) to hash within the audit's bounds."""


@dataclass
class TreeEntry:
    path: str  # "/"-separated, relative to the skill directory
    kind: str  # "file" | "directory" | "symlink" | "other"
    sha256: str | None = None
    size: int = 0
    nlink: int = 1


@dataclass
class SkillHashes:
    """What was computed for one skill directory; None where a tool's algorithm refuses."""

    fingerprint: str | None = None  # clawhub CLI (origin.json `fingerprint`)
    source_fingerprint: str | None = None  # same, without _meta.json / skill-card.md
    file_tree_sha256: str | None = None  # OpenClaw ("sha256:<hex>")
    file_tree_problem: str | None = None  # why OpenClaw would refuse to digest this tree
    skill_file: dict | None = None  # {"path", "sha256"} as OpenClaw records it
    files: dict[str, str] = field(default_factory=dict)  # clawhub-listed path -> sha256


def sha256_file(path: Path | str, budget: list[int] | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            if budget is not None:
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise HashLimitError(f"more than {MAX_BYTES // (1024 * 1024)} MiB to hash")
            digest.update(chunk)
    return digest.hexdigest()


def _utf16_key(name: str) -> bytes:
    # JavaScript compares strings by UTF-16 code units; big-endian bytes compare the same way.
    return name.encode("utf-16-be", "surrogatepass")


def walk_tree(skill_dir: Path, *, max_files: int = MAX_FILES, budget: list[int] | None = None) -> list[TreeEntry]:
    """Every entry under skill_dir, depth first, each directory's names in UTF-16 order.

    Files are hashed as they are met; symlinks are recorded, never followed. The top-level
    .clawhub/.clawdhub provenance directories are skipped (they are not content).
    """
    budget = budget if budget is not None else [MAX_BYTES]
    out: list[TreeEntry] = []

    def visit(abs_dir: str, rel_dir: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise HashLimitError(f"directories nested deeper than {MAX_DEPTH}")
        room = max_files - len(out) + len(METADATA_DIRS)  # more than this cannot fit anyway
        with os.scandir(abs_dir) as it:
            entries = list(itertools.islice(it, room + 1))  # a million-file folder is not listed whole
        if len(entries) > room:
            raise HashLimitError(f"more than {max_files} entries")
        entries.sort(key=lambda e: _utf16_key(e.name))
        for entry in entries:
            if not rel_dir and entry.name in METADATA_DIRS:
                continue
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            st = entry.stat(follow_symlinks=False)
            if len(out) >= max_files:
                raise HashLimitError(f"more than {max_files} entries")
            if stat.S_ISLNK(st.st_mode):
                out.append(TreeEntry(rel, "symlink"))
            elif stat.S_ISDIR(st.st_mode):
                out.append(TreeEntry(rel, "directory"))
                visit(entry.path, rel, depth + 1)
            elif stat.S_ISREG(st.st_mode):
                out.append(TreeEntry(rel, "file", sha256_file(entry.path, budget), st.st_size, st.st_nlink))
            else:
                out.append(TreeEntry(rel, "other"))

    visit(str(skill_dir), "", 0)
    return out


def file_tree_sha256(entries: list[TreeEntry]) -> tuple[str | None, str | None]:
    """OpenClaw's fileTreeSha256 (src/skills/lifecycle/skill-tree-digest.ts), or why it refuses.

    JSON.stringify of [{path,type:"directory"} | {path,type:"file",sha256}] with no spaces and
    non-ASCII kept, sha256 over its UTF-8, prefixed "sha256:". Symlinks, special files and
    hard-linked files make OpenClaw throw, so there is no digest for such a tree.
    """
    items: list[dict] = []
    for e in entries:
        if e.kind in ("symlink", "other"):
            return None, f"unsupported entry {e.path!r} ({e.kind})"
        if e.kind == "directory":
            items.append({"path": e.path, "type": "directory"})
        else:
            if e.nlink > 1:
                return None, f"hard-linked file {e.path!r}"
            items.append({"path": e.path, "type": "file", "sha256": e.sha256})
    text = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), None


def clawhub_fingerprint(files: dict[str, str] | list[tuple[str, str]]) -> str:
    """The clawhub CLI's buildSkillFingerprint: lines "path:sha256" in localeCompare order."""
    pairs = list(files.items()) if isinstance(files, dict) else list(files)
    pairs = [(p, h) for p, h in pairs if p and h]
    pairs.sort(key=lambda ph: locale_compare_key(ph[0]))
    payload = "\n".join(f"{p}:{h}" for p, h in pairs)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


# --- .gitignore / .clawhubignore, the subset of gitignore the `ignore` package implements ---


# A glob is matched by simulating its automaton (the set of live token positions per path
# character), not by a backtracking regex: "*a*a*a*a*b" in a skill's .gitignore took a regex
# minutes per file name. IGNORE_BUDGET bounds the work per skill.
IGNORE_BUDGET = 5_000_000  # automaton steps
_WILD = ("star", "any", "segs")  # tokens that may match nothing


def _glob_tokens(glob: str) -> list[tuple[str, object]] | None:
    """A glob as tokens: lit, one (?), class ([...]), star (*), any (**), segs (**/)."""
    out: list[tuple[str, object]] = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append(("segs", None))
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(("any", None))
            i += 2
            continue
        if c == "*":
            out.append(("star", None))
        elif c == "?":
            out.append(("one", None))
        elif c == "[":
            # A "]" right after "[" or "[!" is a member, not the end (POSIX, and the `ignore`
            # package clawhub uses); an unclosed "[" makes the pattern match nothing there.
            start = i + 1 + (glob.startswith("!", i + 1))
            start += glob.startswith("]", start)
            j = glob.find("]", start)
            if j == -1:
                return None
            else:
                body = glob[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                try:
                    out.append(("class", re.compile(f"[{body}]")))
                except re.error:
                    return None
                i = j
        elif c == "\\":
            if i + 1 == len(glob):
                return None  # a trailing backslash escapes nothing: the `ignore` package matches nothing
            i += 1
            out.append(("lit", glob[i]))
        else:
            out.append(("lit", c))
        i += 1
    return out


def _closure(states: set[int], tokens: list) -> set[int]:
    stack = list(states)
    while stack:
        i = stack.pop()
        if 0 <= i < len(tokens) and tokens[i][0] in _WILD and i + 1 not in states:
            states.add(i + 1)
            stack.append(i + 1)
    return states


def _glob_match(tokens: list, path: str, budget: list[int]) -> bool:
    """Does the whole of `path` match? A state is a token index; -(i + 1) is inside `**/` i."""
    n = len(tokens)
    states = _closure({0}, tokens)
    for c in path:
        budget[0] -= len(states)
        if budget[0] < 0:
            raise HashLimitError("ignore rules too complex to evaluate")
        nxt: set[int] = set()
        for s in states:
            if s < 0:  # inside **/: any run of characters, left after a "/"
                if c != "\n":
                    nxt.add(s)
                if c == "/":
                    nxt.add(-s)
            elif s < n:
                kind, arg = tokens[s]
                if kind == "lit":
                    if c == arg:
                        nxt.add(s + 1)
                elif kind == "one":
                    if c != "/":
                        nxt.add(s + 1)
                elif kind == "class":
                    if arg.match(c):
                        nxt.add(s + 1)
                elif kind == "star":
                    if c != "/":
                        nxt.add(s)
                elif kind == "any":
                    if c != "\n":
                        nxt.add(s)
                else:  # segs
                    if c == "/":
                        nxt.add(s + 1)
                    if c != "\n":
                        nxt.add(-(s + 1))
        if not nxt:
            return False
        states = _closure(nxt, tokens)
    return n in states


@lru_cache(maxsize=4096)
def _compile_rule(raw: str) -> tuple[tuple, bool, bool] | None:
    """One gitignore line -> (tokens, negated, dir_only), or None for blanks and comments."""
    line = raw.rstrip("\r")
    if not line.strip() or line.startswith("#"):
        return None
    # trailing whitespace goes unless escaped with a backslash ("a\\ " keeps one space);
    # rstrip, not re.sub(r"(?<!\\)\s+$"), which is quadratic on a long run of spaces
    stripped = line.rstrip()
    line = stripped + line[len(stripped)] if stripped.endswith("\\") and len(stripped) < len(line) else stripped
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    elif line.startswith("\\!") or line.startswith("\\#"):
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    tokens = _glob_tokens(line)
    if tokens is None:
        return None
    # unanchored: the pattern may start at any directory level, as if "**/" came first
    return tuple(tokens if anchored else [("segs", None)] + tokens), negated, dir_only


class IgnoreRules:
    """gitignore rules: last match wins, `!` re-includes, a dir pattern covers what is below."""

    def __init__(self, lines: list[str]):
        compiled = (_compile_rule(raw) for raw in lines[:_IGNORE_RULES_MAX])
        self.rules = [r for r in compiled if r is not None]
        self.budget = [IGNORE_BUDGET]

    def _match(self, path: str, is_dir: bool) -> bool | None:
        verdict = None
        for tokens, negated, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if _glob_match(tokens, path, self.budget):
                verdict = not negated
        return verdict

    def ignores(self, rel_path: str) -> bool:
        parts = rel_path.split("/")
        for i in range(1, len(parts)):
            if self._match("/".join(parts[:i]), True):
                return True
        return bool(self._match(rel_path, False))


def _read_ignore_lines(skill_dir: Path) -> list[str]:
    lines = [".git/", "node_modules/", ".clawhub/", ".clawdhub/"]
    for name in (".gitignore", ".clawhubignore", ".clawdhubignore"):
        path = skill_dir / name
        try:
            if path.is_symlink():
                continue
            data = read_bounded(path, _IGNORE_FILE_MAX)[:_IGNORE_FILE_MAX]
        except OSError:
            continue
        lines.extend(data.decode("utf-8", "replace").split("\n"))
    return lines


def clawhub_listed(entries: list[TreeEntry], skill_dir: Path) -> dict[str, str]:
    """The files the clawhub CLI's listSkillFiles would publish/hash: regular files, no dot
    path segment, no node_modules, minus .gitignore/.clawhubignore matches."""
    rules = IgnoreRules(_read_ignore_lines(skill_dir))
    out: dict[str, str] = {}
    for e in entries:
        if e.kind != "file":
            continue
        segments = e.path.split("/")
        if any(s.startswith(".") or s == "node_modules" for s in segments):
            continue
        if rules.ignores(e.path):
            continue
        out[e.path] = e.sha256 or ""
    return out


def skill_file_hash(skill_dir: Path, entries: list[TreeEntry]) -> dict | None:
    top = {e.path: e for e in entries if "/" not in e.path and e.kind == "file"}
    for name in SKILL_FILE_NAMES:
        if name in top:
            return {"path": name, "sha256": top[name].sha256}
    return None


def compute(skill_dir: Path) -> SkillHashes:
    """All three hashes in one walk (each file read once). Raises HashLimitError or OSError."""
    entries = walk_tree(skill_dir)
    listed = clawhub_listed(entries, skill_dir)
    tree, problem = file_tree_sha256(entries)
    source = {p: h for p, h in listed.items() if p not in GENERATED_FILES}
    return SkillHashes(
        fingerprint=clawhub_fingerprint(listed) if listed else None,
        source_fingerprint=clawhub_fingerprint(source) if source else None,
        file_tree_sha256=tree,
        file_tree_problem=problem,
        skill_file=skill_file_hash(skill_dir, entries),
        files=listed,
    )
