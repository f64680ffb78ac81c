"""`gatescan skills`: inventory, manifest, identity and allowlist joined into records and findings.

app.audit_skills calls `audit_skills` and puts the result in a Report (`to_report`); a rules
engine plugs in as a `RulesHook` that returns findings for one skill. Titles, remediation and
severities are the catalogue's (gatescan/catalog.py; docs/skills.md shows them).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from .. import catalog
from ..model import ErrorRecord, Finding, FindingEvidence, Report, Severity, SkillRecord, utc_now
from . import allowlist as allow
from . import hashes as hashing
from .identity import LockCache, Mismatch, Provenance, compare, provenance
from .inventory import FoundSkill, SkillRoot, SymlinkEscape, WalkError, default_roots, discover, inside, user_roots
from .manifest import Manifest, ManifestIssue, read_manifest


@dataclass
class SkillContext:
    """What a rules engine sees of one skill (files are read by the rule, bounded)."""

    record: SkillRecord
    dir: Path
    skill_file: Path
    manifest: Manifest
    files: Mapping[str, str]  # files ClawHub would publish -> sha256 ({} if not hashed)
    root: SkillRoot


# findings for one skill; an ErrorRecord it yields (a file it could not scan whole) goes to errors[]
RulesHook = Callable[[SkillContext], Iterable[Finding | ErrorRecord]]


@dataclass
class SkillsAudit:
    skills: list[SkillRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    roots: list[SkillRoot] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def apply_to(self, report: Report) -> Report:
        """Put the audit into a report: skills[], findings[], errors[], stats.skills."""
        report.skills = (report.skills or []) + self.skills
        report.findings.extend(self.findings)
        report.errors.extend(self.errors)
        report.stats["skills"] = dict(self.stats)
        return report

    def to_report(self, report: Report | None = None) -> Report:
        """The audit as a finished report: `report` (one an observer already holds) or a new one."""
        report = report if report is not None else Report()
        # the roots that were there to audit (absent default roots say nothing)
        report.scope.targets = [str(r.path) for r in self.roots if r.explicit or os.path.isdir(r.path)]
        self.apply_to(report)
        report.finish()
        return report


def _finding(check: str, name: str, *, skill: str | None, path: Path | str, line: int | None,
             summary: str, case: str | None = None, **title_fields: str) -> Finding:
    """A finding worded and rated by the check's catalogue entry (`case`: one of its situations)."""
    entry = catalog.get(check)
    wording = entry.wording(case)
    return Finding(
        check=check,
        severity=wording.severity or entry.severity,
        title=wording.title.format(name=name, **title_fields),
        target=str(path),
        path=str(path),
        line=line,
        skill=skill,
        evidence=FindingEvidence(summary=summary),
        remediation=wording.remediation,
        references=list(entry.references),
    )


def _source(prov: Provenance, root: SkillRoot) -> str:
    if prov.source_kind:
        return prov.source_kind
    if prov.managed:
        reg = (prov.registry or "").lower()
        return "clawhub" if not reg or "clawhub" in reg or "clawdhub" in reg else "registry"
    if root.source == "openclaw-bundled":
        return "bundled"
    if root.source == "claude-plugin":
        return "plugin"
    return "local"


class _Auditor:
    def __init__(self, allowlist: allow.Allowlist | None, rules: Sequence[RulesHook], report_unlisted: bool,
                 home: Path | None = None):
        self.allowlist = allowlist
        self.home = home
        self.rules = rules
        self.report_unlisted = report_unlisted
        self.locks = LockCache()
        self.out = SkillsAudit()
        self.winners: dict[tuple[str, str], SkillRecord] = {}

    def error(self, where: str | Path, message: str) -> None:
        self.out.errors.append(ErrorRecord(where=str(where), message=message))

    def escape(self, link: Path, target: str, skill: str | None, outside: str = "the skills root") -> None:
        self.out.findings.append(_finding(
            "skill.symlink.escape", link.name, outside=outside,
            skill=skill, path=link, line=None,
            summary=f"{link} -> {target} (outside {outside}; not followed)",
        ))

    def run_root(self, root: SkillRoot) -> None:
        for item in discover(root):
            if isinstance(item, WalkError):
                self.error(item.where, item.message)
            elif isinstance(item, SymlinkEscape):
                name = item.link.parent.name if item.outside == "its skill folder" else item.link.name
                self.escape(item.link, item.target, name, item.outside)
            else:
                try:
                    self.skill(item)
                except Exception as exc:  # noqa: BLE001 - one broken skill never ends the audit
                    self.error(item.dir, f"skill audit failed: {type(exc).__name__}: {exc}")

    def skill(self, found: FoundSkill) -> None:
        first, audited = len(self.out.findings), len(self.out.skills)
        self._skill(found)
        if len(self.out.skills) > audited:
            _pin(self.out.findings[first:], self.out.skills[-1])

    def _skill(self, found: FoundSkill) -> None:
        root = found.root
        try:
            manifest = read_manifest(found.skill_file)
        except OSError as exc:
            self.error(found.skill_file, f"cannot read: {exc.strerror or exc}")
            manifest = Manifest(issues=[ManifestIssue(f"cannot read: {exc.strerror or exc}", None)])
        name = manifest.name or found.dir.name
        unhashable = ""
        try:
            hashes: hashing.SkillHashes | None = hashing.compute(found.dir)
        except hashing.HashLimitError as exc:
            hashes, unhashable = None, str(exc)
            self.error(found.dir, f"not fingerprinted: {exc}")
        except OSError as exc:
            hashes, unhashable = None, str(exc.strerror or exc)
            self.error(getattr(exc, "filename", None) or found.dir, f"not fingerprinted: {exc.strerror or exc}")
        prov, prov_errors = provenance(found.dir, root.path, self.locks)
        for pe in prov_errors:
            self.error(pe.path, pe.problem)

        record = SkillRecord(
            name=name, path=str(found.dir), root=str(root.path), agent=root.agent,
            source=_source(prov, root), slug=prov.slug, owner=prov.owner,
            version=prov.version or manifest.version,
            fingerprint=hashes.fingerprint if hashes else None, status="unlisted",
            registry=prov.registry, skill_file=found.skill_file.name, root_source=root.source,
            skill_file_sha256=hashes.skill_file["sha256"] if hashes and hashes.skill_file else None,
            file_tree_sha256=hashes.file_tree_sha256 if hashes else None,
        )
        skill_path = found.skill_file

        for issue in manifest.issues:
            self.out.findings.append(_finding(
                "skill.manifest.invalid", name,
                skill=name, path=skill_path, line=issue.line, summary=issue.message,
            ))
        if manifest.conflict:
            self.out.findings.append(_finding(
                "skill.manifest.conflict", name,
                skill=name, path=skill_path, line=manifest.conflict_line, summary=manifest.conflict,
            ))

        # symlinks inside the skill that leave the root (recorded by the hash walk)
        if hashes is None or hashes.file_tree_problem:
            self._escapes_inside(found, name)

        # recorded hashes vs. the files
        if hashes:
            mismatches = compare(prov, hashes)
        else:  # fail closed: what cannot be hashed cannot be shown to match what was recorded
            mismatches = [Mismatch(what, where, value, None, f"cannot be verified: {unhashable}")
                          for what, where, value in prov.recorded]
        match = None
        if self.allowlist is not None:
            match = allow.match(
                self.allowlist, slug=prov.slug, owner=prov.owner, registry=prov.registry,
                version=record.version, name=name,
                fingerprint=hashes.fingerprint if hashes else None,
                source_fingerprint=hashes.source_fingerprint if hashes else None,
                file_tree_sha256=hashes.file_tree_sha256 if hashes else None,
                skill_file_sha256=hashes.skill_file["sha256"] if hashes and hashes.skill_file else None,
                files={_clean(k): v for k, v in hashes.files.items()} if hashes else None,
                skill_dir=found.dir, home=self.home,
            )
        approved_bytes = match is not None and match.status == "allowlisted" and match.entry is not None \
            and match.entry.has_hashes

        status = "unlisted"
        if match is not None and match.status == "malicious":
            status = "malicious"
            self.out.findings.append(_finding(
                "skill.known-malicious", name,
                skill=name, path=skill_path, line=None,
                summary=f"{match.entry.label() if match.entry else name}: {match.detail} "
                        f"(from {match.entry.source if match.entry else 'allowlist'})",
            ))
        elif mismatches and not approved_bytes:
            status = "modified"
            parts = []
            for mm in mismatches:
                note = f" ({mm.note})" if mm.note else ""
                parts.append(f"{mm.what} recorded in {mm.where} is {mm.recorded}, files now give {mm.actual}{note}")
            self.out.findings.append(_finding(
                "skill.modified", name,
                skill=name, path=skill_path, line=None, summary="; ".join(parts),
            ))
        elif match is not None and match.status == "modified":
            status = "modified"
            changed = f"; changed files: {', '.join(match.changed_files[:20])}" if match.changed_files else ""
            self.out.findings.append(_finding(
                "skill.modified", name, case="approved_copy",
                skill=name, path=skill_path, line=None,
                summary=f"{match.entry.label() if match.entry else name}: {match.detail}{changed}",
            ))
        elif match is not None and match.status == "allowlisted":
            status = "allowlisted"
        elif self.allowlist is not None and self.report_unlisted:
            who = f"@{prov.owner}/{prov.slug}" if prov.owner and prov.slug else (prov.slug or name)
            namesakes = match.namesakes if match is not None else []
            shares = (f"; approved entr{'y' if len(namesakes) == 1 else 'ies'} "
                      f"{', '.join(e.label() for e in namesakes[:5])} only share{'s' if len(namesakes) == 1 else ''} "
                      f"its name" if namesakes else "")
            self.out.findings.append(_finding(
                "skill.unlisted", name,
                skill=name, path=skill_path, line=None,
                summary=f"{who} ({record.source}, version {record.version or 'unknown'}) is in no "
                        f"allowlist entry of {', '.join(self.allowlist.sources) or 'the allowlist'}{shares}",
            ))
        record.status = status

        for hook in self.rules:
            ctx = SkillContext(record, found.dir, found.skill_file, manifest,
                               hashes.files if hashes else {}, root)
            try:
                for f in hook(ctx):
                    if isinstance(f, ErrorRecord):
                        self.out.errors.append(f)
                        continue
                    f.skill = f.skill or name
                    self.out.findings.append(f)
                    if f.severity == Severity.CRITICAL:
                        record.status = "malicious"
            except Exception as exc:  # noqa: BLE001 - a broken rule never ends the audit
                self.error(found.dir, f"rules failed: {type(exc).__name__}: {exc}")

        self._shadowing(record, root, skill_path)
        self.out.skills.append(record)

    def _escapes_inside(self, found: FoundSkill, name: str) -> None:
        real_root = found.real_root or os.path.realpath(found.root.path)
        stack = [(found.dir, 0)]
        seen = 0
        while stack:
            d, depth = stack.pop()
            try:
                with os.scandir(d) as it:
                    for e in it:
                        seen += 1
                        if seen > hashing.MAX_FILES:
                            return
                        if e.is_symlink():
                            target = os.path.realpath(e.path)
                            if not inside(target, real_root):
                                self.escape(Path(e.path), target, name)
                        elif e.is_dir(follow_symlinks=False) and depth < hashing.MAX_DEPTH:
                            stack.append((Path(e.path), depth + 1))
            except OSError:
                continue

    def _shadowing(self, record: SkillRecord, root: SkillRoot, skill_path: Path) -> None:
        key = (root.agent, record.name.lower())
        winner = self.winners.get(key)
        if winner is None:
            self.winners[key] = record
            return
        hijack = record.status == "allowlisted" and winner.status != "allowlisted"
        where = "the same root" if winner.root == record.root else f"{winner.root}"
        self.out.findings.append(_finding(
            "skill.shadowed", record.name, case="hijack" if hijack else None,
            skill=record.name, path=skill_path, line=None,
            summary=f"{root.agent} loads {winner.path} ({winner.status}, from {where}) instead of "
                    f"{record.path} ({record.status})",
        ))


def _pin(findings: list[Finding], record: SkillRecord) -> None:
    """Key each finding of a skill to its exact fileTreeSha256, so that a suppression written
    from it (report/suppress.py) stops applying the moment a file of the skill changes."""
    if record.file_tree_sha256:
        for f in findings:
            f.extra.setdefault("file_tree_sha256", record.file_tree_sha256)


def resolve_roots(roots: Sequence[Path | str | SkillRoot] | None, home: Path, cwd: Path,
                  env: Mapping[str, str] | None = None) -> list[SkillRoot]:
    return user_roots(roots) if roots else default_roots(home, cwd, env)


def audit_skills(
    roots: Sequence[Path | str | SkillRoot] | None = None,
    *,
    allowlist: allow.Allowlist | None = None,
    home: Path | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    rules: Sequence[RulesHook] = (),
    report_unlisted: bool = True,
) -> SkillsAudit:
    """Audit the skills under `roots` (None or empty: every agent's default roots).

    Never raises for bad input: unreadable or hostile files become findings or errors.
    `skill.unlisted` findings appear only when an allowlist is given.
    """
    started = time.perf_counter()
    home = Path(home) if home is not None else Path.home()
    cwd = Path(cwd) if cwd is not None else Path.cwd()
    resolved = resolve_roots(roots, home, cwd, env)
    auditor = _Auditor(allowlist, rules, report_unlisted, home)
    scanned = 0
    for root in resolved:
        if root.explicit or os.path.isdir(root.path):
            scanned += 1
        auditor.run_root(root)
    out = auditor.out
    out.roots = resolved
    _printable(out)
    counts: dict[str, int] = {}
    for s in out.skills:
        counts[s.status] = counts.get(s.status, 0) + 1
    out.stats = {
        "roots": len(resolved),
        "roots_present": scanned,
        "skills": len(out.skills),
        "by_status": counts,
        "allowlist": list(allowlist.sources) if allowlist else [],
        "seconds": round(time.perf_counter() - started, 3),
        "finished_at": utc_now(),
    }
    return out


def _clean(text):
    """A file name that is not UTF-8 arrives with surrogate escapes, which no UTF-8 writer
    accepts: show those bytes as \\xNN instead."""
    if not isinstance(text, str):
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _printable(audit: SkillsAudit) -> None:
    for r in audit.skills:
        for name in ("name", "path", "root", "slug", "owner", "version", "registry"):
            setattr(r, name, _clean(getattr(r, name)))
    for f in audit.findings:
        for name in ("title", "target", "path", "skill", "remediation"):
            setattr(f, name, _clean(getattr(f, name)))
        f.evidence.summary = _clean(f.evidence.summary)
    for e in audit.errors:
        e.where, e.message = _clean(e.where), _clean(e.message)


def _recorded_root(directory: Path | str, home: Path) -> str:
    """`directory` as an allowlist records it: absolute, `~/`-relative when under the home,
    so one allowlist serves every user's machine."""
    real, real_home = os.path.realpath(directory), os.path.realpath(home)
    if inside(real, real_home):
        rel = os.path.relpath(real, real_home)
        return "~" if rel == "." else "~/" + rel.replace(os.sep, "/")
    return real


def identities(root: SkillRoot, locks: LockCache | None = None
               ) -> Iterator[tuple[FoundSkill, Manifest, hashing.SkillHashes, Provenance]]:
    """Each skill under `root` with its manifest, hashes and provenance; skills that cannot
    be read or hashed are left out (the audit reports them)."""
    locks = locks if locks is not None else LockCache()
    for item in discover(root):
        if not isinstance(item, FoundSkill):
            continue
        try:
            manifest = read_manifest(item.skill_file)
            hashes = hashing.compute(item.dir)
        except (OSError, hashing.HashLimitError):
            continue
        prov, _ = provenance(item.dir, item.root.path, locks)
        yield item, manifest, hashes, prov


def init_allowlist(directory: Path | str, *, comment: str | None = None,
                   home: Path | None = None) -> allow.Allowlist:
    """Snapshot the skills under `directory` as approved: identity plus every hash. A local
    skill's entry records `directory` as its root, so a same-named skill elsewhere is not it."""
    root = _clean(_recorded_root(directory, Path(home) if home is not None else Path.home()))
    entries: list[allow.AllowEntry] = []
    for item, manifest, hashes, prov in identities(SkillRoot(Path(directory), "user", "path", 0, explicit=True)):
        name = manifest.name or item.dir.name
        entries.append(allow.AllowEntry(
            slug=prov.slug, owner=prov.owner, registry=prov.registry,
            version=prov.version or manifest.version,
            name=None if prov.slug else _clean(name),
            root=None if prov.slug else root,
            fingerprint=hashes.fingerprint, file_tree_sha256=hashes.file_tree_sha256,
            skill_file_sha256=hashes.skill_file["sha256"] if hashes.skill_file else None,
            files={_clean(k): v for k, v in hashes.files.items()} or None,
            reason=_clean(f"snapshot of {item.dir}"),
        ))
    return allow.new_allowlist(entries, comment or f"gatescan allowlist init {directory}")
