"""The one-line verdict every human-facing renderer ends with (console, HTML).

Counts services, not findings: "3 services anyone on this network can drive" is what an
admin acts on.
"""

from __future__ import annotations

import ipaddress

from ..model import Report, Severity

# Checks that, proven, mean whoever reaches the port (or a web page the user visits) drives it.
NETWORK_DRIVE = {"auth.missing"}
WEB_DRIVE = {"ws.origin.unchecked", "http.host.unchecked", "http.cors.permissive"}


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def verdict_parts(report: Report) -> dict:
    lan, local, web = set(), set(), set()
    for f in report.findings:
        if f.port is None:
            continue
        key = (f.vantage, f.host, f.port)
        if f.check in NETWORK_DRIVE:
            (local if is_loopback(f.host) else lan).add(key)
        if f.check in WEB_DRIVE:
            web.add(key)
    skills_bad = sum(1 for s in report.skills or () if s.status in ("malicious", "modified"))
    return {"lan": len(lan), "local": len(local), "web": len(web), "skills_bad": skills_bad}


def scanned_network(report: Report) -> bool:
    """Whether the report holds a network scan (a skills-only audit has no services to count)."""
    return bool(report.services) or "probes_total" in report.stats


def verdict_text(report: Report) -> tuple[str, Severity | None]:
    """(sentence, worst severity or None)."""
    p = verdict_parts(report)
    worst = report.worst_severity()
    network = scanned_network(report)
    parts = []
    if p["lan"]:
        parts.append(f"{_plural(p['lan'], 'service')} anyone on this network can drive")
    if p["local"]:
        parts.append(f"{_plural(p['local'], 'service')} any local program can drive")
    if p["web"]:
        parts.append(f"{_plural(p['web'], 'service')} a web page you visit can drive")
    if p["skills_bad"]:
        parts.append(f"{_plural(p['skills_bad'], 'skill')} malicious or modified")
    n = len(report.findings)
    audited = f"{_plural(len(report.skills), 'skill')} audited" if report.skills is not None else ""
    if parts:
        text = "; ".join(parts) + (f" ({_plural(n, 'finding')}, worst {worst.value})" if worst else "")
    elif n and network:
        text = f"{_plural(n, 'finding')}, worst {worst.value}; nothing anyone can drive was proven"
    elif n:  # a skills audit: what it proves is about skills, not services
        text = f"{_plural(n, 'finding')}, worst {worst.value}; {audited}, none malicious or modified"
    else:
        checked = "checked" if not report.services or any(s.checks for s in report.services) else "found, none checked"
        found = [f"{_plural(len(report.services), 'service')} {checked}"] if network else []
        text = "No findings: " + ", ".join(found + ([audited] if audited else [])) if found or audited else "No findings"
    if report.suppressed:
        text += f"; {len(report.suppressed)} suppressed"
    if not report.complete:  # the run says why when it could scan nothing (app.scan, audit_skills)
        nothing = next((e.message for e in report.errors if e.message.startswith("nothing was scanned")), None)
        text += f" — INCOMPLETE: {nothing}" if nothing else " — INCOMPLETE: the run was interrupted or lost work"
    return text, worst
