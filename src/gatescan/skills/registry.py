"""The marketplace, online only when asked (`gatescan skills --registry URL`).

For each local skill ClawHub is asked which published version its fingerprint is
(`GET /api/v1/resolve`, one skill per request, paced) and then that version's security
verdict (`POST /api/v1/skills/-/security-verdicts`, at most 100 per request). Only slug,
owner handle, version and fingerprint leave the machine, never a file. The answers become
allowlist entries keyed to the skill's exact hashes (fileTreeSha256, fingerprint), so the
audit matches them like any allowlist and they stop applying when a file changes; saved,
they are the allowlist snapshot for offline runs. Endpoints: docs/skills.md, "Registry".
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, Sequence
from urllib.parse import urlencode, urlsplit

from ..model import ErrorRecord, SkillRecord
from ..net.client import Client, Limits
from . import allowlist as allow
from .audit import _recorded_root, identities, resolve_roots
from .identity import LockCache
from .inventory import SkillRoot

DEFAULT_REGISTRY = "https://clawhub.ai"  # ClawHub; the API lives under /api/v1 there
MAX_BATCH = 100  # security-verdicts takes 1-100 unique {slug, version} items
MAX_ANSWER = 2 * 1024 * 1024


class RegistryUnreachable(Exception):
    """The registry did not answer at all (offline, DNS, refused, TLS): nothing was asked."""


@dataclass(frozen=True)
class RegistryOptions:
    """How gatescan talks to the registry: a small rate (ClawHub publishes 3,000 requests a
    minute per IP; we stay far below), per-request timeouts, bounded retries after a 429."""

    url: str = DEFAULT_REGISTRY
    rate: float = 5.0  # requests per second
    timeout: float = 10.0  # one request, end to end
    retries: int = 3  # after a 429 or a transport error
    max_retry_after: float = 30.0  # longest Retry-After honoured; longer gives up on that request

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"--registry wants an http(s) base URL such as {DEFAULT_REGISTRY}, not {self.url!r}")
        if not self.rate > 0 or not self.timeout > 0 or self.retries < 0:
            raise ValueError("registry rate and timeout must be positive, retries not negative")

    @property
    def base(self) -> str:
        return self.url.rstrip("/")


@dataclass
class LocalSkill:
    """What is sent (slug, owner, fingerprint) and what the answer is keyed to (the hashes)."""

    name: str
    path: str
    root: str
    slug: str | None  # registry identity from origin/lock; None: a local copy, asked by its name
    owner: str | None
    registry: str | None
    version: str | None
    fingerprints: tuple[str, ...]  # source fingerprint first, then the full one if it differs
    file_tree_sha256: str | None
    skill_file_sha256: str | None


@dataclass
class RegistryAnswers:
    url: str
    allowlist: allow.Allowlist
    errors: list[ErrorRecord] = field(default_factory=list)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)  # skill path -> what the registry said
    stats: dict[str, int] = field(default_factory=dict)

    def annotate(self, records: Sequence[SkillRecord]) -> None:
        """Put what the registry said about each skill into its record (`registry_answer`)."""
        for record in records:
            note = self.notes.get(record.path)
            if note is not None:
                record.extra["registry_answer"] = note


class Pacer:
    """At most `rate` requests a second: each wait() returns no earlier than 1/rate after the last."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.gap, self.clock, self.sleep = 1.0 / rate, clock, sleep
        self.next = 0.0

    async def wait(self) -> None:
        now = self.clock()
        if now < self.next:
            await self.sleep(self.next - now)
            now = self.next
        self.next = now + self.gap

    async def pause(self, seconds: float) -> None:
        """A 429 asked for a pause: nothing is sent before it ends."""
        await self.sleep(seconds)
        self.next = max(self.next, self.clock())


def local_skills(roots: Sequence[Path | str | SkillRoot] | None, *, home: Path | None = None,
                 cwd: Path | None = None, env: Mapping[str, str] | None = None) -> list[LocalSkill]:
    """The skills the audit will see, with the hashes the questions and answers are keyed to."""
    home = Path(home) if home is not None else Path.home()
    cwd = Path(cwd) if cwd is not None else Path.cwd()
    out: list[LocalSkill] = []
    locks = LockCache()
    for root in resolve_roots(roots, home, cwd, env):
        for item, manifest, hashes, prov in identities(root, locks):
            fps = tuple(dict.fromkeys(f for f in (hashes.source_fingerprint, hashes.fingerprint) if f))
            out.append(LocalSkill(
                name=manifest.name or item.dir.name, path=str(item.dir), root=_recorded_root(root.path, home),
                slug=prov.slug, owner=prov.owner, registry=prov.registry,
                version=prov.version or manifest.version, fingerprints=fps,
                file_tree_sha256=hashes.file_tree_sha256,
                skill_file_sha256=hashes.skill_file["sha256"] if hashes.skill_file else None,
            ))
    return out


class _Asker:
    def __init__(self, client: Client, opts: RegistryOptions, pacer: Pacer):
        self.client, self.opts, self.pacer = client, opts, pacer
        self.answered = False  # has the registry answered anything yet (else: unreachable)
        self.requests = self.rate_limited = 0

    async def ask(self, method: str, path: str, *, query: dict[str, str] | None = None,
                  body: Any = None) -> tuple[int | None, Any, str | None]:
        """(status, JSON, problem); RegistryUnreachable if the very first request gets no answer."""
        url = self.opts.base + path + (f"?{urlencode(query)}" if query else "")
        problem = None
        for attempt in range(self.opts.retries + 1):
            await self.pacer.wait()
            self.requests += 1
            res = await self.client.http(method, url, json_body=body, timeout=self.opts.timeout,
                                         max_body=MAX_ANSWER, headers={"Accept": "application/json"},
                                         note="skills --registry")
            if res.status is None:
                if not self.answered:
                    raise RegistryUnreachable(f"cannot reach the registry {self.opts.base}: {res.error}")
                problem = f"no answer: {res.error}"
                continue
            self.answered = True
            if res.status == 429:
                self.rate_limited += 1
                wait = _retry_after(res.headers.get("retry-after"))
                problem = "rate limited (429)"
                if wait > self.opts.max_retry_after:
                    return res.status, None, f"{problem}; Retry-After {wait:.0f}s is longer than we wait"
                if attempt < self.opts.retries:
                    await self.pacer.pause(wait)
                continue
            if res.truncated or res.error:
                return res.status, None, f"incomplete answer: {res.error or 'over the size cap'}"
            return res.status, res.json(), None if 200 <= res.status < 300 or res.status == 404 else \
                f"HTTP {res.status}: {(res.text or '')[:200].strip()}"
        return None, None, f"{problem} after {self.opts.retries + 1} attempts"


def _retry_after(value: str | None) -> float:
    """Seconds a 429's Retry-After asks for (seconds or an HTTP date); 1 when absent or unreadable."""
    if not value:
        return 1.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return 1.0


async def query(skills: Sequence[LocalSkill], opts: RegistryOptions, client: Client,
                pacer: Pacer | None = None) -> RegistryAnswers:
    """Ask the registry about `skills`; RegistryUnreachable when it never answers."""
    asker = _Asker(client, opts, pacer or Pacer(opts.rate))
    answers = RegistryAnswers(url=opts.base, allowlist=allow.Allowlist([], [f"{opts.base} (registry)"]))
    matched: list[tuple[LocalSkill, str, str | None]] = []  # (skill, version, fingerprint that matched)
    unknown = not_found = 0
    for skill in skills:
        slug = skill.slug or skill.name
        note: dict[str, Any] = {"registry": opts.base, "slug": slug, "version": None}
        answers.notes[skill.path] = note
        if not skill.fingerprints:
            note["problem"] = "not fingerprinted"
            continue
        version = latest = None
        found = True
        for fp in skill.fingerprints:
            q = {"slug": slug, "hash": fp}
            if skill.owner:
                q["ownerHandle"] = skill.owner
            status, doc, problem = await asker.ask("GET", "/api/v1/resolve", query=q)
            if problem:
                note["problem"] = problem
                answers.errors.append(ErrorRecord(where=skill.path, message=f"registry resolve {slug}: {problem}"))
                break
            if status == 404 or not isinstance(doc, dict):
                found = False  # the registry does not know the slug
                break
            match, lv = doc.get("match"), doc.get("latestVersion")
            latest = lv.get("version") if isinstance(lv, dict) else latest
            if isinstance(match, dict) and isinstance(match.get("version"), str):
                version = match["version"]
                note["fingerprint"] = fp
                break
        note["latest"] = latest
        if version is None:
            if "problem" in note:
                pass
            elif not found:
                not_found += 1
                note["match"] = "not found: the registry has no skill of that slug"
            else:
                unknown += 1
                note["match"] = "unknown: no published version has these files"
            continue
        note["version"] = version
        matched.append((skill, version, note.get("fingerprint")))

    verdicts: dict[tuple[str, str | None, str], dict] = {}
    wanted = list(dict.fromkeys((s.slug or s.name, s.owner, v) for s, v, _ in matched))
    for i in range(0, len(wanted), MAX_BATCH):
        batch = wanted[i:i + MAX_BATCH]
        items = [{"slug": slug, "version": v, **({"ownerHandle": owner} if owner else {})} for slug, owner, v in batch]
        status, doc, problem = await asker.ask("POST", "/api/v1/skills/-/security-verdicts", body={"items": items})
        got = doc.get("items") if isinstance(doc, dict) else None
        if problem or not isinstance(got, list):
            answers.errors.append(ErrorRecord(where=opts.base, message=f"registry security-verdicts for "
                                              f"{len(batch)} skill(s): {problem or 'no items in the answer'}"))
            continue
        for slug, owner, v in batch:
            item = next((it for it in got if isinstance(it, dict) and it.get("requestedSlug", it.get("slug")) == slug
                         and it.get("requestedVersion", it.get("version")) == v
                         and (not owner or not it.get("publisherHandle")
                              or str(it["publisherHandle"]).lower() == owner.lower())), None)
            if item is not None:
                verdicts[(slug, owner, v)] = item

    counts = {"asked": len(skills), "matched": len(matched), "unknown": unknown, "not_found": not_found,
              "pass": 0, "malicious": 0,
              "no_verdict": 0}
    for skill, version, fp in matched:
        slug = skill.slug or skill.name
        note = answers.notes[skill.path]
        item = verdicts.get((slug, skill.owner, version))
        if item is None:
            counts["no_verdict"] += 1
            continue
        security = item.get("security") if isinstance(item.get("security"), dict) else {}
        note["decision"] = item.get("decision")
        note["security"] = security.get("status")
        if item.get("securityAuditUrl"):
            note["audit"] = item["securityAuditUrl"]
        entry = allow._verdict_entry({**item, "slug": item.get("slug") or slug})
        if entry is None:  # suspicious, pending, not found: approves nothing, proves nothing
            counts["no_verdict"] += 1
            continue
        counts["malicious" if entry.verdict == allow.BLOCK else "pass"] += 1
        # keyed to these very bytes: the fingerprint that resolved and the tree as it is now
        # (the version only where the local record agrees: the hashes are the key, and an
        # origin.json that names another version would otherwise make the entry miss)
        entry.version = version if skill.version in (None, version) else None
        entry.fingerprint = fp
        entry.file_tree_sha256, entry.skill_file_sha256 = skill.file_tree_sha256, skill.skill_file_sha256
        entry.source = "registry"
        entry.reason = f"{entry.reason}; {opts.base} says these files are version {version}"
        if skill.slug:
            entry.registry, entry.owner = skill.registry or opts.base, skill.owner or entry.owner
        else:  # a local copy: name it in its root, as allowlist init does
            entry.slug, entry.owner, entry.name, entry.root = None, None, skill.name, skill.root
            entry.reason += f" (@{item.get('publisherHandle') or '?'}/{slug})"
        answers.allowlist.entries.append(entry)
    counts["requests"], counts["rate_limited"] = asker.requests, asker.rate_limited
    answers.stats = counts
    return answers


def ask_registry(skills: Sequence[LocalSkill], opts: RegistryOptions,
                 limits: Limits | None = None) -> RegistryAnswers:
    """`query` on its own event loop and a verifying client (a registry's answer is trusted)."""
    async def run() -> RegistryAnswers:
        async with Client(limits or Limits(), verify_tls=True) as client:
            return await query(skills, opts, client)

    return asyncio.run(run())


def snapshot(answers: RegistryAnswers) -> allow.Allowlist:
    """The answers as an allowlist file for offline runs (gatescan allowlist format)."""
    return allow.new_allowlist(answers.allowlist.entries,
                               comment=f"gatescan skills --registry {answers.url}: verdicts keyed to exact hashes")
