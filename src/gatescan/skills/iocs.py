"""Known indicators of malicious skills (rules/iocs.yaml) matched as `skill.known-malicious`.

Text indicators (IPs, domains, URLs, literals) are looked for in every file of a skill, also
defanged (`91[.]92[.]242[.]30`) and inside base64 blobs, with the file and line of each hit;
hash indicators against each file's sha256, the skill's fileTreeSha256 and its ClawHub
fingerprint; publisher and slug indicators against the skill's registry identity.
Format and sources: docs/skills.md, "Indicators".
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Literal, Optional

from .. import catalog, typed
from .._paths import data_dir
from ..model import Finding, FindingEvidence, Severity
from ..typed import STRICT
from ..userio import UserFileError, YamlError, load_yaml, read_user_text
from .rules import FileContext, decode_base64, file_kind, read_head

SCHEMA = "gatescan.iocs/v1"
TEXT_TYPES = frozenset({"ip", "domain", "url", "string"})
HASH_TYPES = frozenset({"sha256", "file-tree-sha256", "fingerprint"})
IDENTITY_TYPES = frozenset({"publisher", "slug"})
SEVERITY = {"high": Severity.CRITICAL, "medium": Severity.HIGH, "low": Severity.MEDIUM}

# Bounds: a skill costs at most these, whatever its files hold.
MAX_FILE_BYTES = 4 * 1024 * 1024  # read of one file (the rest is not searched)
MAX_SKILL_BYTES = 64 * 1024 * 1024
MAX_FILES = 5_000
MAX_BLOBS = 256  # base64 blobs decoded per file
MAX_BLOB_CHARS = 1024 * 1024
MAX_DEPTH = 2  # base64 inside base64
MAX_HITS = 20  # lines listed per indicator and file
_SKIP_DIRS = frozenset({".git", ".clawhub", ".clawdhub"})
_B64 = re.compile(rb"[A-Za-z0-9+/]{40,}={0,2}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


class IocError(ValueError):
    """The indicator file cannot be used; names the file and the entry."""


@dataclass(frozen=True)
class Source:
    __pydantic_config__ = STRICT
    title: str
    url: str


@dataclass(frozen=True)
class Indicator:
    __pydantic_config__ = STRICT
    id: str
    type: Literal["ip", "domain", "url", "string", "publisher", "slug", "sha256", "file-tree-sha256", "fingerprint"]
    value: str
    description: str
    sources: tuple[str, ...]
    campaign: Optional[str] = None
    confidence: Literal["high", "medium", "low"] = "high"
    publisher: Optional[str] = None  # slug: only this owner's
    local_name: bool = False  # slug: also a skill's own name when it has no registry identity
    sample: Optional[str] = None  # text types: a line it must flag (tests)
    clean: Optional[str] = None  # text types: a near miss it must not flag (tests)

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.confidence]

    @property
    def needle(self) -> str:
        """What is searched for: the literal as written, everything else lower-cased."""
        return self.value if self.type == "string" else self.value.lower()


@dataclass(frozen=True)
class IocFile:
    __pydantic_config__ = STRICT
    schema: str
    version: str
    sources: dict[str, Source]
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class IocSet:
    """A validated indicator file, indexed for matching."""

    path: str
    version: str
    sources: dict[str, Source]
    indicators: tuple[Indicator, ...]

    def __post_init__(self) -> None:
        by = lambda types: tuple(i for i in self.indicators if i.type in types)  # noqa: E731
        object.__setattr__(self, "_text", by(TEXT_TYPES))
        object.__setattr__(self, "_hashes", {(i.type, i.value.lower()): i for i in by(HASH_TYPES)})
        object.__setattr__(self, "_identity", by(IDENTITY_TYPES))

    def references(self, ind: Indicator) -> list[str]:
        return [self.sources[s].url for s in ind.sources]

    def scan_text(self, text: str) -> Iterator[tuple[Indicator, int, str, int]]:
        """(indicator, 1-based line, how it was found, offset in `text`) for each text indicator
        in `text`, also defanged and inside base64 blobs (bounded; a blob's hit is at the blob)."""
        yield from self._scan(text, "", 0)

    def _scan(self, text: str, how: str, depth: int) -> Iterator[tuple[Indicator, int, str, int]]:
        variants = [(text, how)]
        if "[.]" in text or "(.)" in text:  # defanged; no newline moves, so lines stay true
            variants.append((text.replace("[.]", ".").replace("(.)", "."), how or "defanged"))
        for body, note in variants:
            low = body.lower()
            for ind in self._text:  # type: ignore[attr-defined]
                hay = body if ind.type == "string" else low
                needle = ind.needle
                start, hits = 0, 0
                while hits < MAX_HITS:
                    at = hay.find(needle, start)
                    if at < 0:
                        break
                    start = at + 1
                    if _bounded(ind, hay, at, len(needle)):
                        hits += 1
                        yield ind, body.count("\n", 0, at) + 1, note, at
        if depth >= MAX_DEPTH:
            return
        raw = text.encode("utf-8", "surrogateescape")
        for n, m in enumerate(_B64.finditer(raw)):
            if n >= MAX_BLOBS:
                break
            decoded = decode_base64(m.group()[:MAX_BLOB_CHARS])
            if decoded is None:
                continue
            line = raw.count(b"\n", 0, m.start()) + 1
            at = len(raw[:m.start()].decode("utf-8", "surrogateescape"))
            inner = decoded.decode("utf-8", "replace")
            for ind, _, _, _ in self._scan(inner, "inside base64", depth + 1):
                yield ind, line, "inside base64", at

    def by_hash(self, kind: str, value: str | None) -> Indicator | None:
        return self._hashes.get((kind, value.lower())) if value else None  # type: ignore[attr-defined]

    def by_identity(self, *, owner: str | None, slug: str | None, name: str | None) -> Iterator[Indicator]:
        owner, slug, name = (v.lower() if v else None for v in (owner, slug, name))
        for ind in self._identity:  # type: ignore[attr-defined]
            value = ind.value.lower()
            if ind.type == "publisher":
                if owner == value:
                    yield ind
            elif ind.publisher:
                if slug == value and owner == ind.publisher.lower():
                    yield ind
            elif slug == value or (ind.local_name and not slug and name == value):
                yield ind


def _bounded(ind: Indicator, hay: str, at: int, size: int) -> bool:
    """A hit that is the whole token: 91.92.242.30 is not inside 191.92.242.301, bore.pub not in
    evilbore.pub, a URL prefix not followed by more of its last path segment."""
    before = hay[at - 1] if at > 0 else ""
    after = hay[at + size] if at + size < len(hay) else ""
    after2 = hay[at + size + 1] if at + size + 1 < len(hay) else ""
    if ind.type == "ip":
        return not (before.isdigit() or before == ".") and not (after.isdigit() or (after == "." and after2.isdigit()))
    if ind.type == "domain":  # a subdomain (x.bore.pub) is the domain's
        return not (before.isalnum() or before in "-_") and not (
            after.isalnum() or after in "-_" or (after == "." and after2.isalnum()))
    if ind.type == "url":
        if before.isalnum() or before in "-_":  # www.github.com/... is github.com/...
            return False
        return ind.value.endswith("/") or not (after.isalnum() or after in "-_")
    return True


def _check(doc: IocFile, where: str) -> None:
    if doc.schema != SCHEMA:
        raise IocError(f"{where}: schema must be {SCHEMA!r}, not {doc.schema!r}")
    seen: set[str] = set()
    for n, ind in enumerate(doc.indicators):
        at = f"{where}: indicators[{n}] ({ind.id})"
        if not _ID.fullmatch(ind.id):
            raise IocError(f"{at}: id must be lower-case letters, digits and dashes")
        if ind.id in seen:
            raise IocError(f"{at}: id used twice")
        seen.add(ind.id)
        if not ind.sources:
            raise IocError(f"{at}: cite at least one source")
        for s in ind.sources:
            if s not in doc.sources:
                raise IocError(f"{at}: source {s!r} is not in the sources table")
        v = ind.value
        if not v.strip() or v != v.strip():
            raise IocError(f"{at}: value is empty or has surrounding blanks")
        if ind.type == "ip":
            try:
                ipaddress.ip_address(v)
            except ValueError:
                raise IocError(f"{at}: {v!r} is not an IP address") from None
        elif ind.type == "domain" and not _HOST.fullmatch(v.lower()):
            raise IocError(f"{at}: {v!r} is not a domain name")
        elif ind.type == "url" and ("://" in v or ("/" not in v and ":" not in v)
                                    or not _HOST.fullmatch(v.split("/")[0].split(":")[0].lower())):
            raise IocError(f"{at}: a url is host/path or host:port without the scheme, not {v!r}")
        elif ind.type == "string" and len(v) < 8:
            raise IocError(f"{at}: a literal shorter than 8 characters would match by chance")
        elif ind.type == "sha256" and not _HEX64.fullmatch(v):
            raise IocError(f"{at}: a sha256 is 64 lower-case hex digits")
        elif ind.type == "fingerprint" and not _HEX64.fullmatch(v):
            raise IocError(f"{at}: a ClawHub fingerprint is 64 lower-case hex digits")
        elif ind.type == "file-tree-sha256" and not (v.startswith("sha256:") and _HEX64.fullmatch(v[7:])):
            raise IocError(f"{at}: a fileTreeSha256 is 'sha256:' and 64 lower-case hex digits")
        if (ind.publisher or ind.local_name) and ind.type != "slug":
            raise IocError(f"{at}: publisher and local_name narrow slug indicators only")
        if ind.type in TEXT_TYPES and not ind.sample:
            raise IocError(f"{at}: a text indicator needs a sample line it matches")


def load_iocs(path: Path | str | None = None) -> IocSet:
    """The indicator file (default: the shipped rules/iocs.yaml), validated; IocError naming
    the file and entry that is wrong."""
    if path is None:
        return _default()
    return _load(str(path))


@lru_cache(maxsize=1)
def _default() -> IocSet:
    return _load(str(data_dir("rules") / "iocs.yaml"))


def _load(where: str) -> IocSet:
    try:
        data = load_yaml(read_user_text(where, 16 * 1024 * 1024))
    except (UserFileError, YamlError) as exc:
        raise IocError(f"{where}: {exc}") from None
    try:
        doc = typed.from_data(IocFile, data, where)
    except typed.TypedError as exc:
        raise IocError(str(exc)) from None
    _check(doc, where)
    return IocSet(where, doc.version, dict(doc.sources), doc.indicators)


def _files(skill_dir: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every regular file of the skill, sorted, bounded; the
    provenance folders and .git are not the skill's content."""
    stack = [(skill_dir, "")]
    count = 0
    while stack:
        d, rel = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    if not (rel == "" and e.name in _SKIP_DIRS) and e.name != ".git":
                        subdirs.append((Path(e.path), f"{rel}{e.name}/"))
                elif e.is_file(follow_symlinks=False):
                    count += 1
                    if count > MAX_FILES:
                        return
                    yield f"{rel}{e.name}", Path(e.path)
            except OSError:
                continue
        stack.extend(reversed(subdirs))


def match_skill(iocs: IocSet, ctx) -> Iterator[Finding]:
    """The `skill.known-malicious` findings for one skill (a skills.audit.SkillContext)."""
    record = ctx.record
    name = record.name
    for ind in iocs.by_identity(owner=record.owner, slug=record.slug, name=name or ctx.dir.name):
        who = f"@{record.owner}/" if record.owner else ""
        yield _finding(iocs, ind, name, ctx.skill_file, None,
                       f"{who}{record.slug or name} is a known-malicious {ind.type} ({ind.value}): {ind.description}")
    for kind, value in (("file-tree-sha256", record.file_tree_sha256), ("fingerprint", record.fingerprint)):
        ind = iocs.by_hash(kind, value)
        if ind is not None:
            yield _finding(iocs, ind, name, ctx.skill_file, None, f"the skill's {kind} is {value}: {ind.description}")
    budget = MAX_SKILL_BYTES
    for rel, path in _files(ctx.dir):
        if budget <= 0:
            break
        known = ctx.files.get(rel)
        try:
            data, whole = read_head(path, min(MAX_FILE_BYTES, budget))
        except OSError:
            continue
        budget -= len(data)
        digest = known or (hashlib.sha256(data).hexdigest() if whole else None)
        ind = iocs.by_hash("sha256", digest)
        if ind is not None:
            yield _finding(iocs, ind, name, path, None, f"{rel} has sha256 {digest}: {ind.description}")
        text = data.decode("utf-8", "surrogateescape")
        lines: dict[str, tuple[Indicator, dict[int, bool], set[str]]] = {}
        mention = None
        for ind, line, how, at in iocs.scan_text(text):
            if mention is None:
                mention = _Mentions(rel, data, text)
            hit = lines.setdefault(ind.id, (ind, {}, set()))
            if len(hit[1]) < MAX_HITS or line in hit[1]:
                hit[1][line] = hit[1].get(line, True) and mention.example(at, len(ind.value), line)
            if how:
                hit[2].add(how)
        for ind, at, hows in lines.values():
            live = sorted(n for n, example in at.items() if not example)
            shown = live or sorted(at)
            more = f" (also line{'s' if len(shown) > 2 else ''} {', '.join(map(str, shown[1:]))})" if len(shown) > 1 else ""
            how = f", {' and '.join(sorted(hows))}" if hows else ""
            what = f"{rel} line {shown[0]}{more}: {ind.type} {ind.value}{how}: {ind.description}"
            if live:
                yield _finding(iocs, ind, name, path, shown[0], what)
            else:  # only ever quoted as what not to do: a write-up of the campaign, not the campaign
                yield _finding(iocs, ind, name, path, shown[0], f"{what}; only as an example (under a "
                               "negation or in a block labelled as what not to do)", Severity.LOW)


class _Mentions:
    """Whether a hit in a file is a quoted example: a negated mention or a what-not-to-do block,
    judged exactly as the static rules judge theirs (skills/rules.py reads the context)."""

    def __init__(self, rel: str, data: bytes, text: str):
        self.text = text
        self.context = FileContext(data, file_kind(rel, data[:4096]))

    def example(self, at: int, size: int, line: int) -> bool:
        start = len(self.text[:at].encode("utf-8", "surrogateescape"))
        return self.context.at(start, start + size, line)[1]


def _finding(iocs: IocSet, ind: Indicator, name: str, path: Path | str, line: int | None, what: str,
             severity: Severity | None = None) -> Finding:
    entry = catalog.get("skill.known-malicious")
    campaign = f" [{ind.campaign}]" if ind.campaign else ""
    return Finding(
        check=entry.id, severity=severity or ind.severity, title=entry.title.format(name=name),
        target=str(path), path=str(path), line=line, skill=name,
        evidence=FindingEvidence(summary=f"indicator {ind.id}{campaign}: {what} "
                                         f"(rules/iocs.yaml {iocs.version}; sources: {', '.join(ind.sources)})"),
        remediation=entry.remediation, references=iocs.references(ind),
    )


def ioc_hook(iocs: IocSet | None = None):
    """A skills.audit RulesHook matching `iocs` (default: the shipped set)."""
    chosen = iocs

    def hook(ctx) -> Iterable[Finding]:
        return match_skill(chosen if chosen is not None else load_iocs(), ctx)

    return hook
