"""Reads a SKILL.md frontmatter the way OpenClaw does, tolerant but bounded.

Finds what makes a manifest unreadable (skill.manifest.invalid, with a line) and manifest
blocks under different product names that disagree (skill.manifest.conflict).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import json5
from ..userio import YamlError, load_yaml, read_bounded

MAX_READ = 1024 * 1024  # bytes of SKILL.md read for the manifest (the head of a huge file)
MAX_FRONTMATTER = 64 * 1024
MAX_NODES = 20_000

# Where each product looks for its block: OpenClaw's runtime reads metadata.openclaw, then
# metadata.clawdbot (2026.9.6: src/compat/legacy-names.ts); ClawHub reads clawdbot > clawdis >
# openclaw, plus a top-level `clawdis`; forks use moltbot. All are read here.
MANIFEST_ALIASES = ("openclaw", "clawdbot", "clawdis", "moltbot")


@dataclass
class ManifestIssue:
    message: str
    line: int | None = None


@dataclass
class Manifest:
    """What a SKILL.md declares; `issues` make it skill.manifest.invalid."""

    fields: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] | None = None
    blocks: dict[str, Any] = field(default_factory=dict)  # "metadata.openclaw" -> block
    block_lines: dict[str, int] = field(default_factory=dict)
    issues: list[ManifestIssue] = field(default_factory=list)
    conflict: str | None = None  # why the blocks disagree
    conflict_line: int | None = None
    body_line: int = 1  # first line of the markdown body

    @property
    def name(self) -> str | None:
        v = self.fields.get("name")
        return v.strip()[:256] if isinstance(v, str) and v.strip() else None

    @property
    def description(self) -> str | None:
        v = self.fields.get("description")
        return v if isinstance(v, str) else None

    @property
    def version(self) -> str | None:
        v = self.fields.get("version")
        return str(v) if isinstance(v, (str, int, float)) and not isinstance(v, bool) else None

    @property
    def runtime_block(self) -> Any:
        """The block OpenClaw's runtime uses: metadata.openclaw, else metadata.clawdbot."""
        for alias in ("openclaw", "clawdbot"):
            block = self.blocks.get(f"metadata.{alias}")
            if isinstance(block, dict):
                return block
        return None


# --- frontmatter block, as OpenClaw's packages/markdown-core/src/frontmatter.ts splits it ---

_OPEN = re.compile(r"^---[^\S\n]*\n")
_CLOSE = re.compile(r"(?:^|\n)---[^\S\n]*(?:\n|$)")
_LINE_FIELD = re.compile(r"^([\w-]+):\s*(.*)$")


def read_head(path: Path, limit: int = MAX_READ) -> bytes:
    """The first `limit` bytes of a file: a 100 MB SKILL.md costs one bounded read."""
    return read_bounded(path, limit)[:limit]


def decode(data: bytes) -> tuple[str, ManifestIssue | None]:
    """UTF-8 text (invalid bytes replaced, as Node's readFile(utf8) does) and any problem."""
    if b"\x00" in data[:8192]:
        return "", ManifestIssue("binary file (NUL bytes), not a Markdown manifest", 1)
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", "replace")
        if exc.start >= len(data) - 3 and len(data) >= MAX_READ:
            return text, None  # a multi-byte character cut by the read limit
        line = data.count(b"\n", 0, exc.start) + 1
        return text, ManifestIssue(f"invalid UTF-8 at byte {exc.start}", line)


def _line_fallback(block: str) -> dict[str, str]:
    """OpenClaw's parseLineFrontmatter: `key: value` lines, indented continuation blocks."""
    out: dict[str, str] = {}
    lines = block.split("\n")
    i = 0
    while i < len(lines):
        m = _LINE_FIELD.match(lines[i])
        if m:
            key, value = m.group(1), m.group(2).strip()
            if not value and i + 1 < len(lines) and lines[i + 1][:1] in (" ", "\t"):
                cont = []
                while i + 1 < len(lines) and (not lines[i + 1] or lines[i + 1][:1] in (" ", "\t")):
                    cont.append(lines[i + 1])
                    i += 1
                value = "\n".join(cont).strip()
            elif len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
                value = value[1:-1]
            if value:
                out[key] = value
        i += 1
    return out


def _normalise(value: Any) -> Any:
    """A comparable form: OpenClaw coerces scalars to strings and booleans from strings."""
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    return str(value).strip()


def _find_line(block_lines: list[str], pattern: str, offset: int) -> int | None:
    rx = re.compile(pattern)
    for i, line in enumerate(block_lines):
        if rx.search(line):
            return offset + i
    return None


def _diff_keys(a: Any, b: Any) -> list[str]:
    if not isinstance(a, dict) or not isinstance(b, dict):
        return ["(whole block)"] if a != b else []
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def parse_manifest(text: str) -> Manifest:
    """Parse SKILL.md text. Never raises: every problem lands in `issues`."""
    m = Manifest()
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    opening = _OPEN.match(text)
    if not opening:
        m.issues.append(ManifestIssue("no YAML frontmatter (the file must start with a '---' line)", 1))
        return m
    tail = text[opening.end():]
    closing = _CLOSE.search(tail)
    if not closing:
        m.issues.append(ManifestIssue("frontmatter has no closing '---' line", 1))
        return m
    block = tail[: closing.start()]
    first = 2  # line number of the block's first line
    m.body_line = first + block.count("\n") + (1 if block else 0) + 1
    if len(block) > MAX_FRONTMATTER:
        m.issues.append(ManifestIssue(f"frontmatter larger than {MAX_FRONTMATTER // 1024} KiB", 1))
        return m
    fallback = _line_fallback(block)
    parsed: Any = None
    try:
        parsed = load_yaml(block, max_nodes=MAX_NODES) if block.strip() else {}
    except YamlError as exc:
        line = first + exc.line - 1 if exc.line is not None else first
        m.issues.append(ManifestIssue(f"invalid YAML frontmatter: {exc.message}", line))
        parsed = None
    if parsed is None and not m.issues:
        parsed = {}
    if parsed is not None and not isinstance(parsed, dict):
        m.issues.append(ManifestIssue("frontmatter is not a YAML mapping", first))
        parsed = None
    # OpenClaw falls back to its line parser when YAML fails; so does this, to keep reading
    m.fields = {str(k).strip(): v for k, v in parsed.items()} if parsed is not None else dict(fallback)

    lines = block.split("\n")
    if not m.description:
        m.issues.append(ManifestIssue("frontmatter has no `description`", first))

    metadata = m.fields.get("metadata")
    if isinstance(metadata, str) and metadata.strip():
        try:
            metadata = json5.loads(metadata)
        except json5.JSON5Error as exc:
            line = _find_line(lines, r"^metadata\s*:", first)
            m.issues.append(ManifestIssue(f"`metadata` is neither a mapping nor JSON5: {exc}", line))
            metadata = None
    if metadata is not None and not isinstance(metadata, dict):
        if not (isinstance(metadata, str) and not metadata.strip()):
            m.issues.append(ManifestIssue("`metadata` is not a mapping", _find_line(lines, r"^metadata\s*:", first)))
        metadata = None
    m.metadata = metadata
    for alias in MANIFEST_ALIASES:
        if metadata is not None and alias in metadata:
            key = f"metadata.{alias}"
            m.blocks[key] = metadata[alias]
            m.block_lines[key] = _find_line(lines, rf"""(^|[\s{{,])["']?{alias}["']?\s*:""", first) or first
    if "clawdis" in m.fields:  # ClawHub also reads a top-level clawdis block
        m.blocks["clawdis"] = m.fields["clawdis"]
        m.block_lines["clawdis"] = _find_line(lines, r"^clawdis\s*:", first) or first
    _check_conflict(m)
    return m


def _check_conflict(m: Manifest) -> None:
    if len(m.blocks) < 2:
        return
    norm = {k: _normalise(v) for k, v in m.blocks.items()}
    keys = list(norm)
    ref = keys[0]
    differing = [k for k in keys[1:] if norm[k] != norm[ref]]
    if not differing:
        return
    fields = sorted({f for k in differing for f in _diff_keys(norm[ref], norm[k])})
    runtime = next((k for k in ("metadata.openclaw", "metadata.clawdbot") if k in m.blocks), None)
    registry = next(
        (k for k in ("metadata.clawdbot", "metadata.clawdis", "clawdis", "metadata.openclaw") if k in m.blocks),
        None,
    )
    m.conflict = (
        f"manifest blocks {', '.join(keys)} disagree on {', '.join(fields[:8]) or 'their content'}"
        + (f"; OpenClaw runs with {runtime}, ClawHub shows {registry}" if runtime and registry and runtime != registry else "")
    )
    m.conflict_line = m.block_lines.get(differing[0])


def read_manifest(path: Path) -> Manifest:
    """Read and parse a SKILL.md file (bounded read). OSError propagates to the caller."""
    data = read_head(path)
    text, problem = decode(data)
    if problem and not text:
        return Manifest(issues=[problem])
    m = parse_manifest(text)
    if problem:
        m.issues.insert(0, problem)
    return m
