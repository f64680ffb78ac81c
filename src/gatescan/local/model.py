"""What the local-mode readers hand to the audit: frozen records, one kind per job.

The readers (config files, IDE locks, MCP client configs, settings) read files only; the
listener census reads the socket table. Both meet in local/audit.py, which never parses a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import ErrorRecord, Finding


@dataclass(frozen=True)
class ConfigCause:
    """The configuration key that produces what a network check finds on a port: the fix is
    to change that key (`gateway.bind` for exposure.network, `gateway.auth.mode` for auth.missing)."""

    port: int | None  # the port the config serves on (None: any port of that agent)
    check: str  # the network check id it explains
    key: str  # the dotted key, as the agent names it
    path: str  # the file that sets it
    line: int | None
    fix: str  # the change, in the agent's own words (`gateway.bind: "loopback"`)
    product: str = "openclaw-gateway"  # the product whose service the cause attaches to

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "key": self.key, "path": self.path, "line": self.line, "fix": self.fix}


@dataclass(frozen=True)
class LocalFindings:
    """Everything the file readers found, in report terms."""

    findings: tuple[Finding, ...] = ()  # config.* / ide.auth.missing / ... with path and line
    errors: tuple[ErrorRecord, ...] = ()
    configs: tuple[dict, ...] = ()  # report.local.configs[] entries {agent, path}
    mcp_servers: tuple[dict, ...] = ()  # report.local.mcp_servers[] entries
    scan_urls: tuple[str, ...] = ()  # local URLs to scan (IDE lock ports, MCP http urls, gateway port)
    causes: tuple[ConfigCause, ...] = ()

    def __add__(self, other: "LocalFindings") -> "LocalFindings":
        return LocalFindings(*(a + b for a, b in zip(self._parts(), other._parts())))

    def _parts(self) -> tuple[tuple, ...]:
        return (self.findings, self.errors, self.configs, self.mcp_servers, self.scan_urls, self.causes)


@dataclass(frozen=True)
class Listener:
    """One listening TCP socket and, where the user may see it, its owner."""

    bind: str  # the listen address as the kernel shows it (0.0.0.0, ::, 127.0.0.1, 10.99.0.1 ...)
    port: int
    pid: int | None = None
    exe: str | None = None
    cmdline: tuple[str, ...] | None = None
    name: str | None = None  # the process name (comm)
    runtime: str | None = None  # docker-proxy / rootlessport / slirp4netns: the runtime that published it
    container: dict[str, Any] = field(default_factory=dict)  # what the runtime says of the container

    def process(self) -> dict[str, Any] | None:
        """`process {pid, exe, cmdline}` of the report (plus name, runtime, container where known)."""
        if self.pid is None:
            return None
        out: dict[str, Any] = {"pid": self.pid, "exe": self.exe,
                               "cmdline": list(self.cmdline) if self.cmdline is not None else None}
        if self.name:
            out["name"] = self.name
        if self.runtime:
            out["runtime"] = self.runtime
        if self.container:
            out["container"] = dict(self.container)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"bind": self.bind, "port": self.port, "process": self.process()}


def config_finding(check: str, *, path: str, line: int | None, summary: str, product: str | None = None,
                   key: str | None = None, fix: str | None = None, title: str | None = None) -> Finding:
    """A finding read from a file, worded and rated by the check's catalogue entry; `key`/`fix`
    name the setting to change (the console shows it, `extra.fix_key` carries it)."""
    from .. import catalog
    from ..model import FindingEvidence

    entry = catalog.get(check)
    finding = Finding(check=check, severity=entry.severity or catalog.severity(check), title=title or entry.title,
                      target=path, path=path, line=line, product=product,
                      evidence=FindingEvidence(summary=summary), remediation=entry.remediation,
                      references=list(entry.references))
    if key:
        finding.extra["fix_key"] = {"key": key, "fix": fix or key, "path": path, "line": line}
    return finding
