"""Who published an installed skill, and whether its files still match what was recorded.

Reads `.clawhub/origin.json` and the root's `.clawhub/lock.json` (legacy `.clawdhub`) in the
shapes the clawhub CLI (Feb 2026 and current) and `openclaw skills install` write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .hashes import SkillHashes
from ..userio import read_bounded

METADATA_DIRS = (".clawhub", ".clawdhub")
MAX_ORIGIN_BYTES = 1024 * 1024
MAX_LOCK_BYTES = 16 * 1024 * 1024


class ProvenanceError(Exception):
    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass
class Provenance:
    """What origin.json and the lock entry say about one installed skill (merged)."""

    registry: str | None = None
    owner: str | None = None
    slug: str | None = None
    version: str | None = None
    fingerprint: str | None = None  # clawhub CLI
    file_tree_sha256: str | None = None  # openclaw installer
    skill_file: dict | None = None  # {"path", "sha256"}
    source_kind: str | None = None  # e.g. skills-sh
    origin_path: Path | None = None
    lock_path: Path | None = None
    recorded: list[tuple[str, str, str]] = field(default_factory=list)  # (what, where, value)

    @property
    def managed(self) -> bool:
        return self.slug is not None


def _read_json_file(path: Path, limit: int) -> Any:
    """Bounded JSON read. Raises ProvenanceError for anything but a missing file."""
    try:
        data = read_bounded(path, limit)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ProvenanceError(path, f"unreadable: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ProvenanceError(path, f"larger than {limit // 1024} KiB")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProvenanceError(path, f"not valid JSON ({str(exc)[:80]})") from None


def _str(v: Any, limit: int = 512) -> str | None:
    if isinstance(v, str) and v.strip() and len(v) <= limit:
        return v.strip()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    return None


def _skill_file(v: Any) -> dict | None:
    if isinstance(v, dict) and _str(v.get("path")) and _str(v.get("sha256")):
        return {"path": v["path"], "sha256": v["sha256"].lower()}
    return None


def read_origin(skill_dir: Path) -> tuple[dict | None, Path | None]:
    """origin.json (current dir name first, like both tools). Raises ProvenanceError if garbage."""
    for d in METADATA_DIRS:
        path = skill_dir / d / "origin.json"
        try:
            raw = _read_json_file(path, MAX_ORIGIN_BYTES)
        except FileNotFoundError:
            continue
        if not isinstance(raw, dict):
            raise ProvenanceError(path, "origin is not a JSON object")
        if raw.get("version") != 1 or not _str(raw.get("slug")):
            raise ProvenanceError(path, "not a version 1 origin with a slug")
        return raw, path
    return None, None


class LockCache:
    """lock.json per workdir, read once per audit (a root holds many skills)."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[dict | None, Path | None, str | None]] = {}
        self.reported: set[Path] = set()

    def get(self, workdir: Path) -> tuple[dict | None, Path | None, str | None]:
        if workdir not in self._cache:
            self._cache[workdir] = self._load(workdir)
        return self._cache[workdir]

    @staticmethod
    def _load(workdir: Path) -> tuple[dict | None, Path | None, str | None]:
        for d in METADATA_DIRS:
            path = workdir / d / "lock.json"
            try:
                raw = _read_json_file(path, MAX_LOCK_BYTES)
            except FileNotFoundError:
                continue
            except ProvenanceError as exc:
                return None, path, exc.problem
            if not isinstance(raw, dict) or raw.get("version") != 1 or not isinstance(raw.get("skills"), dict):
                return None, path, "not a version 1 lockfile with a skills object"
            return raw["skills"], path, None
        return None, None, None


def lock_entry(skills: dict, slug: str | None, owner: str | None, dir_name: str) -> Any:
    """The entry for a skill: keyed `@owner/slug` (current CLI), bare slug, or dir name."""
    keys = []
    if owner and slug:
        keys.append(f"@{owner}/{slug}")
    if slug:
        keys.append(slug)
    keys.append(dir_name)
    for k in keys:
        if k in skills:
            return skills[k]
    return None


def provenance(skill_dir: Path, root_path: Path, locks: LockCache) -> tuple[Provenance, list[ProvenanceError]]:
    """Merge origin.json and the lock entry. Garbage files come back as errors, not raised."""
    prov = Provenance()
    errors: list[ProvenanceError] = []
    origin: dict | None = None
    try:
        origin, prov.origin_path = read_origin(skill_dir)
    except ProvenanceError as exc:
        errors.append(exc)
    if origin:
        prov.registry = _str(origin.get("registry"))
        prov.slug = _str(origin.get("slug"))
        prov.owner = _str(origin.get("ownerHandle"))
        prov.version = _str(origin.get("installedVersion")) or None
        prov.fingerprint = _str(origin.get("fingerprint"), 128)
        prov.file_tree_sha256 = _str(origin.get("fileTreeSha256"), 128)
        prov.skill_file = _skill_file(origin.get("skillFile"))
        prov.source_kind = _str(origin.get("sourceKind"))
        where = str(prov.origin_path)
        if prov.fingerprint:
            prov.recorded.append(("fingerprint", where, prov.fingerprint))
        if prov.file_tree_sha256:
            prov.recorded.append(("fileTreeSha256", where, prov.file_tree_sha256))
        if prov.skill_file:
            prov.recorded.append(("skillFile", where, prov.skill_file["sha256"]))
    # the lock sits in the workdir: the skills root's parent (workspace/skills/<slug>,
    # ~/.openclaw/skills/<slug>) or the root itself
    for workdir in (root_path.parent, root_path):
        skills, lock_path, problem = locks.get(workdir)
        if problem:
            if lock_path not in locks.reported:  # one error per broken lock, not per skill
                locks.reported.add(lock_path)  # type: ignore[arg-type]
                errors.append(ProvenanceError(lock_path, problem))  # type: ignore[arg-type]
            continue
        if skills is None:
            continue
        entry = lock_entry(skills, prov.slug, prov.owner, skill_dir.name)
        if not isinstance(entry, dict):
            continue
        prov.lock_path = lock_path
        prov.slug = prov.slug or skill_dir.name
        prov.owner = prov.owner or _str(entry.get("ownerHandle"))
        prov.registry = prov.registry or _str(entry.get("registry"))
        prov.version = prov.version or _str(entry.get("version"))
        where = str(lock_path)
        tree = _str(entry.get("fileTreeSha256"), 128)
        if tree:
            prov.file_tree_sha256 = prov.file_tree_sha256 or tree
            prov.recorded.append(("fileTreeSha256", where, tree))
        sf = _skill_file(entry.get("skillFile"))
        if sf:
            prov.skill_file = prov.skill_file or sf
            prov.recorded.append(("skillFile", where, sf["sha256"]))
        break
    if prov.owner:
        prov.owner = prov.owner.lstrip("@").lower()
    return prov, errors


@dataclass
class Mismatch:
    what: str  # fingerprint | fileTreeSha256 | skillFile
    where: str  # the file that recorded it
    recorded: str
    actual: str | None
    note: str = ""


def compare(prov: Provenance, hashes: SkillHashes) -> list[Mismatch]:
    """Every recorded hash that the files no longer produce."""
    out: list[Mismatch] = []
    for what, where, value in prov.recorded:
        v = value.lower()
        if what == "fingerprint":
            actual = hashes.fingerprint
            ok = v in (hashes.fingerprint, hashes.source_fingerprint)
            note = ""
        elif what == "fileTreeSha256":
            actual = hashes.file_tree_sha256
            ok = actual is not None and v == actual
            note = hashes.file_tree_problem or ""
        else:
            actual = hashes.skill_file["sha256"] if hashes.skill_file else None
            ok = actual is not None and v == actual
            note = "" if actual else "no SKILL.md"
        if not ok:
            out.append(Mismatch(what, where, value, actual, note))
    return out
