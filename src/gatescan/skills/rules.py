"""Static rules for malicious skills (and poisoned MCP tools): rules are data in rules/*.yaml,
matched with RE2 (linear time in the input, so no pattern can be made to backtrack).

A rule names *signals* (patterns) and the combinations of them that make it fire; a lone weak
signal, a negated mention ("never run `curl | sh`") or a block labelled as what not to do
raises nothing. Each text is scanned as written, as normalised (split, escaped or look-alike
text put back together) and as decoded (base64, hex, URL, char codes, Unicode tags; bounded
depth and bytes). `scan_text` matches one text; `scan_skill` one skill folder, adding the rules
that need the manifest, the file types or signals from several files. docs/skills.md, Rules.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence

import re2

from .. import typed
from .._paths import data_dir
from ..model import Severity
from ..userio import YamlError, load_yaml, read_bounded

__all__ = ["RuleError", "RuleHit", "RuleSet", "ScanStats", "SkillHit", "SkillScan", "file_kind", "load_rules", "sample_bytes"]

SCHEMA = "gatescan.rules/v1"

# --- bounds (docs/skills.md, Bounds) ---------------------------------------------------------
MAX_FILE_HEAD = 2 * 1024 * 1024  # bytes of a file scanned from its start ...
MAX_FILE_TAIL = 512 * 1024  # ... and from its end, when it is larger (a payload padded past the head)
MAX_SKILL_FILES = 500  # files scanned per skill
MAX_SKILL_BYTES = 24 * 1024 * 1024  # bytes scanned per skill
MAX_DEPTH = 3  # decode layers (base64 of hex of ...)
MAX_DECODED = 1024 * 1024  # decoded bytes rescanned per file, all layers together
MAX_BLOB = 64 * 1024  # bytes of one blob decoded (a stager is small; a big decoy blob cannot spend the budget)
MAX_BLOBS = 64  # encoded blobs decoded per file
MAX_HITS = 20  # hits kept per signal and text
MAX_NORMALISED_LINES = 5_000  # changed lines rescanned as normalised text per file
MAX_LINE_SCAN = 64 * 1024  # chars of one line normalised in Python (the rest is RE2's alone)
EXCERPT = 160

SEVERITIES = tuple(s.value for s in Severity)
FAMILIES = ("remote-exec", "encoded-payload", "archive-password", "exfiltration", "credential-access",
            "reverse-shell", "persistence", "prompt-injection", "hidden-unicode", "homoglyph", "evasion",
            "file-type", "unpinned-download", "typosquat", "privileged")
FileKind = Literal["markdown", "script", "manifest", "text"]
KINDS: tuple[str, ...] = ("markdown", "script", "manifest", "text")


class RuleError(ValueError):
    """A rule file that cannot be used: names the file, the rule id and what is wrong."""


# --- the schema: rule files are these dataclasses (validated by gatescan.typed) ---------------

@dataclass(frozen=True)
class SignalSpec:
    __pydantic_config__ = typed.STRICT

    pattern: str  # RE2 syntax, case-insensitive unless `case_sensitive`
    description: str = ""
    exclude: str | None = None  # a hit whose matched text matches this is dropped
    case_sensitive: bool = False
    negatable: bool = True  # False: a negation nearby does not cancel it (it is one itself)


Sample = str | dict[str, str]  # one text, or {relative path: content} for a skill folder


def sample_bytes(content: str) -> bytes:
    """A sample file's bytes: UTF-8, except that a string holding a NUL and nothing above U+00FF
    is binary written with YAML's \\xNN escapes (latin-1)."""
    if "\x00" in content and all(ord(c) < 256 for c in content):
        return content.encode("latin-1")
    return content.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Samples:
    __pydantic_config__ = typed.STRICT

    positive: tuple[Sample, ...]
    negative: tuple[Sample, ...]


@dataclass(frozen=True)
class RuleSpec:
    __pydantic_config__ = typed.STRICT

    id: str
    family: str
    severity: str
    title: str  # the finding's title, before ": <skill name>"
    description: str
    remediation: str
    references: tuple[str, ...]
    samples: Samples
    # alternatives: the rule fires when every signal of one alternative has a hit; the hit
    # reported is that of the alternative's last signal (list the payload last)
    require: tuple[tuple[str, ...], ...] = ()
    builtin: str | None = None  # a rule coded in Python (manifest, file types, names, characters)
    scope: Literal["text", "skill"] = "text"  # skill: signals gathered over all the skill's files
    window: int = 0  # lines: the signals of an alternative lie this close (0: anywhere in the text)
    files: tuple[FileKind, ...] = ()  # the kinds of file it applies to (empty: all)
    markdown: str | None = None  # severity when every hit is in markdown (prose, code blocks, blobs decoded there)
    mention: str | None = None  # severity when every hit is quoted ("...", `...`) or in a code block in markdown
    params: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleFile:
    __pydantic_config__ = typed.STRICT

    schema: str
    rules: tuple[RuleSpec, ...]
    signals: dict[str, SignalSpec] = field(default_factory=dict)
    comment: str = ""


# --- results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleHit:
    """One rule firing in one text: where, what it saw and which signals made it."""

    rule_id: str
    severity: Severity
    line: int  # 1-based
    excerpt: str
    reason: str
    signals: tuple[str, ...]


@dataclass(frozen=True)
class SkillHit:
    path: str  # relative to the skill folder
    hit: RuleHit


@dataclass
class ScanStats:
    """Work counters (the bounds' proof): what was fed to the matcher, decoded, skipped."""

    files: int = 0
    bytes_read: int = 0
    bytes_matched: int = 0  # bytes handed to RE2, every view together
    decoded_bytes: int = 0
    blobs: int = 0
    max_depth: int = 0
    normalised_lines: int = 0

    def add(self, other: "ScanStats") -> None:
        for name in self.__dataclass_fields__:
            if name == "max_depth":
                self.max_depth = max(self.max_depth, other.max_depth)
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SkillScan:
    hits: list[SkillHit] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): not (fully) scanned
    stats: ScanStats = field(default_factory=ScanStats)


# --- compiled rules --------------------------------------------------------------------------

def _options(case_sensitive: bool = False) -> Any:
    o = re2.Options()
    o.log_errors = False
    o.case_sensitive = case_sensitive
    o.max_mem = 16 << 20
    return o


def _compile(pattern: str, case_sensitive: bool = False) -> Any:
    return re2.compile(pattern.encode("utf-8"), _options(case_sensitive))


@dataclass(frozen=True)
class _Signal:
    name: str
    regex: Any
    exclude: Any | None
    negatable: bool


@dataclass(frozen=True)
class _Rule:
    spec: RuleSpec
    severity: Severity
    markdown: Severity | None
    mention: Severity | None
    source: str  # the file it came from

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class _SignalHit:
    signal: str
    line: int
    excerpt: str
    context: str  # prose | code | script | manifest | text
    tags: tuple[str, ...] = ()  # how it was found: decoded:base64, normalised, ...
    negated: bool = False


_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class RuleSet:
    """Validated, compiled rules. `scan_text` one text; `scan_skill` one skill folder."""

    def __init__(self, rules: Sequence[_Rule], signals: Mapping[str, _Signal]):
        self.rules = tuple(rules)
        self.signals = dict(signals)
        self.by_id = {r.id: r for r in self.rules}
        self._names = list(self.signals)
        self._set = re2.Set.SearchSet(_options())
        self._sensitive = [n for n in self._names if self.signals[n].regex.options.case_sensitive]
        self._set_names: list[str] = []
        for n in self._names:
            if n in self._sensitive:
                continue
            self._set.Add(self.signals[n].regex.pattern)
            self._set_names.append(n)
        self._set.Compile()
        # each file and skill walks only the rules that can apply, sorted out once here
        self._by_scope = {scope: [r for r in self.rules if not r.spec.builtin and r.spec.scope == scope]
                          for scope in ("text", "skill")}
        self._file_type = [r for r in self.rules if r.spec.builtin == "file-type-mismatch"]
        self._text_builtins = [(r, _TEXT_BUILTINS[r.spec.builtin]) for r in self.rules if r.spec.builtin in _TEXT_BUILTINS]
        self._skill_builtins = [(r, _SKILL_BUILTINS[r.spec.builtin]) for r in self.rules
                                if r.spec.builtin in _SKILL_BUILTINS]

    # ---- signals over one view of a text
    def _signal_hits(self, data: bytes, kind: FileKind, stats: ScanStats, tags: tuple[str, ...],
                     line_of: Callable[[int], int], negation: "FileContext") -> list[_SignalHit]:
        stats.bytes_matched += len(data)
        candidates = [self._set_names[i] for i in (self._set.Match(data) or ())] + self._sensitive
        out: list[_SignalHit] = []
        for name in candidates:
            sig = self.signals[name]
            n = 0
            for m in sig.regex.finditer(data):
                if sig.exclude is not None and sig.exclude.search(m.group(0)):
                    continue
                stats.bytes_matched += 0  # finditer is one linear pass, counted above
                line = line_of(m.start())
                context, negated = negation.at(m.start(), m.end(), line)
                out.append(_SignalHit(name, line, _excerpt(data, m.start(), m.end()), context, tags,
                                      negated and sig.negatable))
                n += 1
                if n >= MAX_HITS:
                    break
        return out

    # ---- one text, every view
    def _collect(self, data: bytes, kind: FileKind, stats: ScanStats, depth: int = 0,
                 line_base: int | None = None, tags: tuple[str, ...] = (), context: str = "script") -> list[_SignalHit]:
        ctx = FileContext(data, kind) if line_base is None else _Flat(line_base, context)
        line_of = ctx.line_of
        hits = self._signal_hits(data, kind, stats, tags, line_of, ctx)
        # normalised: split, escaped, zero-width and look-alike text put back together
        if depth == 0:
            norm, lines, spans = _normalise(data, stats)
            if norm:
                flat = _Mapped(lines, ctx).bind(norm)
                raw: dict[str, set[int]] = {}
                for h in hits:
                    raw.setdefault(h.signal, set()).add(h.line)
                for h in self._signal_hits(norm, kind, stats, tags + ("normalised",), flat.line_of, flat):
                    first = h.line
                    last = spans.get(first, first)
                    if any(first <= n <= last for n in raw.get(h.signal, ())):
                        continue
                    if isinstance(ctx, FileContext):  # the raw span matches by itself (past MAX_HITS, say)
                        span = b"\n".join(ctx._line_text(n) for n in range(first, last + 1))
                        if self.signals[h.signal].regex.search(span):
                            continue
                    hits.append(h)
        # decoded: blobs and Unicode tags, rescanned as scripts one layer down
        if depth < MAX_DEPTH:
            for line_off, how, decoded in _decoded(data, stats):
                if stats.decoded_bytes + len(decoded) > MAX_DECODED:
                    break
                stats.decoded_bytes += len(decoded)
                stats.max_depth = max(stats.max_depth, depth + 1)
                line = line_of(line_off) if line_base is None else line_base
                # a blob inside a negated mention or a what-not-to-do block is as negated as its text
                context, negated = ctx.at(line_off, line_off, line)
                inner = self._collect(decoded, "script", stats, depth + 1, line, tags + (f"decoded:{how}",),
                                      "quoted" if context == "quoted" else context)
                hits.extend(replace(h, negated=True) if negated else h for h in inner)
        return hits

    def _evaluate(self, hits: Sequence[_SignalHit], kind: FileKind | None, kinds: frozenset[str] | None,
                  scope: str) -> list[RuleHit]:
        live: dict[str, list[_SignalHit]] = {}
        for h in hits:
            if not h.negated:
                live.setdefault(h.signal, []).append(h)
        out: list[RuleHit] = []
        if not live:  # every alternative needs a hit of each of its signals
            return out
        for rule in self._by_scope[scope]:
            spec = rule.spec
            if kinds is not None and spec.family not in kinds:
                continue
            if spec.files and kind is not None and kind not in spec.files:
                continue
            found = _satisfy(spec, live)
            if found is not None:
                out.append(_rule_hit(rule, found))
        return out

    def scan_text(self, text: str, *, source: str, kinds: frozenset[str] | None = None) -> list[RuleHit]:
        """The rules that fire on one text: a file's content, or an MCP tool's name, description
        and schema rendered as text. `source` names it, and its extension tells the kind of text
        (`.md` markdown, `.py` script, `.json` manifest; none, e.g. `mcp:server/tool`: plain text,
        which every text rule reads); `kinds` restricts to rule families. Rules that compose
        signals over a skill's files compose over this one text."""
        data = text.encode("utf-8", "surrogatepass")[: MAX_FILE_HEAD + MAX_FILE_TAIL]
        kind = file_kind(source, data)
        stats = ScanStats(bytes_read=len(data))
        hits = self._collect(data, kind, stats)
        # one text is its own whole: the rules that compose signals over a skill's files compose here
        out = self._evaluate(hits, kind, kinds, "text") + self._evaluate(hits, kind, kinds, "skill")
        for rule in self.rules:
            if rule.spec.builtin in _TEXT_BUILTINS and (kinds is None or rule.spec.family in kinds):
                out.extend(_TEXT_BUILTINS[rule.spec.builtin](rule, data, kind, hits))
        return sorted(out, key=lambda h: (h.line, h.rule_id))

    def scan_skill(self, skill_dir: Path | str, *, name: str | None = None, manifest: Any = None,
                   known_slugs: Iterable[str] = ()) -> SkillScan:
        """Every rule over every file of one skill folder (never follows symlinks, never runs
        anything); files past the bounds are listed in `skipped` with the reason."""
        skill_dir = Path(skill_dir)
        out = SkillScan()
        everything: list[tuple[str, _SignalHit]] = []
        for rel, path, size in _skill_files(skill_dir, out):
            try:
                data, truncated = _read(path, size)
            except OSError as exc:
                out.skipped.append((rel, f"cannot read: {exc.strerror or exc}"))
                continue
            out.stats.files += 1
            out.stats.bytes_read += len(data)
            if out.stats.bytes_read > MAX_SKILL_BYTES:
                out.skipped.append((rel, f"not scanned: the skill's {MAX_SKILL_BYTES // 2**20} MiB scan budget is spent"))
                break
            if truncated:
                out.skipped.append((rel, f"{size} bytes: scanned the first {MAX_FILE_HEAD // 2**20} MiB and the last "
                                         f"{MAX_FILE_TAIL // 1024} KiB"))
            data = _utf16_to_utf8(data)
            sniff = _sniff(rel, data)
            for rule in self._file_type:
                if sniff.mismatch:
                    out.hits.append(SkillHit(rel, _builtin_hit(rule, 1, sniff.evidence, sniff.mismatch, ("magic",))))
            if sniff.binary:
                out.skipped.append((rel, f"binary content ({sniff.evidence}): not scanned as text"))
                continue
            kind = file_kind(rel, data)
            hits = self._collect(data, kind, out.stats)
            everything.extend((rel, h) for h in hits)
            for rh in self._evaluate(hits, kind, None, "text"):
                out.hits.append(SkillHit(rel, rh))
            for rule, fn in self._text_builtins:
                out.hits.extend(SkillHit(rel, h) for h in fn(rule, data, kind, hits))
        # skill scope: signals from several files compose
        live: dict[str, list[tuple[str, _SignalHit]]] = {}
        for rel, h in everything:
            if not h.negated:
                live.setdefault(h.signal, []).append((rel, h))
        flat = {k: [h for _, h in v] for k, v in live.items()}
        for rule in self._by_scope["skill"] if live else ():
            found = _satisfy(rule.spec, flat)
            if found is not None:
                last = found[-1]
                rel = next(r for r, h in live[last.signal] if h is last)
                files = sorted({r for s in found for r, h in live[s.signal] if h is s})
                rh = _rule_hit(rule, found, files)
                out.hits.append(SkillHit(rel, rh))
        known = tuple(known_slugs)
        for rule, fn in self._skill_builtins:
            out.hits.extend(fn(rule, skill_dir, name, manifest, known, self))
        out.hits = _one_per_file(out.hits)
        return out


def _one_per_file(hits: list[SkillHit]) -> list[SkillHit]:
    """One hit per rule and file (a finding's key is check + skill + path), the most severe and
    then the first; how many more there were goes into its reason."""
    best: dict[tuple[str, str], SkillHit] = {}
    counts: dict[tuple[str, str], int] = {}
    for sh in hits:
        key = (sh.hit.rule_id, sh.path)
        counts[key] = counts.get(key, 0) + 1
        cur = best.get(key)
        if cur is None or (sh.hit.severity.rank, -sh.hit.line) > (cur.hit.severity.rank, -cur.hit.line):
            best[key] = sh
    out = []
    for key, sh in best.items():
        more = counts[key] - 1
        if more:
            sh = SkillHit(sh.path, RuleHit(sh.hit.rule_id, sh.hit.severity, sh.hit.line, sh.hit.excerpt,
                                           f"{sh.hit.reason} (and {more} more in this file)", sh.hit.signals))
        out.append(sh)
    return sorted(out, key=lambda s: (s.path, s.hit.line, s.hit.rule_id))


def _satisfy(spec: RuleSpec, live: Mapping[str, list[_SignalHit]]) -> list[_SignalHit] | None:
    """The hits (one per signal, in the alternative's order) of the first alternative that holds."""
    for alt in spec.require:
        if not all(live.get(s) for s in alt):
            continue
        if not spec.window:
            return [live[s][0] for s in alt[:-1]] + [live[alt[-1]][0]]
        for anchor in live[alt[-1]]:
            picked = []
            for s in alt[:-1]:
                near = [h for h in live[s] if abs(h.line - anchor.line) <= spec.window]
                if not near:
                    break
                picked.append(min(near, key=lambda h: abs(h.line - anchor.line)))
            else:
                return picked + [anchor]
    return None


def _rule_hit(rule: _Rule, found: Sequence[_SignalHit], files: Sequence[str] = ()) -> RuleHit:
    last = found[-1]
    if rule.mention is not None and all(h.context in ("quoted", "code") for h in found):
        sev = rule.mention
    elif rule.markdown is not None and all(h.context in _MARKDOWN for h in found):
        sev = rule.markdown
    else:
        sev = rule.severity
    signals: list[str] = []
    for h in found:
        for s in (h.signal, *(f"{h.signal}:{t}" for t in h.tags), f"in:{h.context}"):
            if s not in signals:
                signals.append(s)
    where = f" across {', '.join(files)}" if len(files) > 1 else ""
    seen = "; ".join(f"{h.signal} at line {h.line}" for h in found)
    how = {t for h in found for t in h.tags}
    via = f" (found {', '.join(sorted(how))})" if how else ""
    return RuleHit(rule.id, sev, last.line, last.excerpt, f"{rule.spec.description} Signals: {seen}{where}{via}.",
                   tuple(signals))


_MARKDOWN = ("prose", "code", "quoted")  # the contexts of a hit in a markdown file


def _builtin_hit(rule: _Rule, line: int, excerpt: str, reason: str, signals: tuple[str, ...],
                 severity: Severity | None = None) -> RuleHit:
    return RuleHit(rule.id, severity or rule.severity, line, excerpt[:EXCERPT], reason, signals)


# --- where a hit stands: prose, code block, script; negated or labelled as what not to do ------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
# a negation that governs the command that follows it on the line ("never run", "do not paste");
# "do not skip this step, run ..." and "don't forget to run" are not negations
_NEGATION = _compile(
    r"(?:\bnever|\bdo not|\bdon'?t|\bmust not|\bshould not|\bshouldn'?t|\bavoid|\brefuse to|\bnot to)"
    r"\s+(?:(?:ever|blindly|just|simply|directly|you|a|an|the|any|this|that|these|such|random|unknown|"
    r"untrusted|strange|scripts?|commands?|code|to)\s+){0,3}(?:run|running|execute|executing|paste|pasting|pipe|piping|curl|wget|type|"
    r"copy|install|download|use|using|trust|follow|source|include|add|write|send|put|echo|open|read|share|enter)\b"
    r"|\b(?:attackers?|malware|malicious|stealers?|infostealers?|phishing|scam(?:mer)?s?|red flags?|warning signs?|"
    r"instead of|rather than|is dangerous|are dangerous|unsafe|anti-?pattern|bad example|what not to do|"
    r"attempts? to|tries to|trying to|attempting to|designed to|detects?|detecting|flags?|blocks?)\b|\be\.g\.|\bi\.e\.|"
    r"\bfor example\b"
)
_LABEL = _compile(
    r"what not to do|don'?t do this|do not (?:do|run|copy|paste) this|never do this|bad example|bad:|unsafe|"
    r"anti-?pattern|malicious example|example of (?:a |an )?(?:malicious|attack|bad|dangerous|phishing)|"
    r"red flags?|attackers?|malware|\x{274C}|\bavoid\b|\bwrong\b|\bdangerous\b"
)


# said of the thing just named, after it on its line: "... are red flags", "... is a warning sign"
_AFTER = _compile(r"\b(?:red flags?|warning signs?)\b|^[^.;]{0,40}?\b(?:is|are)\s+(?:a\s+|an\s+)?(?:scam|phishing|malicious|dangerous)\b")


def _quoted(line: bytes, start: int) -> bool:
    """The hit opens a quotation: a quote or backtick just before it (emphasis marks aside)."""
    quotes = (b'"', b"'", b"`", "\u201c".encode(), "\u2018".encode(), "\u00ab".encode())
    if line[start:start + 3].startswith(quotes):  # a match that begins at its opening quote
        return True
    return line[max(0, start - 8): start].rstrip(b" *_").endswith(quotes)


def _negated(line: bytes, start: int, end: int) -> bool:
    """A hit at line[start:end] is a negated mention: a negation before it that governs it (its
    own first words included: "never copy ..." where the hit starts at "copy"), or a remark after it."""
    if _NEGATION.search(line[max(0, start - 400): min(end, start + 40)]):
        return True
    return bool(_AFTER.search(line[end: end + 400]))


class FileContext:
    """Line numbers and the context of a hit in one file's bytes (also the indicators' judge of
    a quoted example: skills/iocs.py)."""

    def __init__(self, data: bytes, kind: FileKind):
        self.data, self.kind = data, kind
        self._nl: list[int] | None = None
        self._fences: list[tuple[int, int, bool]] | None = None  # (first, last line, negated label)

    def line_of(self, offset: int) -> int:
        if self._nl is None:
            self._nl = [m.start() for m in re.finditer(b"\n", self.data)]
        import bisect
        return bisect.bisect_right(self._nl, offset - 1) + 1

    def _line_text(self, line: int) -> bytes:
        self.line_of(0)
        nl = self._nl or []
        start = nl[line - 2] + 1 if line >= 2 and line - 2 < len(nl) else 0
        end = nl[line - 1] if line - 1 < len(nl) else len(self.data)
        return self.data[start:end]

    def fences(self) -> list[tuple[int, int, bool]]:
        if self._fences is None:
            self._fences = []
            lines = self.data.decode("utf-8", "replace").split("\n")
            opened: tuple[int, str, str] | None = None
            recent: list[str] = []
            for i, line in enumerate(lines, 1):
                m = _FENCE.match(line[:1024])
                if opened is None and m:
                    label = m.group(2) + " " + " ".join(recent[-2:])
                    opened = (i, m.group(1)[0], label)
                elif opened is not None and m and m.group(1)[0] == opened[1] and not m.group(2).strip():
                    self._fences.append((opened[0], i, bool(_LABEL.search(opened[2].encode("utf-8")))))
                    opened = None
                elif opened is None and line.strip():
                    recent.append(line[:512])
            if opened is not None:
                self._fences.append((opened[0], len(lines), bool(_LABEL.search(opened[2].encode("utf-8")))))
        return self._fences

    def at(self, start: int, end: int, line: int) -> tuple[str, bool]:
        if self.kind in ("script", "manifest"):
            return self.kind, False
        block = None
        if self.kind == "markdown":
            block = next((f for f in self.fences() if f[0] <= line <= f[1]), None)
        text = self._line_text(line)
        line_start = start - (self.data.rfind(b"\n", 0, start) + 1)
        negated = _negated(text, line_start, line_start + (end - start))
        if self.kind == "markdown" and _quoted(text, line_start):
            return "quoted", negated or bool(block and block[2])
        if block is not None:
            return "code", negated or block[2]
        return ("prose" if self.kind == "markdown" else "text"), negated


class _Flat:
    """Context of a decoded text: one line (the blob's) and the blob's context, never negated
    (a negated blob's hits are marked by its parent)."""

    def __init__(self, line: int, context: str):
        self.line, self.context = line, context

    def line_of(self, offset: int) -> int:
        return self.line

    def at(self, start: int, end: int, line: int) -> tuple[str, bool]:
        return self.context, False


class _Mapped:
    """Context of the normalised view: its line i is the original file's line lines[i]."""

    def __init__(self, lines: list[int], parent: Any):
        self.lines, self.parent = lines, parent
        self._nl: list[int] | None = None
        self.data = b""

    def bind(self, data: bytes) -> "_Mapped":
        self.data = data
        self._nl = [m.start() for m in re.finditer(b"\n", data)]
        return self

    def line_of(self, offset: int) -> int:
        return self.lines[min(self._index(offset), len(self.lines) - 1)]

    def _index(self, offset: int) -> int:
        import bisect
        return bisect.bisect_right(self._nl or [], offset - 1)

    def at(self, start: int, end: int, line: int) -> tuple[str, bool]:
        if isinstance(self.parent, FileContext):
            # the original line's context (prose/code, negation before the command)
            orig = self.parent
            if orig.kind in ("script", "manifest"):
                return orig.kind, False
            block = next((f for f in orig.fences() if f[0] <= line <= f[1]), None) if orig.kind == "markdown" else None
            # negation is read in the normalised line itself
            ls = self.data.rfind(b"\n", 0, start) + 1
            le = self.data.find(b"\n", end)
            nline = self.data[ls: le if le != -1 else len(self.data)]
            negated = _negated(nline, start - ls, end - ls)
            if orig.kind == "markdown" and _quoted(nline, start - ls):
                return "quoted", negated or bool(block and block[2])
            if block is not None:
                return "code", negated or block[2]
            return ("prose" if orig.kind == "markdown" else "text"), negated
        return self.parent.at(start, end, line)


def _excerpt(data: bytes, start: int, end: int) -> str:
    ls = data.rfind(b"\n", max(0, start - 200), start) + 1 if start else 0
    ls = max(ls, start - 60)
    le = data.find(b"\n", end, end + 200)
    le = min(le if le != -1 else len(data), end + 60, ls + EXCERPT)
    text = data[ls:max(le, min(end, ls + EXCERPT))].decode("utf-8", "replace")
    return "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
                   for c in text)[:EXCERPT * 2].strip()


# --- the normalised view ------------------------------------------------------------------------

# zero-width and invisible format characters (not ZWJ, which joins emoji)
_INVISIBLE = dict.fromkeys([0x200B, 0x200C, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x180E, 0x00AD,
                            0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069])
# Cyrillic and Greek letters that look like Latin ones (Unicode confusables, the common subset)
_CONFUSABLE = str.maketrans({
    "а": "a", "в": "b", "с": "c", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g",
    "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K", "М": "M", "О": "O",
    "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y",
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})
_MAYBE_EVASIVE = _compile(r"\\\r?\n|\w(?:''|\"\")\w|\w['\"]\w{1,3}['\"]\w|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\[0-7]{3}|\w\^\w|\$\{IFS\}|\$IFS|"
                          r"[\x{200B}\x{200C}\x{2060}-\x{2064}\x{FEFF}\x{00AD}\x{202A}-\x{202E}\x{2066}-\x{2069}]|"
                          r"[\x{0370}-\x{03FF}\x{0400}-\x{04FF}\x{0500}-\x{052F}\x{0261}]")
_QUOTE_IN_WORD = re.compile(r"(?<=[\w/.-])(?:''|\"\"|['\"](?=[\w/.-]))")
_CARET = re.compile(r"(?<=\w)\^(?=\w)")
_IFS = re.compile(r"\$\{IFS\}|\$IFS\b")
_ESC = re.compile(r"\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})|\\([0-7]{3})")
_DOLLAR_QUOTE = re.compile(r"\$'([^'\n]{0,2000})'")


def _unescape(m: re.Match) -> str:
    h = m.group(1) or m.group(2)
    cp = int(h, 16) if h else int(m.group(3), 8)
    return chr(cp) if 32 <= cp < 0x110000 and not 0xD800 <= cp < 0xE000 else m.group(0)


def _normalise(data: bytes, stats: ScanStats) -> tuple[bytes, list[int], dict[int, int]]:
    """The lines that change when split, escaped, invisible and look-alike text is put back
    together, the original first line of each and the last line it spans, or (b"", [], {}).
    Only the lines RE2 finds a trace of evasion on are worked on in Python."""
    marks = [m.start() for m in _MAYBE_EVASIVE.finditer(data)]
    if not marks:
        return b"", [], {}
    import bisect
    nl = [m.start() for m in re.finditer(b"\n", data)]
    lines_total = len(nl) + 1

    def line(k: int) -> str:  # 0-based line k, cut to the bound
        a = nl[k - 1] + 1 if k else 0
        b = nl[k] if k < len(nl) else len(data)
        return data[a: min(b, a + MAX_LINE_SCAN)].decode("utf-8", "replace")

    candidates = sorted({bisect.bisect_right(nl, off - 1) for off in marks})
    out: list[str] = []
    where: list[int] = []
    spans: dict[int, int] = {}
    done = -1
    for k in candidates:
        if k <= done or len(out) >= MAX_NORMALISED_LINES:
            continue
        start = k
        while start > done + 1 and start > k - 50 and line(start - 1).rstrip("\r").endswith("\\"):
            start -= 1
        parts = [line(start)]
        end = start
        while parts[-1].rstrip("\r").endswith("\\") and end + 1 < lines_total and end - start < 50:
            parts[-1] = parts[-1].rstrip("\r")[:-1]
            end += 1
            parts.append(line(end).lstrip())
        done = end
        original = "\n".join(line(n) for n in range(start, end + 1))
        t = "".join(parts)
        t = _DOLLAR_QUOTE.sub(lambda m: _ESC.sub(_unescape, m.group(1)), t)
        t = _ESC.sub(_unescape, t)
        t = t.translate(_INVISIBLE).translate(_CONFUSABLE)
        t = _QUOTE_IN_WORD.sub("", t)
        t = _CARET.sub("", t)
        t = _IFS.sub(" ", t)
        if t != original:
            out.append(t)
            where.append(start + 1)
            spans[start + 1] = end + 1
    stats.normalised_lines += len(out)
    if not out:
        return b"", [], {}
    return "\n".join(out).encode("utf-8", "surrogatepass"), where, spans


# --- the decoded view ---------------------------------------------------------------------------

_BLOB = _compile(
    r"[A-Za-z0-9+/_-]{40,}={0,2}"  # base64 (and its URL-safe alphabet)
    r"|(?:\\x[0-9A-Fa-f]{2}){8,}|(?:0x[0-9A-Fa-f]{2},\s*){8,}0x[0-9A-Fa-f]{2}|\b(?:[0-9A-Fa-f]{2}){24,}\b"  # hex
    r"|(?:[^\s\"'<>`%]{0,40}%[0-9A-Fa-f]{2}){4,}[^\s\"'<>`]*"  # URL-encoded
    r"|fromCharCode\(\s*(?:\d{1,3}\s*,\s*){5,}\d{1,3}\s*\)"  # JS char codes
    r"|(?:chr\(\d{1,3}\)\s*\+\s*){5,}chr\(\d{1,3}\)"  # Python char codes
    r"|\[\s*(?:\d{2,3}\s*,\s*){8,}\d{2,3}\s*\]"  # byte arrays
    r"|[\x{E0000}-\x{E007F}]{4,}",  # Unicode tag characters (ASCII smuggled invisibly)
    case_sensitive=True,
)
_NUM = re.compile(rb"\d{1,3}")
_PRINTABLE = set(range(32, 127)) | {9, 10, 13}


def _mostly_text(b: bytes) -> bool:
    if len(b) < 8:
        return False
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    ok = sum(1 for c in s if c.isprintable() or c in "\t\r\n")
    return ok >= 0.9 * len(s) and any(c.isalpha() for c in s)


def _decode_one(blob: bytes) -> tuple[str, bytes] | None:
    if blob.startswith(b"\xf3\xa0"):  # tag characters: each is an ASCII char + 0xE0000
        s = blob.decode("utf-8", "ignore")
        return "unicode-tags", "".join(chr(ord(c) - 0xE0000) for c in s if 0xE0020 <= ord(c) < 0xE007F).encode()
    if blob.startswith(b"fromCharCode") or blob.startswith(b"chr(") or blob.startswith(b"["):
        nums = [int(n) for n in _NUM.findall(blob.split(b"(", 1)[-1] if not blob.startswith(b"[") else blob)]
        if blob.startswith(b"chr("):
            nums = [int(n) for n in re.findall(rb"chr\((\d{1,3})\)", blob)]
        if all(n < 256 for n in nums):
            return "char-codes", bytes(nums)
        return None
    if blob.startswith(b"\\x") or blob.startswith(b"0x"):
        try:
            return "hex", bytes.fromhex(re.sub(rb"\\x|0x|,|\s", b"", blob).decode())
        except ValueError:
            return None
    if b"%" in blob:
        return "url", urllib.parse.unquote_to_bytes(blob)
    if len(blob) % 2 == 0 and re.fullmatch(rb"[0-9A-Fa-f]+", blob):
        try:
            hexed = bytes.fromhex(blob.decode())
            if _mostly_text(hexed):
                return "hex", hexed
        except ValueError:
            pass
    decoded = decode_base64(blob)
    return None if decoded is None else ("base64", decoded)


def decode_base64(blob: bytes) -> bytes | None:
    """A base64 blob (either alphabet, padding optional) decoded leniently, or None; callers cut
    the blob to their bound first (skills/iocs.py decodes its blobs here too)."""
    try:
        raw = blob.rstrip(b"=")
        raw += b"=" * (-len(raw) % 4)
        alt = b"-_" if (b"-" in raw or b"_" in raw) else None
        return base64.b64decode(raw, altchars=alt, validate=False)
    except (binascii.Error, ValueError):
        return None


def _decoded(data: bytes, stats: ScanStats) -> Iterator[tuple[int, str, bytes]]:
    """(offset, how, decoded text) for each encoded blob that decodes to text."""
    n = 0
    for m in _BLOB.finditer(data):
        if n >= MAX_BLOBS or stats.decoded_bytes >= MAX_DECODED:
            return
        blob = m.group(0)[: 2 * MAX_BLOB]  # a decode bomb: each layer is cut to the blob bound
        got = _decode_one(blob)
        if got is None:
            continue
        how, decoded = got
        if how != "unicode-tags" and not _mostly_text(decoded[:4096]):
            continue
        n += 1
        stats.blobs += 1
        yield m.start(), how, decoded[: max(0, min(MAX_BLOB, MAX_DECODED - stats.decoded_bytes))]


# --- files of a skill -------------------------------------------------------------------------

MARKDOWN = {".md", ".mdx", ".markdown", ".txt", ".rst", ".adoc", ".org"}
SCRIPTS = {".sh", ".bash", ".zsh", ".fish", ".ksh", ".py", ".pyw", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts",
           ".jsx", ".tsx", ".rb", ".pl", ".pm", ".php", ".ps1", ".psm1", ".bat", ".cmd", ".lua", ".go", ".rs",
           ".java", ".kt", ".swift", ".applescript", ".scpt", ".vbs", ".r", ".jl", ".tcl", ".awk", ".lobster"}
MANIFESTS = {".json", ".json5", ".jsonc", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".plist", ".xml", ".env"}


def file_kind(name: str, data: bytes = b"") -> FileKind:
    """markdown (prose and code blocks), script, manifest, or text: by extension, then a shebang."""
    ext = os.path.splitext(name.lower())[1]
    if ext in MARKDOWN:
        return "markdown"
    if ext in SCRIPTS:
        return "script"
    if ext in MANIFESTS or os.path.basename(name).lower().startswith(".env"):
        return "manifest"
    if data.startswith(b"#!"):
        return "script"
    return "text"


SKIP_DIRS = {".git", "node_modules", ".clawhub", ".clawdhub", "__pycache__", ".venv"}


def _skill_files(skill_dir: Path, out: SkillScan) -> Iterator[tuple[str, Path, int]]:
    """(relative path, path, size) of each regular file, breadth first, symlinks not followed."""
    stack = [(str(skill_dir), "")]  # (folder, its path relative to skill_dir with a trailing "/")
    count = 0
    dirs = 0
    while stack:
        d, prefix = stack.pop(0)
        dirs += 1
        if dirs > 2_000:
            out.skipped.append((os.path.relpath(d, skill_dir), "not scanned: more than 2,000 folders"))
            return
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)[:20_000]
        except OSError as exc:
            out.skipped.append((os.path.relpath(d, skill_dir), f"cannot list: {exc.strerror or exc}"))
            continue
        for e in entries:
            rel = prefix + e.name
            try:
                if e.is_symlink():
                    continue  # the inventory reports links that leave the root; targets are not ours to read
                if e.is_dir():
                    if e.name not in SKIP_DIRS:
                        stack.append((e.path, rel + "/"))
                    continue
                if not e.is_file():
                    continue
                size = e.stat().st_size
            except OSError:
                continue
            count += 1
            if count > MAX_SKILL_FILES:
                out.skipped.append((rel, f"not scanned: more than {MAX_SKILL_FILES} files in the skill"))
                return
            yield rel, Path(e.path), size


def read_head(path: Path, limit: int) -> tuple[bytes, bool]:
    """The first `limit` bytes of a regular file, and whether that is all of it (OSError for
    anything else); skills/iocs.py reads its files here too."""
    data = read_bounded(path, limit)
    return data[:limit], len(data) <= limit


def _read(path: Path, size: int) -> tuple[bytes, bool]:
    """The file, or its head and tail when larger than the bounds (True: truncated)."""
    if size <= MAX_FILE_HEAD + MAX_FILE_TAIL:
        data, whole = read_head(path, MAX_FILE_HEAD + MAX_FILE_TAIL)
        return data, not whole
    head = read_head(path, MAX_FILE_HEAD)[0]
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        os.lseek(fd, max(0, size - MAX_FILE_TAIL), os.SEEK_SET)
        tail = os.read(fd, MAX_FILE_TAIL)
    finally:
        os.close(fd)
    return head + b"\n" + tail, True


def _utf16_to_utf8(data: bytes) -> bytes:
    """A UTF-16 text with its byte-order mark (desktop.ini, PowerShell files) as UTF-8."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return data
    return data


@dataclass(frozen=True)
class _Sniff:
    binary: bool
    mismatch: str  # why the declared type does not match the content ("" when it does)
    evidence: str


_MAGIC = [
    (b"\x7fELF", "an ELF executable"), (b"MZ", "a Windows executable"), (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"), (b"\xca\xfe\xba\xbe", "a Mach-O universal binary"),
    (b"PK\x03\x04", "a zip archive"), (b"7z\xbc\xaf\x27\x1c", "a 7z archive"), (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "a gzip stream"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"), (b"%PDF", "a PDF document"), (b"\x00asm", "a WebAssembly module"),
]
_EXECUTABLE = ("executable", "universal binary", "WebAssembly")
_EXPECTED = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".pdf": "PDF", ".zip": "zip",
             ".gz": "gzip", ".tgz": "gzip", ".7z": "7z", ".rar": "RAR", ".wasm": "WebAssembly"}
_BINARY_OK = set(_EXPECTED) | {".webp", ".ico", ".woff", ".woff2", ".ttf", ".otf", ".mp3", ".wav", ".ogg", ".mp4",
                               ".onnx", ".bin", ".dat", ".db", ".sqlite", ".pyc", ".so", ".dylib", ".node", ".icns",
                               ".bmp", ".tiff", ".jar", ".whl", ".xz", ".bz2", ".tar", ".heic", ".m4a", ".flac"}


def _sniff(rel: str, data: bytes) -> _Sniff:
    head = data[:8192]
    magic = next((what for sig, what in _MAGIC if head.startswith(sig)), None)
    ext = os.path.splitext(rel.lower())[1]
    binary = b"\x00" in head or (bool(head) and not _decodes(head))
    if ext in _EXPECTED:
        want = _EXPECTED[ext]
        if magic and want not in magic and any(x in magic for x in _EXECUTABLE):
            return _Sniff(True, f"{rel} is named {ext} but holds {magic}", magic)
        if not binary and head.startswith(b"#!"):
            first = head.split(b"\n", 1)[0][:60].decode("utf-8", "replace")
            return _Sniff(False, f"{rel} is named {ext} but is a script ({first})", "shebang")
        return _Sniff(True, "", magic or "binary")
    if ext in _BINARY_OK:
        return _Sniff(True, "", magic or "binary")
    if magic and (binary or any(x in magic for x in _EXECUTABLE)):
        declared = "a text file" if ext in MARKDOWN or ext in SCRIPTS or ext in MANIFESTS else f"a {ext or 'extensionless'} file"
        return _Sniff(True, f"{rel} looks like {declared} but holds {magic}", magic)
    if binary:
        declared = ext in MARKDOWN or ext in SCRIPTS or ext in MANIFESTS
        return _Sniff(True, f"{rel} is named as text but holds binary data" if declared else "", "NUL bytes or invalid UTF-8")
    return _Sniff(False, "", "")


def _decodes(head: bytes) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4  # a character cut at the end of the head


# --- rules coded in Python (named by `builtin:` in the data) ----------------------------------

_HIDDEN = _compile(r"[\x{E0000}-\x{E007F}\x{202A}-\x{202E}\x{2066}-\x{2069}\x{200B}\x{200C}\x{2060}-\x{2064}"
                   r"\x{180E}\x{FEFF}]", case_sensitive=True)


def _hidden_unicode(rule: _Rule, data: bytes, kind: FileKind, hits: Sequence[_SignalHit]) -> list[RuleHit]:
    if not _HIDDEN.search(data):  # one linear pass in RE2 before any per-character work
        return []
    text = data.decode("utf-8", "replace")
    found: dict[str, tuple[int, int]] = {}  # what -> (first offset, count)
    strong = {"tags", "bidi"}
    for i, c in enumerate(text):
        cp = ord(c)
        what = None
        if 0xE0000 <= cp <= 0xE007F:
            if cp == 0xE007F or (i and ord(text[i - 1]) in (0x1F3F4,) ) or (i and 0xE0020 <= ord(text[i - 1]) <= 0xE007E
                                                                           and "emoji-flag" in found):
                found.setdefault("emoji-flag", (i, 0))
                continue
            what = "tags"
        elif cp in (0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069):
            what = "bidi"
        elif cp in (0x200B, 0x200C, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x180E) or (cp == 0xFEFF and i > 0):
            what = "zero-width"
        if what:
            first, n = found.get(what, (i, 0))
            found[what] = (first, n + 1)
    found.pop("emoji-flag", None)
    if not found:
        return []
    first = min(o for o, _ in found.values())
    line = text.count("\n", 0, first) + 1
    names = {"tags": "Unicode tag characters (invisible ASCII)", "bidi": "bidirectional overrides",
             "zero-width": "zero-width characters"}
    parts = ", ".join(f"{n} {names[w]}" for w, (_, n) in sorted(found.items()))
    hidden = ""
    if "tags" in found:
        hidden = "".join(chr(ord(c) - 0xE0000) for c in text if 0xE0020 <= ord(c) < 0xE007F)[:EXCERPT]
    sev = rule.severity if strong & set(found) else Severity.LOW
    excerpt = f"hidden text: {hidden}" if hidden else _excerpt(data, len(text[:first].encode("utf-8", "surrogatepass")), len(text[:first].encode("utf-8", "surrogatepass")) + 1)
    return [_builtin_hit(rule, line, excerpt, f"{rule.spec.description} Found {parts}.",
                         tuple(f"hidden-unicode:{w}" for w in sorted(found)), sev)]


_WORD = re.compile(r"[^\W\d_]{2,}")


def _script_of(c: str) -> str:
    if "A" <= c <= "z" or "\u00c0" <= c <= "\u024f":
        return "latin"
    if "\u0400" <= c <= "\u052f":
        return "cyrillic"
    if "\u0370" <= c <= "\u03ff":
        return "greek"
    return "other"


_GREEK_LOOKALIKE = set("αεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ")


_NON_LATIN_LETTER = _compile(r"[\x{0370}-\x{052F}]", case_sensitive=True)


def _mixed_script(rule: _Rule, data: bytes, kind: FileKind, hits: Sequence[_SignalHit]) -> list[RuleHit]:
    if data.isascii() or not _NON_LATIN_LETTER.search(data):
        return []
    text = data.decode("utf-8", "replace")
    words = []
    for m in _WORD.finditer(text):
        w = m.group(0)
        if w.isascii():
            continue
        scripts = {_script_of(c) for c in w}
        # Greek: only look-alikes inside a Latin word (not "sinα", a formula)
        if "latin" in scripts and ("cyrillic" in scripts or
                                   ("greek" in scripts and _script_of(w[-1]) == "latin" and
                                    all(c in _GREEK_LOOKALIKE for c in w if _script_of(c) == "greek"))):
            words.append((m.start(), w))
            if len(words) >= 20:
                break
    if not words:
        return []
    first, w = words[0]
    line = text.count("\n", 0, first) + 1
    shown = ", ".join(f"{x!r} (reads as {x.translate(_CONFUSABLE)!r})" for _, x in words[:5])
    return [_builtin_hit(rule, line, w, f"{rule.spec.description} Words mixing scripts: {shown}.",
                         ("homoglyph:mixed-script",))]


def _padding(rule: _Rule, data: bytes, kind: FileKind, hits: Sequence[_SignalHit]) -> list[RuleHit]:
    """Text pushed out of sight: a run of thousands of blanks, or a markdown line far wider than any
    screen, followed by more text (what a reader or a scanner that cuts long lines never sees)."""
    if kind not in ("markdown", "text"):
        return []
    m = _RUN.search(data)
    if m is None:
        return []
    rest = data[m.end(): m.end() + 4096].split(b"\n", 1)[0].strip()
    if not rest:
        return []
    line = data.count(b"\n", 0, m.start()) + 1
    return [_builtin_hit(rule, line, rest[:EXCERPT].decode("utf-8", "replace"),
                         f"{rule.spec.description} {m.end() - m.start()} blank characters hide the text after them.",
                         ("evasion:padding",))]


_RUN = _compile(r"[ \t\x{00A0}\x{2000}-\x{200A}\x{3000}]{400,}")


def _evasion(rule: _Rule, data: bytes, kind: FileKind, hits: Sequence[_SignalHit]) -> list[RuleHit]:
    """A command that only matches once split, escaped or look-alike text is put back together."""
    seen = [h for h in hits if "normalised" in h.tags and not h.negated and h.signal in rule.spec.params.get("signals", ())]
    if not seen:
        return []
    h = seen[0]
    names = sorted({x.signal for x in seen})
    return [_builtin_hit(rule, h.line, h.excerpt, f"{rule.spec.description} Matches only when normalised: "
                                                  f"{', '.join(names)}.", tuple(f"{n}:normalised" for n in names))]


def _manifest_block(manifest: Any) -> dict | None:
    block = getattr(manifest, "runtime_block", None) if manifest is not None else None
    return block if isinstance(block, dict) else None


def _manifest_line(manifest: Any) -> int:
    lines = getattr(manifest, "block_lines", {}) or {}
    return min(lines.values()) if lines else 1


def _download_unpinned(rule: _Rule, skill_dir: Path, name: str | None, manifest: Any,
                       known: tuple[str, ...], rules: "RuleSet") -> list[SkillHit]:
    block = _manifest_block(manifest)
    installs = block.get("install") if block else None
    if not isinstance(installs, list):
        return []
    unpinned, untrusted = [], []
    host = rules.signals["untrusted-host"]
    for spec in installs:
        if not isinstance(spec, dict):
            continue
        url = spec.get("url")
        if isinstance(url, str):
            m = host.regex.search(url.encode("utf-8", "replace"))
            if m and not (host.exclude and host.exclude.search(m.group(0))):
                untrusted.append(url[:200])
        if (spec.get("kind") or spec.get("type")) == "download" and url:
            sha = spec.get("sha256")
            if not (isinstance(sha, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha)):
                unpinned.append(str(url)[:200])
    if not unpinned and not untrusted:
        return []
    parts = ([f"from an untrusted host: {', '.join(untrusted[:5])}"] if untrusted else []) + \
            ([f"without sha256: {', '.join(unpinned[:5])}"] if unpinned else [])
    signals = (("manifest:install.untrusted-host",) if untrusted else ()) + \
              (("manifest:install.download", "manifest:no-sha256") if unpinned else ())
    return [SkillHit(_skill_md(skill_dir), _builtin_hit(
        rule, _manifest_line(manifest), (untrusted or unpinned)[0], f"{rule.spec.description} Install "
        f"{'; '.join(parts)}.", signals, Severity.HIGH if untrusted else None))]


def _always(rule: _Rule, skill_dir: Path, name: str | None, manifest: Any, known: tuple[str, ...],
            rules: "RuleSet") -> list[SkillHit]:
    block = _manifest_block(manifest)
    value = block.get("always") if block else None
    if value is True or (isinstance(value, str) and value.strip().lower() == "true"):
        return [SkillHit(_skill_md(skill_dir), _builtin_hit(rule, _manifest_line(manifest), "always: true",
                                                            rule.spec.description, ("manifest:always",)))]
    return []


def _skill_md(skill_dir: Path) -> str:
    for n in ("SKILL.md", "skill.md", "skills.md", "SKILL.MD"):
        if (skill_dir / n).is_file():
            return n
    return "SKILL.md"


def _distance(a: str, b: str, cap: int = 3) -> int:
    """Damerau-Levenshtein (adjacent swaps cost 1), stopping at `cap`."""
    if abs(len(a) - len(b)) >= cap:
        return cap
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) >= cap:
            return cap
        prev2, prev = prev, cur
    return min(prev[-1], cap)


_SUFFIX = re.compile(r"^(?P<base>[a-z0-9][a-z0-9-]*?)-(?P<tail>[a-z0-9]{4,8})$")


def _random_tail(tail: str) -> bool:
    """A clone's suffix (`gog-5w7zvby`, `deep-research-hsk9iq5w`): letters and digits mixed, or
    five letters or more without a vowel; not a word (`-skill`, `-styler`) nor a version (`-2`)."""
    has_digit = any(c.isdigit() for c in tail)
    has_alpha = any(c.isalpha() for c in tail)
    vowels = sum(c in "aeiouy" for c in tail)
    return (has_digit and has_alpha) or (has_alpha and len(tail) >= 5 and vowels == 0)


@lru_cache(maxsize=64)
def _squat_targets(well_known: tuple[str, ...], known: tuple[str, ...]) -> tuple[frozenset[str], tuple[tuple[str, str, int, frozenset[str]], ...]]:
    """The names a typosquat imitates (lowercased), and for each in sorted order its dashless
    form, the edit distance that still counts as a misspelling and its letters: computed once
    per rule set and allowlist, not once per skill."""
    wanted = frozenset(k.lower() for k in (*well_known, *known) if k)
    return wanted, tuple((k, k.replace("-", ""), 1 if len(k) < 10 else 2, frozenset(k)) for k in sorted(wanted))


def _near(n: str, k: str, limit: int, letters: frozenset[str]) -> bool:
    """Damerau-Levenshtein(n, k) <= limit. Every edit changes one character's place at most, so a
    length gap or more characters of `n` absent from `k` (or of `k` from `n`) than `limit`
    settle it without the table."""
    if abs(len(n) - len(k)) > limit or sum(c not in letters for c in n) > limit:
        return False
    mine = set(n)
    if sum(c not in mine for c in k) > limit:
        return False
    return _distance(n, k, limit + 1) <= limit


def _typosquat(rule: _Rule, skill_dir: Path, name: str | None, manifest: Any, known: tuple[str, ...],
               rules: "RuleSet") -> list[SkillHit]:
    wanted, targets = _squat_targets(tuple(rule.spec.params.get("well_known", ())), known)
    names = {re.sub(r"[\s_]+", "-", n.strip().lower()) for n in (name, skill_dir.name) if n}
    for n in sorted(names):
        if n in wanted:
            continue
        why = None
        m = _SUFFIX.match(n)
        if m and m.group("base") in wanted and _random_tail(m.group("tail")):
            why = (m.group("base"), f"{n!r} is {m.group('base')!r} plus a random suffix (the clone pattern)")
        else:
            bare = n.replace("-", "")
            for k, k_bare, limit, letters in targets:
                if abs(len(n) - len(k)) > limit and bare != k_bare:
                    continue  # neither a misspelling (too long or short) nor its dashes moved
                if n.startswith(k + "-") or k.startswith(n + "-"):
                    continue  # an extension (`notion-skill`, `agent-browser-2`), not a misspelling
                if len(k) >= 5 and _near(n, k, limit, letters):
                    why = (k, f"{n!r} is {_distance(n, k)} edit(s) from {k!r}")
                    break
                if bare == k_bare and n != k:
                    why = (k, f"{n!r} is {k!r} with its dashes moved")
                    break
        if why:
            return [SkillHit(_skill_md(skill_dir), _builtin_hit(
                rule, 1, n, f"{rule.spec.description} {why[1]}.", (f"typosquat:{why[0]}",)))]
    return []


_TEXT_BUILTINS: dict[str, Callable[..., list[RuleHit]]] = {
    "hidden-unicode": _hidden_unicode,
    "mixed-script": _mixed_script,
    "padding": _padding,
    "evasion": _evasion,
}
_SKILL_BUILTINS: dict[str, Callable[..., list[SkillHit]]] = {
    "download-unpinned": _download_unpinned,
    "always-true": _always,
    "typosquat": _typosquat,
}
_OTHER_BUILTINS = {"file-type-mismatch"}
_BUILTIN_SIGNALS = {"download-unpinned": ("untrusted-host",)}  # signals a builtin reads  # evaluated inline in scan_skill (needs the raw bytes)


# --- loading ---------------------------------------------------------------------------------

def _load_file(path: Path) -> RuleFile:
    try:
        raw = read_bounded(path, 4 * 1024 * 1024)
        data = load_yaml(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, YamlError) as exc:
        raise RuleError(f"{path}: cannot read: {exc}") from None
    try:
        return typed.from_data(RuleFile, data, "rules")
    except typed.TypedError as exc:
        # name the rule: the first rule that does not validate on its own
        for r in data.get("rules") or () if isinstance(data, dict) and isinstance(data.get("rules"), list) else ():
            if isinstance(r, dict):
                try:
                    typed.from_data(RuleSpec, r, "rule")
                except typed.TypedError as inner:
                    raise RuleError(f"{path}: rule {r.get('id')!r}: {inner}") from None
        raise RuleError(f"{path}: {exc}") from None


def load_rules(path: Path | str | None = None) -> RuleSet:
    """The rules in `path` (a rule file or a folder of them; None: the shipped rules/, cached).
    RuleError names the file and the rule id of the first problem."""
    if path is None:
        return _default()
    return _build(_files(Path(path)))


@lru_cache(maxsize=1)
def _default() -> RuleSet:
    return _build(_files(data_dir("rules")))


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        # IOC lists (rules/iocs*) are another format, read by their own loader
        return sorted(p for p in path.glob("*.yaml") if not p.name.startswith("iocs"))
    return [path]


def _build(paths: Sequence[Path]) -> RuleSet:
    signals: dict[str, _Signal] = {}
    rules: list[_Rule] = []
    specs: list[tuple[Path, RuleFile]] = []
    for path in paths:
        rf = _load_file(path)
        if rf.schema != SCHEMA:
            raise RuleError(f"{path}: schema is {rf.schema!r}, expected {SCHEMA!r}")
        specs.append((path, rf))
        for name, sig in rf.signals.items():
            users = [r.id for r in rf.rules if any(name in alt for alt in r.require)] or ["(no rule)"]
            where = f"{path}: rule {users[0]!r}: signal {name!r}"
            if name in signals:
                raise RuleError(f"{where}: defined twice")
            if not _ID.match(name):
                raise RuleError(f"{where}: a signal name is lowercase letters, digits and dashes")
            try:
                regex = _compile(sig.pattern, sig.case_sensitive)
                exclude = _compile(sig.exclude) if sig.exclude else None
            except re2.error as exc:
                msg = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
                raise RuleError(f"{where}: bad pattern: {msg}") from None
            if regex.search(b"") is not None:
                raise RuleError(f"{where}: the pattern matches the empty text")
            signals[name] = _Signal(name, regex, exclude, sig.negatable)
    for path, rf in specs:
        for spec in rf.rules:
            where = f"{path}: rule {spec.id!r}"
            if not _ID.match(spec.id):
                raise RuleError(f"{where}: a rule id is lowercase letters, digits and dashes")
            if spec.id in {r.id for r in rules}:
                raise RuleError(f"{where}: defined twice")
            if spec.family not in FAMILIES:
                raise RuleError(f"{where}: family {spec.family!r} is not one of {', '.join(FAMILIES)}")
            for sev in (spec.severity, spec.markdown, spec.mention):
                if sev is not None and sev not in SEVERITIES:
                    raise RuleError(f"{where}: severity {sev!r} is not one of {', '.join(SEVERITIES)}")
            if bool(spec.builtin) == bool(spec.require):
                raise RuleError(f"{where}: give either `require` (signals) or `builtin`, not both or neither")
            if spec.builtin and spec.builtin not in {*_TEXT_BUILTINS, *_SKILL_BUILTINS, *_OTHER_BUILTINS}:
                raise RuleError(f"{where}: unknown builtin {spec.builtin!r}")
            for s in _BUILTIN_SIGNALS.get(spec.builtin or "", ()):
                if s not in signals:
                    raise RuleError(f"{where}: builtin {spec.builtin!r} needs the signal {s!r}")
            for alt in spec.require:
                if not alt:
                    raise RuleError(f"{where}: an empty alternative in `require`")
                for s in alt:
                    if s not in signals:
                        raise RuleError(f"{where}: unknown signal {s!r}")
            for s in spec.params.get("signals", ()):
                if s not in signals:
                    raise RuleError(f"{where}: unknown signal {s!r} in params.signals")
            if not spec.samples.positive or not spec.samples.negative:
                raise RuleError(f"{where}: needs at least one positive and one negative sample")
            rules.append(_Rule(spec, Severity(spec.severity), Severity(spec.markdown) if spec.markdown else None,
                               Severity(spec.mention) if spec.mention else None, str(path)))
    return RuleSet(rules, signals)


# --- the skills audit's hook --------------------------------------------------------------------

class StaticRules:
    """The audit's rules hook (skills/audit.py, RulesHook): one skill's `skill.rule.<id>` findings,
    and an errors[] entry for each file it could not scan whole. `known_slugs` (the allowlist's)
    join the well-known names a typosquat imitates."""

    def __init__(self, rules: RuleSet | None = None, known_slugs: Iterable[str] = ()):
        self.rules = rules if rules is not None else load_rules()
        self.known = tuple(sorted({s for s in known_slugs if s}))

    def __call__(self, ctx: Any) -> Iterator[Any]:
        from .. import catalog
        from ..model import ErrorRecord, Finding, FindingEvidence

        name = ctx.record.name
        scan = self.rules.scan_skill(ctx.dir, name=name, manifest=ctx.manifest, known_slugs=self.known)
        for sh in scan.hits:
            rule = self.rules.by_id[sh.hit.rule_id]
            check = catalog.SKILL_RULE_PREFIX + rule.id
            entry = catalog.get(check)
            path = ctx.dir / sh.path
            yield Finding(
                check=check, severity=sh.hit.severity, title=f"{rule.spec.title}: {name}",
                target=str(path), path=str(path), line=sh.hit.line, skill=name,
                evidence=FindingEvidence(summary=f"{sh.path}:{sh.hit.line}: {sh.hit.excerpt}\n{sh.hit.reason}"),
                remediation=rule.spec.remediation or entry.remediation,
                references=list(rule.spec.references or entry.references),
                extra={"signals": list(sh.hit.signals)},
            )
        for rel, reason in scan.skipped:
            yield ErrorRecord(where=str(ctx.dir / rel), message=f"rules: {reason}")
