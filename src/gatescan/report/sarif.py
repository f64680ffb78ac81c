"""SARIF 2.1.0 (`--sarif FILE`) for code-scanning dashboards: one rule per check id, results
with levels and `security-severity`, URI or file locations, stable partialFingerprints.

Suppressed findings are kept as results with an external suppression, as SARIF intends.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath
from typing import Any, Iterator
from urllib.parse import quote

from ..model import Finding, Report, Severity, sort_findings
from ._stream import Stream, iter_json
from ..catalog import describe
from .interface import RenderOptions, ReportFormat

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SHORT_MAX = 120  # characters of a rule's shortDescription
FINGERPRINT_KEY = "gatescanFindingKey/v1"

LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}
# GitHub code scanning buckets: >=9 critical, 7-8.9 high, 4-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "0.0"}


def finding_fingerprint(finding: Finding, occurrence: int = 0) -> str:
    """sha256 of the finding key: the same finding hashes the same in every run. The second and
    later findings sharing one key (two manifest problems in one SKILL.md) add their ordinal, so
    a dashboard that merges equal fingerprints does not drop them."""
    key = list(finding.key()) + ([occurrence] if occurrence else [])
    return hashlib.sha256(json.dumps(key, separators=(",", ":")).encode()).hexdigest()


def _fingerprints(findings: list[Finding]) -> dict[int, str]:
    """id(finding) -> fingerprint; ordinals follow the renderers' order, not the report's."""
    seen: dict[tuple, int] = {}
    out = {}
    for f in sort_findings(findings):
        n = seen.get(f.key(), 0)
        seen[f.key()] = n + 1
        out[id(f)] = finding_fingerprint(f, n)
    return out


def _file_uri(path: str) -> str:
    if path.startswith(("file:", "http:", "https:")):
        return path
    if PurePosixPath(path).is_absolute():
        return "file://" + quote(path)
    return quote(path)


def _tcp_uri(host: str, port: int | None) -> str:
    """tcp://host:port for a finding without a target URL; IPv6 literals in brackets (RFC 3986)."""
    netloc = f"[{host}]" if ":" in host else host
    return f"tcp://{netloc}" if port is None else f"tcp://{netloc}:{port}"


def _short(text: str) -> str:
    """A rule's shortDescription (dashboards show it as the rule's title): the description while
    it is short, else its first sentence or clause, else a cut."""
    if len(text) < SHORT_MAX:
        return text
    first = text.split(". ")[0].rstrip(".")
    if len(first) >= SHORT_MAX:
        first = re.split(r"[,;:] ", first)[0]
    return first if len(first) < SHORT_MAX else first[:SHORT_MAX - 5].rstrip() + " ..."


def _rule_name(check: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in check.replace("-", ".").replace("_", ".").split("."))


def _rules(report: Report) -> tuple[list[dict[str, Any]], dict[str, int]]:
    by_check: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_check.setdefault(f.check, []).append(f)
    for s in report.suppressed:
        by_check.setdefault(s.finding.check, []).append(s.finding)
    rules, index = [], {}
    for check in sorted(by_check):
        items = by_check[check]
        worst = max((f.severity for f in items), key=lambda s: s.rank)
        sample = next((f for f in items if f.remediation), items[0])
        text = describe(check, sample.title)
        remediation = sample.remediation or "See the finding's evidence."
        refs = sorted({r for f in items for r in f.references})
        help_md = f"**{check}**: {text}\n\n**Remediation**: {remediation}"
        if refs:
            help_md += "\n\n**References**: " + ", ".join(refs)
        index[check] = len(rules)
        rules.append({
            "id": check,
            "name": _rule_name(check),
            "shortDescription": {"text": _short(text)},
            "fullDescription": {"text": text},
            "help": {"text": f"{text}\nRemediation: {remediation}", "markdown": help_md},
            "defaultConfiguration": {"level": LEVEL[worst]},
            "properties": {
                "tags": ["security", check.split(".")[0]],
                "security-severity": SECURITY_SEVERITY[worst],
                "precision": "high",
            },
        })
    return rules, index


def _location(f: Finding) -> dict[str, Any]:
    if f.port is None and f.path:
        phys: dict[str, Any] = {"artifactLocation": {"uri": _file_uri(f.path)}}
        if f.line and f.line >= 1:
            phys["region"] = {"startLine": f.line}
        return {"physicalLocation": phys}
    uri = f.target or (_tcp_uri(f.host, f.port) if f.host else "")
    loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
    if f.host:
        name = f"{f.host}:{f.port}" if f.port is not None else f.host
        loc["logicalLocations"] = [{"name": name, "kind": "module",
                                    "fullyQualifiedName": f"{f.product or 'unknown'}@{name}"}]
    return loc


def _result(f: Finding, rule_index: dict[str, int], fingerprint: str,
            suppression: dict[str, Any] | None = None) -> dict[str, Any]:
    text = f.title
    if f.evidence.summary:
        text += f". {f.evidence.summary}"
    props: dict[str, Any] = {"severity": f.severity.value, "security-severity": SECURITY_SEVERITY[f.severity]}
    for name in ("host", "port", "product", "skill", "vantage", "machine"):
        value = getattr(f, name)
        if value is not None:
            props[name] = value
    if f.references:
        props["references"] = f.references
    if f.evidence.exchanges:
        props["exchanges"] = [e.to_dict() for e in f.evidence.exchanges]
    if f.evidence.browser is not None:
        props["browser"] = f.evidence.browser
    result: dict[str, Any] = {
        "ruleId": f.check,
        "ruleIndex": rule_index[f.check],
        "level": LEVEL[f.severity],
        "message": {"text": text},
        "locations": [_location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": props,
    }
    if f.remediation:  # SARIF `fixes` need concrete edits; the text goes in properties and the rule's help
        props["remediation"] = f.remediation
    if suppression is not None:
        result["suppressions"] = [suppression]
    return result


def _results(report: Report, index: dict[str, int]) -> Iterator[dict[str, Any]]:
    fingerprints = _fingerprints(report.findings + [s.finding for s in report.suppressed])
    for f in report.findings:
        yield _result(f, index, fingerprints[id(f)])
    for s in report.suppressed:
        sup: dict[str, Any] = {"kind": "external", "status": "accepted"}
        if s.reason:
            sup["justification"] = s.reason + (f" (expires {s.expires})" if s.expires else "")
        yield _result(s.finding, index, fingerprints[id(s.finding)], sup)


def _document(report: Report, *, lazy: bool) -> dict[str, Any]:
    rules, index = _rules(report)
    results: Any = Stream(_results(report, index)) if lazy else list(_results(report, index))
    invocation: dict[str, Any] = {"executionSuccessful": bool(report.complete)}
    if report.started_at:
        invocation["startTimeUtc"] = report.started_at
    if report.finished_at:
        invocation["endTimeUtc"] = report.finished_at
    if report.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "warning", "message": {"text": f"{e.where}: {e.message}"}} for e in report.errors]
    driver: dict[str, Any] = {"name": report.tool.get("name", "gatescan"), "rules": rules}
    version = report.tool.get("version")
    if version:
        driver["version"] = version
        driver["semanticVersion"] = version
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "automationDetails": {"id": f"gatescan/{report.scan_id}"},
            "invocations": [invocation],
            "results": results,
            "properties": {"schema": report.schema, "scan_id": report.scan_id, "complete": report.complete},
        }],
    }


def sarif_document(report: Report) -> dict[str, Any]:
    """The SARIF log as a dict (tests, small reports)."""
    return _document(report, lazy=False)


def iter_sarif(report: Report) -> Iterator[str]:
    """The SARIF log in pieces, one result per line: fast and flat in memory for big reports."""
    yield from iter_json(_document(report, lazy=True))
    yield "\n"


def render_sarif(report: Report) -> str:
    return "".join(iter_sarif(report))


class SarifFormat(ReportFormat):
    """`--sarif`: SARIF 2.1.0 for code-scanning dashboards."""

    def render(self, report: Report, options: RenderOptions) -> Iterator[str]:
        return iter_sarif(report)
