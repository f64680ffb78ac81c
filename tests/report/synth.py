"""Synthetic reports holding every kind of record DESIGN.md defines, for renderer tests and
bench/report.py (the producing issues fill in real ones later)."""

from __future__ import annotations

from gatescan.model import (
    CheckResult, ErrorRecord, Evidence, Exchange, Finding, FindingEvidence, Report, Scope,
    Service, SkillRecord, SuppressedFinding,
)


def _origin_finding(host: str, port: int, vantage: str | None = None) -> Finding:
    return Finding(
        check="ws.origin.unchecked", severity="high",
        title="WebSocket accepted from a foreign Origin",
        target=f"ws://{host}:{port}/", host=host, port=port, product="openclaw-gateway",
        evidence=FindingEvidence(
            summary="Origins that passed: https://attacker.example, null",
            exchanges=[Exchange(
                request={"method": "GET", "url": f"ws://{host}:{port}/", "headers": {"Origin": "https://attacker.example"}},
                response={"status": 101, "headers": {"Upgrade": "websocket"}, "body": ""},
            )],
            browser={"connected": True, "page_origin": "http://rebind.test:8000", "read": True},
        ),
        remediation="Set gateway.controlUi.allowedOrigins to your own origins.",
        references=["GHSA-xxxx-yyyy-zzzz"], vantage=vantage,
    )


def full_report() -> Report:
    """One report with network, config and skills findings, check results, local, shards,
    suppressed, vantages, machine fields, an unknown future field, and hostile strings."""
    gw = Service(
        host="127.0.0.1", port=18789, product="openclaw-gateway", product_name="OpenClaw gateway",
        version="2026.1.5", confidence=0.95, tls=False, bind="127.0.0.1",
        evidence=[Evidence(probe="GET /", observed="<title>OpenClaw Control</title>")],
        process={"pid": 4242, "exe": "/usr/bin/node", "cmdline": ["node", "openclaw", "gateway"]},
        checks=[
            CheckResult("auth.missing", "finding", "hello-ok without a token"),
            CheckResult("ws.origin.unchecked", "finding", "foreign Origin accepted"),
            CheckResult("http.host.unchecked", "passed", "rebinding Host refused with 403"),
            CheckResult("version.vulnerable", "finding", "2026.1.5 < 2026.1.29"),
            CheckResult("tls.missing", "not_applicable", "loopback"),
        ],
        vantage="office",
    )
    ollama = Service(
        host="10.99.0.1", port=11434, product="ollama", product_name="Ollama", version="0.5.7",
        confidence=1.0, evidence=[Evidence(probe="GET /api/version", observed='{"version":"0.5.7"}')],
        checks=[
            CheckResult("auth.missing", "finding", "GET /api/tags answered 200"),
            CheckResult("http.cors.permissive", "inconclusive", "server closed the connection"),
            CheckResult("exposure.network", "finding", "answers on 10.99.0.1"),
        ],
        vantage="office",
    )
    unknown = Service(host="::1", port=8080, product="unknown", banner="Server: \x1b[31mevil\x1b[0m",
                      extra={"future_field": {"kept": True}})
    findings = [
        Finding(check="auth.missing", severity="critical", title="Gateway accepts operators without credentials",
                target="ws://127.0.0.1:18789/", host="127.0.0.1", port=18789, product="openclaw-gateway",
                evidence=FindingEvidence(summary="connect answered hello-ok", exchanges=[Exchange(
                    request={"frame": '{"type":"req","method":"connect"}', "url": "ws://127.0.0.1:18789/"},
                    response={"frame": '{"type":"res","ok":true}'})]),
                remediation="Set gateway.auth.mode to token.", references=["CVE-2026-25253"], vantage="office"),
        _origin_finding("127.0.0.1", 18789, "office"),
        Finding(check="version.vulnerable", severity="medium", title="OpenClaw 2026.1.5 has a known advisory",
                target="http://127.0.0.1:18789/", host="127.0.0.1", port=18789, product="openclaw-gateway",
                evidence=FindingEvidence(summary="version 2026.1.5 in range <2026.1.29"),
                references=["GHSA-g8p2-7wf7-98mq", "https://example.invalid/advisory"], vantage="office"),
        Finding(check="auth.missing", severity="high", title="Ollama API answers without credentials",
                target="http://10.99.0.1:11434/api/tags", host="10.99.0.1", port=11434, product="ollama",
                evidence=FindingEvidence(summary="GET /api/tags -> 200", exchanges=[Exchange(
                    request={"method": "GET", "url": "http://10.99.0.1:11434/api/tags"},
                    response={"status": 200, "body": '{"models":[]}'})]),
                remediation="Bind Ollama to 127.0.0.1 or put it behind an authenticating proxy.", vantage="office"),
        Finding(check="exposure.network", severity="low", title="Ollama answers on a non-loopback address",
                target="http://10.99.0.1:11434/", host="10.99.0.1", port=11434, product="ollama", vantage="office"),
        Finding(check="config.auth.none", severity="high", title="gateway.auth.mode is none",
                target="/home/u/.openclaw/openclaw.json", path="/home/u/.openclaw/openclaw.json", line=12,
                product="openclaw-gateway", evidence=FindingEvidence(summary='"mode": "none"'),
                remediation="Use token auth.", machine="ws-07"),
        Finding(check="skill.rule.reverse-shell", severity="critical", title="Skill opens a reverse shell <script>",
                target="/home/u/.openclaw/skills/evil/SKILL.md", path="/home/u/.openclaw/skills/evil/SKILL.md",
                line=40, skill="evil", evidence=FindingEvidence(summary="bash -i >& /dev/tcp/…"),
                remediation="Remove the skill.", machine="ws-07"),
        Finding(check="skill.unlisted", severity="info", title="Skill is not on the allowlist",
                target="/home/u/.openclaw/skills/notes", path="/home/u/.openclaw/skills/notes", skill="notes",
                machine="ws-07"),
    ]
    suppressed = [SuppressedFinding(
        finding=Finding(check="tls.missing", severity="medium", title="Plaintext on a LAN address",
                        target="http://10.99.0.1:11434/", host="10.99.0.1", port=11434, product="ollama"),
        reason="lab box, accepted until the proxy lands", expires="2027-01-31")]
    return Report(
        scan_id="synthetic-0001",
        started_at="2026-11-24T23:00:00.000Z", finished_at="2026-11-24T23:01:02.500Z", complete=True,
        scope=Scope(targets=["127.0.0.1", "10.99.0.0/24", "::1"], ports="agents", excluded=["10.99.0.254"],
                    shard="1/2", vantages=[{"name": "office", "cidrs": ["10.99.0.0/24"]}]),
        stats={"probes": 1024, "open": 3, "identified": 2, "elapsed_s": 62.5},
        services=[gw, ollama, unknown],
        findings=findings,
        suppressed=suppressed,
        skills=[
            SkillRecord(name="evil", path="/home/u/.openclaw/skills/evil", root="/home/u/.openclaw/skills",
                        agent="openclaw", source="clawhub", slug="evil-skill", owner="mallory", version="1.0.0",
                        fingerprint="sha256:" + "ab" * 32, status="malicious", machine="ws-07"),
            SkillRecord(name="notes", path="/home/u/.openclaw/skills/notes", root="/home/u/.openclaw/skills",
                        agent="openclaw", source="local", status="unlisted", machine="ws-07"),
            SkillRecord(name="weather", path="/usr/lib/openclaw/skills/weather", agent="openclaw",
                        source="bundled", version="2.1.0", status="allowlisted"),
        ],
        local={
            "listeners": [{"bind": "127.0.0.1", "port": 18789,
                           "process": {"pid": 4242, "exe": "/usr/bin/node", "cmdline": "node openclaw gateway"}}],
            "configs": [{"agent": "openclaw", "path": "/home/u/.openclaw/openclaw.json"}],
            "mcp_servers": [
                {"client": "claude-desktop", "config_path": "/home/u/.config/Claude/claude_desktop_config.json",
                 "name": "fs", "transport": "stdio", "command": ["npx", "@modelcontextprotocol/server-filesystem"]},
                {"client": "cursor", "config_path": "/home/u/.cursor/mcp.json", "name": "remote",
                 "transport": "http", "url": "http://127.0.0.1:3000/mcp"},
            ],
            "machine": "ws-07",
        },
        shards=[{"id": "1/2", "vantage": "office", "worker": "w1", "status": "done", "attempts": 1},
                {"id": "2/2", "vantage": "office", "worker": "w2", "status": "done", "attempts": 2}],
        errors=[ErrorRecord(where="nas.lan", message="name does not resolve"),
                ErrorRecord(where="10.99.0.7:8080", message="read timed out", vantage="office")],
        extra={"x_future_section": [1, 2, 3]},
    )


def many_findings(n: int, *, hosts: int = 2000) -> Report:
    """A large report: n network findings spread over `hosts` hosts (for the benchmark)."""
    report = Report(scan_id=f"bench-{n}", started_at="2026-11-24T23:00:00.000Z",
                    finished_at="2026-11-24T23:30:00.000Z",
                    scope=Scope(targets=["10.0.0.0/8"], ports="agents"))
    checks = ["auth.missing", "ws.origin.unchecked", "http.cors.permissive", "http.host.unchecked",
              "version.vulnerable", "exposure.network", "tls.missing"]
    sevs = ["critical", "high", "high", "medium", "medium", "low", "info"]
    for h in range(hosts):
        host = f"10.{(h >> 16) & 255}.{(h >> 8) & 255}.{h & 255}"
        report.services.append(Service(host=host, port=18789, product="openclaw-gateway", version="2026.1.5",
                                       confidence=0.9, checks=[CheckResult(c, "finding", "proved") for c in checks]))
    for i in range(n):
        h = i % hosts
        host = f"10.{(h >> 16) & 255}.{(h >> 8) & 255}.{h & 255}"
        port = 18789 + (i // (hosts * len(checks)))
        c = i % len(checks)
        report.findings.append(Finding(
            check=checks[c], severity=sevs[c], title=f"{checks[c]} on {host}:{port}",
            target=f"http://{host}:{port}/", host=host, port=port, product="openclaw-gateway",
            evidence=FindingEvidence(summary="request succeeded without credentials", exchanges=[Exchange(
                request={"method": "GET", "url": f"http://{host}:{port}/api/status", "headers": {"Origin": "https://attacker.example"}},
                response={"status": 200, "headers": {"content-type": "application/json"}, "body": '{"ok":true}'})]),
            remediation="Turn on authentication.", references=["CVE-2026-25253"]))
    return report
