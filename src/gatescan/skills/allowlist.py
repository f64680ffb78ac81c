"""The approved skill set: gatescan's own allowlist file, and ClawHub's offline JSON shapes.

An entry names a skill (registry, owner, slug, version, or a local name and the root it was
taken from) and, when it was snapshotted from disk, its hashes; a skill that matches by that
identity but not by hash is modified, one that only shares the name is unlisted.
Format: docs/skills.md, "Allowlist file".
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import yaml

from .inventory import inside
from ..userio import UserFileError, YamlError, YamlTooManyEntries, load_yaml, read_user_bytes

SCHEMA = "gatescan.allowlist/v1"
MAX_BYTES = 64 * 1024 * 1024
MAX_YAML_VALUES = 20_000_000  # the manifest's bounds on aliases and depth, room for a fleet
MAX_ENTRIES = 200_000

ALLOW = "allow"
BLOCK = "block"


class AllowlistError(Exception):
    """The allowlist file cannot be used (CLI: exit 2)."""

    def __init__(self, path: Path | str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass
class AllowEntry:
    slug: str | None = None
    owner: str | None = None
    registry: str | None = None
    version: str | None = None
    name: str | None = None  # for local skills without a registry identity
    root: str | None = None  # where `allowlist init` took a local skill from (`~/` = the home)
    fingerprint: str | None = None
    file_tree_sha256: str | None = None
    skill_file_sha256: str | None = None
    files: dict[str, str] | None = None
    reason: str | None = None
    verdict: str = ALLOW  # allow | block (known malicious)
    source: str = "allowlist"  # allowlist | clawhub-feed | clawhub-verdicts | clawhub-verify

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("registry", "owner", "slug", "version", "name", "root", "fingerprint", "file_tree_sha256",
                    "skill_file_sha256", "files", "reason"):
            v = getattr(self, key)
            if v:
                out[key] = v
        if self.verdict != ALLOW:
            out["verdict"] = self.verdict
        return out

    @property
    def has_hashes(self) -> bool:
        return bool(self.fingerprint or self.file_tree_sha256 or self.skill_file_sha256 or self.files)

    def label(self) -> str:
        who = f"@{self.owner}/" if self.owner else ""
        what = self.slug or self.name or "?"
        where = f" (from {self.root})" if self.root and not self.slug else ""
        return f"{who}{what}" + (f"@{self.version}" if self.version else "") + where

    def covers(self, skill_dir: Path | str | None, home: Path | None) -> bool:
        """Whether a local skill at `skill_dir` lies under the root this entry was taken from
        (an entry without a root, written by hand, names the skill wherever it is)."""
        if not self.root:
            return True
        if skill_dir is None:
            return False
        root = self.root
        if root == "~" or root.startswith("~/"):
            root = str((home if home is not None else Path.home()) / root[2:])
        return inside(os.path.realpath(skill_dir), os.path.realpath(root))


@dataclass
class Allowlist:
    entries: list[AllowEntry] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # files it was read from
    created: str | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        self._index: dict[str, list[AllowEntry]] | None = None

    def _by_key(self) -> dict[str, list[AllowEntry]]:
        if self._index is None:
            self._index = {}
            for e in self.entries:
                key = (e.slug or e.name or "").lower()
                self._index.setdefault(key, []).append(e)
        return self._index

    def candidates(self, slug: str | None, name: str | None) -> list[AllowEntry]:
        idx = self._by_key()
        out: list[AllowEntry] = []
        for key in {(slug or "").lower(), (name or "").lower()} - {""}:
            out.extend(idx.get(key, []))
        return out

    def merge(self, other: "Allowlist") -> "Allowlist":
        return Allowlist(self.entries + other.entries, self.sources + other.sources, self.created, self.comment)


# --- reading ---


def _s(v: Any, limit: int = 512) -> str | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int) and v.bit_length() > 1_000:  # YAML 0x and 5,000 digits: str() would raise
        return None  # as for an over-long string
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str) and v.strip() and len(v) <= limit:
        return v.strip()
    return None


def _owner(v: Any) -> str | None:
    s = _s(v, 128)
    return s.lstrip("@").lower() if s else None


def _split_ref(ref: str | None) -> tuple[str | None, str | None]:
    """`@owner/slug` or `owner/slug` or `slug` -> (owner, slug)."""
    if not ref:
        return None, None
    ref = ref.strip()
    if ref.startswith("@") or ("/" in ref and ref.count("/") == 1 and ":" not in ref):
        owner, _, slug = ref.lstrip("@").partition("/")
        return (owner.lower() or None), (slug or None)
    return None, ref


def _native_entry(raw: Any, i: int, path: Path) -> AllowEntry:
    if not isinstance(raw, dict):
        raise AllowlistError(path, f"entries[{i}] is not a mapping")
    files = raw.get("files")
    if files is not None:
        if isinstance(files, list):  # [{path, sha256}] as ClawHub lists them
            if not all(isinstance(f, dict) for f in files):
                raise AllowlistError(path, f"entries[{i}].files items must be {{path, sha256}} mappings")
            files = {f.get("path"): f.get("sha256") for f in files}
        if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            raise AllowlistError(path, f"entries[{i}].files must map paths to sha256 strings")
    verdict = (_s(raw.get("verdict")) or ALLOW).lower()
    if verdict in ("deny", "malicious", "blocked"):
        verdict = BLOCK
    if verdict not in (ALLOW, BLOCK):
        raise AllowlistError(path, f"entries[{i}].verdict must be allow or block, not {verdict!r}")
    owner, slug = _owner(raw.get("owner")), _s(raw.get("slug"))
    if slug and slug.startswith("@") and not owner:
        owner, slug = _split_ref(slug)
    entry = AllowEntry(
        slug=slug,
        owner=owner,
        registry=_s(raw.get("registry")),
        version=_s(raw.get("version")),
        name=_s(raw.get("name")),
        root=_s(raw.get("root"), 4096),
        fingerprint=(_s(raw.get("fingerprint"), 128) or "").lower() or None,
        file_tree_sha256=_s(raw.get("file_tree_sha256") or raw.get("fileTreeSha256"), 128),
        skill_file_sha256=(_s(raw.get("skill_file_sha256"), 128) or "").lower() or None,
        files={k: v.lower() for k, v in files.items()} if files else None,
        reason=_s(raw.get("reason"), 4096),
        verdict=verdict,
    )
    if not entry.slug and not entry.name:
        raise AllowlistError(path, f"entries[{i}] names no skill (slug or name)")
    return entry


def _feed_entries(doc: dict) -> list[AllowEntry]:
    """ClawHub's `GET /api/v1/feeds/skills` (clawhub-official-skills): no fingerprints."""
    items = doc.get("entries") or doc.get("skills") or doc.get("items") or []
    out = []
    for raw in items if isinstance(items, list) else []:
        if not isinstance(raw, dict):
            continue
        owner, slug = _split_ref(_s(raw.get("id")) or _s(raw.get("slug")))
        publisher = raw.get("publisher") if isinstance(raw.get("publisher"), dict) else {}
        owner = owner or _owner(publisher.get("handle") or publisher.get("id"))
        state = (_s(raw.get("state")) or "available").lower()
        if not slug or state in ("disabled", "deprecated"):
            continue
        out.append(AllowEntry(
            slug=slug, owner=owner, version=_s(raw.get("version")),
            verdict=BLOCK if state == "blocked" else ALLOW,
            reason=f"ClawHub official feed: {state}, publisher trust {_s(publisher.get('trust')) or '?'}",
            source="clawhub-feed",
        ))
    return out


def _verdict_entry(raw: dict) -> AllowEntry | None:
    """One item of `security-verdicts` (clawhub.skill.security-verdicts.v1) or a verify
    envelope (clawhub.skill.verify.v1, which also carries the source fingerprint)."""
    slug = _s(raw.get("slug"))
    if not slug:
        return None
    owner = _owner(raw.get("ownerHandle") or raw.get("publisherHandle"))
    decision = (_s(raw.get("decision")) or "").lower()
    security = raw.get("security") if isinstance(raw.get("security"), dict) else {}
    status = (_s(security.get("status")) or "").lower()
    reasons = raw.get("reasons") if isinstance(raw.get("reasons"), list) else []
    malicious = status in ("malicious", "blocked") or any(
        isinstance(r, str) and "malicious" in r.lower() for r in reasons
    )
    if malicious:
        verdict = BLOCK
    elif decision == "pass" and raw.get("ok", True) is not False:
        verdict = ALLOW
    else:
        return None  # suspicious / pending / error: approves nothing, proves nothing
    artifact = raw.get("artifact") if isinstance(raw.get("artifact"), dict) else {}
    return AllowEntry(
        slug=slug, owner=owner, version=_s(raw.get("version")),
        fingerprint=(_s(artifact.get("sourceFingerprint"), 128) or "").lower() or None,
        verdict=verdict,
        reason=f"ClawHub verdict: {decision or status}" + (f" ({', '.join(map(str, reasons[:3]))})" if reasons else ""),
        source="clawhub-verify" if "artifact" in raw else "clawhub-verdicts",
    )


def parse_allowlist(doc: Any, path: Path | str = "<allowlist>") -> Allowlist:
    """Recognise the document's shape (gatescan allowlist, ClawHub feed, verdicts, verify)."""
    path = Path(path)
    if isinstance(doc, list):
        doc = {"items": doc}
    if not isinstance(doc, dict):
        raise AllowlistError(path, "expected a mapping (YAML or JSON object) at the top")
    schema = _s(doc.get("schema")) or ""
    if schema == SCHEMA or (isinstance(doc.get("entries"), list) and "schemaVersion" not in doc and not schema):
        entries = doc.get("entries") or []
        if not isinstance(entries, list):
            raise AllowlistError(path, "`entries` must be a list")
        if len(entries) > MAX_ENTRIES:
            raise AllowlistError(path, f"more than {MAX_ENTRIES} entries")
        return Allowlist([_native_entry(e, i, path) for i, e in enumerate(entries)], [str(path)],
                         _s(doc.get("created")), _s(doc.get("comment"), 4096))
    if schema.startswith("gatescan.allowlist/"):
        raise AllowlistError(path, f"unsupported allowlist schema {schema!r} (this gatescan reads {SCHEMA})")
    if "schemaVersion" in doc and (doc.get("entries") is not None or doc.get("skills") is not None):
        feed = doc.get("entries") or doc.get("skills") or doc.get("items")
        if isinstance(feed, list) and len(feed) > MAX_ENTRIES:
            raise AllowlistError(path, f"more than {MAX_ENTRIES} entries")
        return Allowlist(_feed_entries(doc), [str(path)])
    items = doc.get("items") or doc.get("results") or doc.get("verdicts")
    if isinstance(items, list):
        if len(items) > MAX_ENTRIES:
            raise AllowlistError(path, f"more than {MAX_ENTRIES} entries")
        entries = [e for e in (_verdict_entry(i) for i in items if isinstance(i, dict)) if e]
        return Allowlist(entries, [str(path)])
    if "decision" in doc and "slug" in doc:
        entry = _verdict_entry(doc)
        return Allowlist([entry] if entry else [], [str(path)])
    raise AllowlistError(path, f"not a {SCHEMA} file, a ClawHub feed, verdicts or verify document")


def load_allowlist(path: Path | str) -> Allowlist:
    """Read an allowlist (YAML or JSON). Raises AllowlistError with what is wrong; a file with
    more than MAX_ENTRIES entries is refused as soon as the reader passes the limit."""
    path = Path(path)
    try:
        data = read_user_bytes(path, MAX_BYTES)
    except UserFileError as exc:
        raise AllowlistError(path, f"cannot read: {exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AllowlistError(path, "not UTF-8 text") from None
    try:
        try:
            doc = _load_json(text)
        except (ValueError, RecursionError):
            doc = load_yaml(text, max_nodes=MAX_YAML_VALUES, max_entries=MAX_ENTRIES)
    except (_TooManyEntries, YamlTooManyEntries):
        raise AllowlistError(path, f"more than {MAX_ENTRIES} entries") from None
    except YamlError as exc:
        raise AllowlistError(path, f"neither JSON nor YAML: {exc.message}" + (f" (line {exc.line})" if exc.line else "")) from None
    return parse_allowlist(doc, path)


class _TooManyEntries(Exception):
    """Raised by the readers below at the first entry past MAX_ENTRIES."""


# The keys whose list holds the entries, in any of the shapes parse_allowlist reads.
_ENTRY_KEYS = frozenset({"entries", "skills", "items", "results", "verdicts"})
_JSON = json.JSONDecoder()
_WS = json.decoder.WHITESPACE.match  # type: ignore[attr-defined]


def _load_json(text: str) -> Any:
    """json.loads, except that an entry list (the top-level list, or one under an entry key of
    the top-level object) is read one element at a time and refused past MAX_ENTRIES, so an
    oversized file costs the first MAX_ENTRIES entries, not all of them."""
    i = _WS(text, 0).end()
    if text.startswith("[", i):
        doc, i = _json_entries(text, i)
    elif text.startswith("{", i):
        doc, i = _json_top_object(text, i)
    else:
        doc, i = _JSON.raw_decode(text, i)
    i = _WS(text, i).end()
    if i != len(text):
        raise json.JSONDecodeError("Extra data", text, i)
    return doc


def _json_expect(text: str, i: int, chars: str, what: str) -> str:
    if i >= len(text) or text[i] not in chars:
        raise json.JSONDecodeError(f"Expecting {what}", text, i)
    return text[i]


def _json_entries(text: str, i: int) -> tuple[list, int]:
    out: list = []
    i = _WS(text, i + 1).end()
    if text.startswith("]", i):
        return out, i + 1
    while True:
        if len(out) >= MAX_ENTRIES:
            raise _TooManyEntries()
        value, i = _JSON.raw_decode(text, i)
        out.append(value)
        i = _WS(text, i).end()
        if _json_expect(text, i, ",]", "',' delimiter") == "]":
            return out, i + 1
        i = _WS(text, i + 1).end()


def _json_top_object(text: str, i: int) -> tuple[dict, int]:
    out: dict = {}
    i = _WS(text, i + 1).end()
    if text.startswith("}", i):
        return out, i + 1
    while True:
        _json_expect(text, i, '"', "property name enclosed in double quotes")
        key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        i = _WS(text, i).end()
        _json_expect(text, i, ":", "':' delimiter")
        i = _WS(text, i + 1).end()
        if key in _ENTRY_KEYS and text.startswith("[", i):
            out[key], i = _json_entries(text, i)
        else:
            out[key], i = _JSON.raw_decode(text, i)
        i = _WS(text, i).end()
        if _json_expect(text, i, ",}", "',' delimiter") == "}":
            return out, i + 1
        i = _WS(text, i + 1).end()

# --- writing ---


def dump_allowlist(allowlist: Allowlist) -> str:
    """The allowlist as YAML (what `allowlist init` writes and `allowlist show` prints)."""
    doc: dict[str, Any] = {"schema": SCHEMA}
    if allowlist.created:
        doc["created"] = allowlist.created
    if allowlist.comment:
        doc["comment"] = allowlist.comment
    doc["entries"] = [e.to_dict() for e in allowlist.entries]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)


def new_allowlist(entries: Iterable[AllowEntry], comment: str | None = None) -> Allowlist:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Allowlist(list(entries), [], now, comment)


# --- matching ---


@dataclass
class AllowMatch:
    entry: AllowEntry | None  # the entry that decided (None: unlisted)
    status: str  # allowlisted | unlisted | modified | malicious
    detail: str = ""
    changed_files: list[str] = field(default_factory=list)
    namesakes: list[AllowEntry] = field(default_factory=list)  # unlisted: entries that only share the name


def _same(a: str | None, b: str | None) -> bool:
    return not a or not b or a.lower() == b.lower()


def _registry_same(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return True
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def _identifies(e: AllowEntry, *, slug: str | None, owner: str | None, registry: str | None,
                name: str | None, skill_dir: Path | str | None, home: Path | None) -> bool:
    """Whether entry `e` names this very skill: by registry identity (slug, owner, registry)
    or, for a local entry, by name inside the root it was taken from."""
    if e.slug:
        # a registry entry never approves a local copy with the same name
        return bool(slug) and e.slug.lower() == slug.lower() and _same(e.owner, owner) \
            and _registry_same(e.registry, registry)
    return (name or "").lower() == (e.name or "").lower() and e.covers(skill_dir, home)


def match(allowlist: Allowlist, *, slug: str | None, owner: str | None, registry: str | None,
          version: str | None, name: str | None, fingerprint: str | None,
          source_fingerprint: str | None, file_tree_sha256: str | None,
          skill_file_sha256: str | None, files: dict[str, str] | None,
          skill_dir: Path | str | None = None, home: Path | None = None) -> AllowMatch:
    """Decide a skill's status against the allowlist: a block entry wins, then an entry whose
    hashes match, then an identity match with different hashes (modified). An entry that
    only shares the skill's name (another owner, another root) decides nothing: the skill
    is unlisted and the entry is named in `namesakes`."""
    identity, namesakes = [], []
    for e in allowlist.candidates(slug, name):
        if not _identifies(e, slug=slug, owner=owner, registry=registry, name=name,
                           skill_dir=skill_dir, home=home):
            namesakes.append(e)
            continue
        if e.version and version and e.version != version:
            continue
        identity.append(e)
    # a block entry wins; one keyed to hashes (a registry verdict) blocks those bytes only
    for e in identity:
        if e.verdict == BLOCK and not _differences(e, fingerprint, source_fingerprint, file_tree_sha256,
                                                   skill_file_sha256, files)[0]:
            return AllowMatch(e, "malicious", e.reason or "listed as malicious")
    modified: AllowMatch | None = None
    for e in identity:
        if not e.has_hashes:
            return AllowMatch(e, "allowlisted", e.reason or "")
        problems, changed = _differences(e, fingerprint, source_fingerprint, file_tree_sha256, skill_file_sha256,
                                         files)
        if not problems:
            return AllowMatch(e, "allowlisted", e.reason or "")
        if modified is None:
            judged = "the copy judged malicious" if e.verdict == BLOCK else "the approved copy"
            modified = AllowMatch(e, "modified", f"differs from {judged} in " + ", ".join(problems), changed)
    if modified is not None:
        return modified
    return AllowMatch(None, "unlisted", namesakes=namesakes)


def _differences(e: AllowEntry, fingerprint: str | None, source_fingerprint: str | None,
                 file_tree_sha256: str | None, skill_file_sha256: str | None,
                 files: dict[str, str] | None) -> tuple[list[str], list[str]]:
    """Which of the entry's hashes the skill does not have (none: the entry has none), and the
    changed files where the entry lists them."""
    problems = []
    if e.fingerprint and e.fingerprint not in (fingerprint, source_fingerprint):
        problems.append("fingerprint")
    if e.file_tree_sha256 and e.file_tree_sha256 != file_tree_sha256:
        problems.append("fileTreeSha256")
    if e.skill_file_sha256 and e.skill_file_sha256 != skill_file_sha256:
        problems.append("SKILL.md sha256")
    changed: list[str] = []
    if e.files is not None and files is None:  # not hashed (too big): cannot be shown to match
        problems.append("files (the skill could not be hashed)")
    elif e.files is not None:
        changed = sorted(
            [p for p, h in e.files.items() if files.get(p) != h] + [p for p in files if p not in e.files]
        )
        if changed:
            problems.append("files")
    return problems, changed
