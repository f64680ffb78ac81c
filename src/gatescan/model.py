"""The one data model every stage fills and every renderer reads (docs/architecture.md, JSON report).

Records are plain dataclasses with `to_dict`/`from_dict`; the JSON document is exactly
`Report.to_dict()`. Fields a newer minor schema version adds are kept in `extra` and written
back unchanged, so reading and re-writing a report never drops anything.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Iterable

from . import __version__

SCHEMA = "gatescan.report/v1"
SCHEMA_VERSION = "1.3"  # 1.2: services[].discovery (mDNS); 1.3: services[].mcp_tools, evidence.tool_changes


class Severity(str, enum.Enum):
    """Finding severity, ordered: comparisons follow `RANK`."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def at_least(self, other: "Severity") -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of {names})") from None


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class CheckStatus(str, enum.Enum):
    """What a check concluded on one service (docs/architecture.md, services[].checks[])."""

    FINDING = "finding"  # the check proved the issue
    PASSED = "passed"  # the check ran and the product defended itself
    INCONCLUSIVE = "inconclusive"  # could not decide: never a finding
    NOT_APPLICABLE = "not_applicable"  # nothing to say here (no WebSocket, auth on, ...)


class Access(enum.Enum):
    """Did a request get in without what should have stopped it (a credential, a foreign Origin)?
    The one tri-state the protocol clients and the checks share."""

    OPEN = "open"  # answered / accepted as if nothing stood in the way
    CLOSED = "closed"  # refused: the gate held
    UNDECIDED = "undecided"  # no clear answer (timeout, garbage, an unexpected status)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Record:
    """to_dict/from_dict for the dataclasses below; unknown keys survive in `extra`."""

    _nested: dict[str, Any] = {}
    _optional: tuple[str, ...] = ()  # left out while None: sections only their producer fills

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            if f.name == "extra":
                continue
            out[f.name] = _dump(getattr(self, f.name))
        extra = getattr(self, "extra", None)
        if extra:
            for key, value in extra.items():
                out.setdefault(key, value)
        for name in self._optional:
            if out.get(name) is None:
                out.pop(name, None)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known or key == "extra":
                extra[key] = value
                continue
            loader = cls._nested.get(key)
            kwargs[key] = loader(value) if loader and value is not None else value
        if "extra" in known:
            kwargs["extra"] = extra
        return cls(**kwargs)


def _dump(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


def _list_of(cls):
    return lambda items: [cls.from_dict(i) for i in items]


@dataclass(frozen=True, order=True)
class Endpoint:
    """An open TCP port the sweep found."""

    host: str
    port: int

    def url(self, scheme: str = "http") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


@dataclass
class Evidence(_Record):
    """Why identification named a product: what was sent and the fragment that matched."""

    probe: str
    observed: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckResult(_Record):
    """One check's verdict on one service, so "tested and fine" differs from "not tested"."""

    check: str
    result: CheckStatus
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.result = CheckStatus(self.result)


@dataclass
class Service(_Record):
    """An identified (or `unknown`) service on an open endpoint."""

    host: str
    port: int
    product: str = "unknown"
    product_name: str | None = None
    version: str | None = None
    confidence: float = 0.0
    tls: bool = False
    bind: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    process: dict[str, Any] | None = None
    checks: list[CheckResult] = field(default_factory=list)
    banner: str | None = None
    vantage: str | None = None
    machine: str | None = None
    # how it was found when not by the sweep alone: [{via: mdns, service_type, instance, server,
    # port, addresses, txt}] per advertisement naming this endpoint (written only when set)
    discovery: list[dict[str, Any]] | None = None
    # an MCP server's pinned tool set (gatescan/toolpins.py; written only when set)
    mcp_tools: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _nested = {"evidence": _list_of(Evidence), "checks": _list_of(CheckResult)}

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.host, self.port)

    _optional = ("discovery", "mcp_tools")


@dataclass
class Exchange(_Record):
    """One request and its response, trimmed: the evidence a skeptic reads."""

    request: dict[str, Any]
    response: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FindingEvidence(_Record):
    summary: str
    exchanges: list[Exchange] = field(default_factory=list)
    browser: dict[str, Any] | None = None
    tool_changes: list[dict[str, Any]] | None = None  # mcp.tools.changed: what changed, per tool
    extra: dict[str, Any] = field(default_factory=dict)

    _nested = {"exchanges": _list_of(Exchange)}
    _optional = ("browser", "tool_changes")


@dataclass
class Finding(_Record):
    """A proven issue: network, configuration or skill."""

    check: str
    severity: Severity
    title: str
    target: str
    host: str | None = None
    port: int | None = None
    product: str | None = None
    path: str | None = None
    line: int | None = None
    skill: str | None = None
    evidence: FindingEvidence = field(default_factory=lambda: FindingEvidence(summary=""))
    remediation: str = ""
    references: list[str] = field(default_factory=list)
    vantage: str | None = None
    machine: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _nested = {"evidence": FindingEvidence.from_dict}

    def __post_init__(self) -> None:
        self.severity = Severity(self.severity)

    def key(self) -> tuple:
        """The stable identity baselines, diffs and suppressions match on."""
        return (self.check, self.host, self.port, self.product, self.skill, self.path)


@dataclass
class SuppressedFinding(_Record):
    """A finding a suppression or baseline entry matched, with that entry's reason."""

    finding: Finding
    reason: str | None = None
    expires: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _nested = {"finding": Finding.from_dict}


@dataclass
class SkillRecord(_Record):
    name: str
    path: str
    root: str | None = None
    agent: str | None = None
    source: str | None = None
    slug: str | None = None
    owner: str | None = None
    version: str | None = None
    fingerprint: str | None = None
    status: str = "unlisted"  # allowlisted / unlisted / modified / malicious
    registry: str | None = None  # from origin.json or the lock (schema 1.1)
    skill_file: str | None = None  # SKILL.md, skill.md, skills.md or SKILL.MD
    skill_file_sha256: str | None = None
    file_tree_sha256: str | None = None  # OpenClaw's digest; None where OpenClaw refuses one
    root_source: str | None = None  # the kind of root: openclaw-workspace, claude-personal, path ...
    vantage: str | None = None
    machine: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ErrorRecord(_Record):
    """Something that went wrong for one target or file; the run goes on."""

    where: str
    message: str
    vantage: str | None = None
    machine: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scope(_Record):
    targets: list[str] = field(default_factory=list)
    ports: str = ""
    excluded: list[str] = field(default_factory=list)
    shard: str | None = None
    vantages: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report(_Record):
    """One scan's (or audit's) whole result; every output format is a function of it."""

    scan_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    tool: dict[str, str] = field(default_factory=lambda: {"name": "gatescan", "version": __version__})
    started_at: str = field(default_factory=utc_now)
    finished_at: str | None = None
    complete: bool = True
    scope: Scope = field(default_factory=Scope)
    stats: dict[str, Any] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[SuppressedFinding] = field(default_factory=list)
    skills: list[SkillRecord] | None = None
    local: dict[str, Any] | None = None
    shards: list[dict[str, Any]] | None = None
    errors: list[ErrorRecord] = field(default_factory=list)
    schema: str = SCHEMA
    schema_version: str = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    _nested = {
        "scope": Scope.from_dict,
        "services": _list_of(Service),
        "findings": _list_of(Finding),
        "suppressed": _list_of(SuppressedFinding),
        "skills": _list_of(SkillRecord),
        "errors": _list_of(ErrorRecord),
    }
    _optional = ("skills", "local", "shards")

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        ordered = {"schema": body.pop("schema"), "schema_version": body.pop("schema_version")}  # schema first
        ordered.update(body)
        return ordered

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Report":
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            found = data.get("schema") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"not a gatescan report (schema is {found!r}, expected {SCHEMA!r})")
        major = str(data.get("schema_version", "")).split(".")[0]
        if major != SCHEMA_VERSION.split(".")[0]:
            raise ValueError(f"unsupported schema_version {data.get('schema_version')!r}")
        return super().from_dict(data)

    def finish(self, complete: bool | None = None) -> None:
        self.finished_at = utc_now()
        if complete is not None:
            self.complete = complete

    def worst_severity(self) -> Severity | None:
        worst = None
        for f in self.findings:
            if worst is None or f.severity.rank > worst.rank:
                worst = f.severity
        return worst

    def findings_at_least(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.at_least(threshold)]


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by where: the order every renderer shows."""
    return sorted(
        findings,
        key=lambda f: (-f.severity.rank, f.check, f.host or "", f.port or 0, f.path or "", f.line or 0),
    )
