"""MCP tool pins: a hash per tool and for each server's tool set, so a later scan (`--baseline`,
`gatescan report diff`) can say which tool definitions changed since (a rug pull).

At the bottom next to model.py and catalog.py: the mcp.tools.changed check writes pins into
`services[].mcp_tools`, and the report side compares two reports' pins without the engine.
A tool's hash is SHA-256 over the canonical JSON of its `name`, `description` and `inputSchema`
(keys sorted, no whitespace, UTF-8, no Unicode normalisation: a hidden character changes it);
the set's is SHA-256 over the canonical JSON of the sorted `[name, sha256]` pairs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from . import catalog
from .model import CheckResult, CheckStatus, Finding, FindingEvidence, Report, Service

PINNED_FIELDS = ("name", "description", "inputSchema")
CHECK = "mcp.tools.changed"
EXCERPT = 300  # characters of a description kept to show what changed
MAX_TOOLS = 500


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _sha(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode("utf-8", "surrogatepass")).hexdigest()


def _properties(schema: Any) -> tuple[str, ...]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    return tuple(sorted(str(k)[:80] for k in props)[:100]) if isinstance(props, dict) else ()


@dataclass(frozen=True)
class ToolPin:
    name: str
    sha256: str
    description_sha256: str
    input_schema_sha256: str
    description: str = ""  # an excerpt, masked (it says what changed; the hash is of the whole)
    input_properties: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "description_sha256": self.description_sha256,
                "input_schema_sha256": self.input_schema_sha256, "description": self.description,
                "input_properties": list(self.input_properties)}

    @classmethod
    def from_dict(cls, data: Any) -> "ToolPin | None":
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in
                                                 ("name", "sha256", "description_sha256", "input_schema_sha256")):
            return None
        props = data.get("input_properties")
        return cls(data["name"][:200], data["sha256"], data["description_sha256"], data["input_schema_sha256"],
                   str(data.get("description") or "")[:EXCERPT * 2],
                   tuple(str(p) for p in props[:100]) if isinstance(props, list) else ())


@dataclass(frozen=True)
class ToolSetPin:
    """One server's pinned tool set: where it was listed, in which era, and each tool."""

    endpoint: str
    era: str | None
    sha256: str
    tools: tuple[ToolPin, ...] = ()
    impact: str | None = None  # the product's impact class: what a change is rated by

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "era": self.era, "sha256": self.sha256, "count": len(self.tools),
                "impact": self.impact, "tools": [t.to_dict() for t in self.tools]}

    @classmethod
    def from_dict(cls, data: Any) -> "ToolSetPin | None":
        if not isinstance(data, dict) or not isinstance(data.get("sha256"), str) or not isinstance(data.get("tools"), list):
            return None
        tools = tuple(t for t in (ToolPin.from_dict(item) for item in data["tools"][:MAX_TOOLS]) if t is not None)
        era, impact = data.get("era"), data.get("impact")
        return cls(str(data.get("endpoint") or ""), era if isinstance(era, str) else None, data["sha256"], tools,
                   impact if isinstance(impact, str) else None)

    def by_name(self) -> dict[str, ToolPin]:
        return {t.name: t for t in self.tools}


def pin_tool(definition: Mapping[str, Any], excerpt: Callable[[str], str] = lambda s: s) -> ToolPin:
    name = str(definition.get("name"))
    description = definition.get("description")
    schema = definition.get("inputSchema")
    whole = {"name": name, "description": description, "inputSchema": schema}
    text = description if isinstance(description, str) else ""
    return ToolPin(name, _sha(whole), _sha(description), _sha(schema), excerpt(text[:EXCERPT]), _properties(schema))


def pin_tools(definitions: Iterable[Mapping[str, Any]], *, endpoint: str, era: str | None,
              excerpt: Callable[[str], str] = lambda s: s, impact: str | None = None) -> ToolSetPin:
    """The pin of a tools/list answer (`excerpt` masks what a description excerpt shows)."""
    tools = tuple(sorted((pin_tool(d, excerpt) for d in list(definitions)[:MAX_TOOLS]), key=lambda t: t.name))
    return ToolSetPin(endpoint, era, _sha(sorted([t.name, t.sha256] for t in tools)), tools, impact)


# ---------------------------------------------------------------- comparing with a baseline


@dataclass(frozen=True)
class ToolChange:
    tool: str
    change: str  # added | removed | changed
    fields: tuple[str, ...] = ()  # description, inputSchema (changed tools)
    before: str | None = None  # the description excerpts, when it changed
    after: str | None = None
    properties_added: tuple[str, ...] = ()
    properties_removed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tool": self.tool, "change": self.change}
        if self.fields:
            out["fields"] = list(self.fields)
        if self.before is not None or self.after is not None:
            out.update(before=self.before, after=self.after)
        if self.properties_added:
            out["properties_added"] = list(self.properties_added)
        if self.properties_removed:
            out["properties_removed"] = list(self.properties_removed)
        return out

    def describe(self) -> str:
        if self.change != "changed":
            return f"{self.change} {self.tool}"
        parts = []
        for f in self.fields:
            if f == "inputSchema" and (self.properties_added or self.properties_removed):
                props = [f"+{p}" for p in self.properties_added] + [f"-{p}" for p in self.properties_removed]
                parts.append(f"inputSchema ({', '.join(props)})")
            else:
                parts.append(f)
        return f"changed {self.tool}: {', '.join(parts)}"


def compare(old: ToolSetPin, new: ToolSetPin) -> list[ToolChange]:
    """What differs between two pins of one server, tool by tool (by name)."""
    if old.sha256 == new.sha256:
        return []
    before, after = old.by_name(), new.by_name()
    changes = [ToolChange(n, "added") for n in sorted(after.keys() - before.keys())]
    changes += [ToolChange(n, "removed") for n in sorted(before.keys() - after.keys())]
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name], after[name]
        if a.sha256 == b.sha256:
            continue
        fields = tuple(f for f, x, y in (("description", a.description_sha256, b.description_sha256),
                                          ("inputSchema", a.input_schema_sha256, b.input_schema_sha256)) if x != y)
        said = "description" in fields
        changes.append(ToolChange(
            name, "changed", fields or ("name",), a.description if said else None, b.description if said else None,
            tuple(sorted(set(b.input_properties) - set(a.input_properties))),
            tuple(sorted(set(a.input_properties) - set(b.input_properties)))))
    return changes


def _path(endpoint: str) -> str:
    rest = endpoint.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def pin_key(service: Service, pin: ToolSetPin) -> tuple:
    """What pairs a server across two reports: its host, port and the MCP path."""
    return (service.host, service.port, _path(pin.endpoint))


def service_pin(service: Service) -> ToolSetPin | None:
    return ToolSetPin.from_dict(service.mcp_tools)


def pins_of(report: Report) -> dict[tuple, ToolSetPin]:
    """Every pinned tool set in a (saved) report, keyed by pin_key."""
    out: dict[tuple, ToolSetPin] = {}
    for service in report.services:
        pin = service_pin(service)
        if pin is not None:
            out.setdefault(pin_key(service, pin), pin)
    return out


@dataclass
class ServerChange:
    """One pinned server of the current report against the baseline."""

    service: Service
    current: ToolSetPin
    baseline: ToolSetPin | None
    changes: list[ToolChange] = field(default_factory=list)

    def verdict(self) -> CheckResult:
        if self.baseline is None:
            return CheckResult(CHECK, CheckStatus.NOT_APPLICABLE, "the baseline holds no tool set for this server")
        if not self.changes:
            return CheckResult(CHECK, CheckStatus.PASSED, f"the {len(self.current.tools)} tools match the baseline "
                                                          f"(set sha256 {self.current.sha256[:16]})")
        return CheckResult(CHECK, CheckStatus.FINDING, "; ".join(c.describe() for c in self.changes)[:300])

    def finding(self) -> Finding:
        entry = catalog.get(CHECK)
        s = self.service
        summary = (f"The MCP server's tool set (sha256 {self.current.sha256[:16]}, {len(self.current.tools)} tools) "
                   f"differs from the baseline's (sha256 {self.baseline.sha256[:16]}, {len(self.baseline.tools)} tools): "
                   + "; ".join(c.describe() for c in self.changes)
                   + ". A server that changes its tools after they were reviewed can make an agent do what the "
                     "review never saw.")
        return Finding(
            # rated like the product's other findings: its impact class, raised by risky tool names
            check=CHECK, severity=catalog.severity(CHECK, self.current.impact, tools=[t.name for t in self.current.tools]),
            title=entry.title.format(product=s.product_name or s.product), target=self.current.endpoint,
            host=s.host, port=s.port, product=s.product,
            evidence=FindingEvidence(summary=summary, tool_changes=[c.to_dict() for c in self.changes],
                                     extra={"baseline_sha256": self.baseline.sha256, "sha256": self.current.sha256}),
            remediation=entry.remediation, references=list(entry.references), vantage=s.vantage,
        )


def server_changes(report: Report, baseline: Mapping[tuple, ToolSetPin]) -> list[ServerChange]:
    """Each pinned server of `report` against its pin in `baseline` (pins_of a saved report)."""
    out = []
    for service in report.services:
        pin = service_pin(service)
        if pin is None:
            continue
        old = baseline.get(pin_key(service, pin))
        out.append(ServerChange(service, pin, old, compare(old, pin) if old is not None else []))
    return out


def apply_baseline(report: Report, baseline: Mapping[tuple, ToolSetPin]) -> list[Finding]:
    """`--baseline`: record mcp.tools.changed's verdict on each pinned service and return the
    findings for the servers whose tools changed (the caller adds them to the report)."""
    found = []
    for change in server_changes(report, baseline):
        verdict = change.verdict()
        checks = change.service.checks
        at = next((i for i, c in enumerate(checks) if c.check == CHECK), None)
        if at is None:
            checks.append(verdict)
        else:
            checks[at] = verdict
        if verdict.result is CheckStatus.FINDING:
            found.append(change.finding())
    return found
