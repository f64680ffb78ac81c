"""The OpenClaw gateway's configuration in every era, read only: what a setting exposes, with
the file and line, and which key causes what the network checks find on the gateway's port.

Facts (OpenClaw src/config/paths.ts, docs/gateway/configuration-reference.md, CHANGELOG; checked
for 2026.1.24, 2026.1.30, 2026.4.12 and the 2026.9.6 package):
- files: ~/.openclaw/openclaw.json (JSON5), OPENCLAW_CONFIG_PATH, OPENCLAW_STATE_DIR, profiles
  ~/.openclaw-<name>; legacy state dirs ~/.clawdbot (clawdbot.json, CLAWDBOT_CONFIG_PATH /
  CLAWDBOT_STATE_DIR), ~/.moltbot (moltbot.json), ~/.moldbot (moldbot.json).
- gateway.bind: loopback (default) | lan (0.0.0.0) | tailnet | custom | auto (0.0.0.0 in
  containers); gateway.port (default 18789; OPENCLAW_GATEWAY_PORT wins).
- gateway.auth.mode: none | token | password | trusted-proxy. Up to 2026.1.24 (Clawdbot) an unset
  mode with no token or password was none; 2026.1.29 to 2026.2.18 had no none; from 2026.2.19 a
  token is generated when unset, so none is only ever explicit there.
- gateway.controlUi.allowedOrigins ("*" honoured as allow-all from 2026.3.1) and
  gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback (2026.2.24).
- gateway.tailscale.mode: off | serve | funnel; gateway.trustedProxies[]; discovery.mdns.mode:
  off | minimal | full (full, the only behaviour up to 2026.1.24, publishes cliPath and sshPort);
  hooks.token (OpenClaw's own audit: hooks.token_reuse_gateway_token, critical).
"""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..model import ErrorRecord, Finding
from .configfile import ConfigText, get, line_of, read_config
from .model import ConfigCause, LocalFindings, config_finding

PRODUCT = "openclaw-gateway"
DEFAULT_PORT = 18789
WIDE_BINDS = {"lan", "tailnet", "custom", "auto"}
SECRET_KEYS = ("token", "password", "apikey", "api_key", "secret", "bottoken", "apptoken", "signingsecret")
MAX_SECRET_WALK = 20_000  # values visited in one config


def config_files(home: Path, env: Mapping[str, str]) -> list[tuple[str, Path]]:
    """(agent era, path) of every config file this user's OpenClaw of any era may read."""
    out: list[tuple[str, Path]] = []
    if env.get("OPENCLAW_CONFIG_PATH"):
        out.append(("openclaw", Path(env["OPENCLAW_CONFIG_PATH"]).expanduser()))
    if env.get("OPENCLAW_STATE_DIR"):
        out.append(("openclaw", Path(env["OPENCLAW_STATE_DIR"]).expanduser() / "openclaw.json"))
    out.append(("openclaw", home / ".openclaw" / "openclaw.json"))
    try:
        profiles = sorted(p for p in home.glob(".openclaw-*") if p.is_dir())[:64]
    except OSError:
        profiles = []
    out.extend(("openclaw", p / "openclaw.json") for p in profiles)
    if env.get("CLAWDBOT_CONFIG_PATH"):
        out.append(("clawdbot", Path(env["CLAWDBOT_CONFIG_PATH"]).expanduser()))
    if env.get("CLAWDBOT_STATE_DIR"):
        out.append(("clawdbot", Path(env["CLAWDBOT_STATE_DIR"]).expanduser() / "clawdbot.json"))
    out += [("clawdbot", home / ".clawdbot" / "clawdbot.json"), ("moltbot", home / ".moltbot" / "moltbot.json"),
            ("moltbot", home / ".moldbot" / "moldbot.json")]
    seen: set[Path] = set()
    unique = []
    for era, path in out:
        if path not in seen:
            seen.add(path)
            unique.append((era, path))
    return unique


def _plain_secret(value: Any) -> bool:
    """A literal secret, not a SecretRef ({source, id} object) or an ${ENV} reference."""
    return isinstance(value, str) and len(value) >= 8 and not value.startswith(("${", "env:", "$"))


def _secrets(data: Any) -> Iterator[tuple[list[str], str]]:
    """(key path, value) of every plaintext secret-looking entry, bounded."""
    stack: list[tuple[list[str], Any]] = [([], data)]
    budget = MAX_SECRET_WALK
    while stack and budget > 0:
        path, value = stack.pop()
        budget -= 1
        if isinstance(value, dict):
            for k, v in value.items():
                key = str(k)
                if isinstance(v, str) and key.replace("-", "").lower().endswith(SECRET_KEYS) and _plain_secret(v):
                    yield path + [key], v
                elif isinstance(v, (dict, list)):
                    stack.append((path + [key], v))
        elif isinstance(value, list):
            stack.extend((path + [str(i)], v) for i, v in enumerate(value[:1000]))


class _Config:
    """One file's facts, with the era's defaults applied."""

    def __init__(self, era: str, cfg: ConfigText, env: Mapping[str, str]) -> None:
        self.era, self.cfg, self.path = era, cfg, str(cfg.path)
        d = cfg.data if isinstance(cfg.data, dict) else {}
        self.data = d
        bind = get(d, "gateway.bind")
        self.bind = bind if isinstance(bind, str) else "loopback"
        self.wide = self.bind != "loopback"  # lan, tailnet, custom, auto (WIDE_BINDS) or anything unknown
        port = env.get("OPENCLAW_GATEWAY_PORT") or get(d, "gateway.port")
        try:
            self.port = int(port) if port is not None and 1 <= int(port) <= 65535 else DEFAULT_PORT
        except (TypeError, ValueError):
            self.port = DEFAULT_PORT
        mode = get(d, "gateway.auth.mode")
        token, password = get(d, "gateway.auth.token"), get(d, "gateway.auth.password")
        prefix = "CLAWDBOT" if era == "clawdbot" else "OPENCLAW"
        has_secret = bool(token or password or env.get(f"{prefix}_GATEWAY_TOKEN") or env.get(f"{prefix}_GATEWAY_PASSWORD"))
        if mode == "none":
            self.auth_none, self.auth_key, self.auth_implied = True, "gateway.auth.mode", False
        elif mode is None and era == "clawdbot" and not has_secret:
            # Clawdbot (<= 2026.1.24): no mode and no secret meant no authentication
            self.auth_none, self.auth_key, self.auth_implied = True, "gateway.auth", True
        else:
            self.auth_none, self.auth_key, self.auth_implied = False, "gateway.auth.mode", False

    def line(self, dotted: str) -> int | None:
        return line_of(self.cfg.text, dotted)


def _findings(c: _Config) -> tuple[list[Finding], list[ConfigCause]]:
    findings: list[Finding] = []
    causes: list[ConfigCause] = []
    d, path = c.data, c.path

    def add(check: str, key: str, summary: str, fix: str) -> None:
        findings.append(config_finding(check, path=path, line=c.line(key), summary=summary, product=PRODUCT,
                                       key=key, fix=fix))

    def cause(check: str, key: str, fix: str) -> None:
        causes.append(ConfigCause(port=c.port, check=check, key=key, path=path, line=c.line(key), fix=fix))

    auth_fix = 'gateway.auth.mode: "token" (with a long random gateway.auth.token)'
    if c.auth_none and c.wide:
        why = ("no gateway.auth mode or secret (Clawdbot's default was no authentication)" if c.auth_implied
               else 'gateway.auth.mode is "none"')
        add("config.auth.none", c.auth_key,
            f"gateway.bind is {c.bind!r} (beyond loopback) and {why}: anyone who reaches port {c.port} drives the agent",
            auth_fix)
    if c.auth_none:
        for check in ("auth.missing", "http.host.unchecked"):
            cause(check, c.auth_key, auth_fix)
    if c.wide:
        cause("exposure.network", "gateway.bind", 'gateway.bind: "loopback"')
        if not get(d, "gateway.tls.enabled"):
            cause("tls.missing", "gateway.tls", "gateway.tls.enabled: true (or keep gateway.bind loopback)")
    origins = get(d, "gateway.controlUi.allowedOrigins")
    if isinstance(origins, list) and "*" in origins:
        add("config.origins.wildcard", "gateway.controlUi.allowedOrigins",
            'gateway.controlUi.allowedOrigins contains "*": every web page may connect to the gateway',
            'gateway.controlUi.allowedOrigins: the exact origins, without "*"')
        for check in ("ws.origin.unchecked", "http.cors.permissive"):
            cause(check, "gateway.controlUi.allowedOrigins", 'remove "*" from gateway.controlUi.allowedOrigins')
    if get(d, "gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback") is True:
        key = "gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback"
        add("config.origins.host-fallback", key,
            "the Host header is accepted as an allowed Origin: a page on a DNS-rebinding name passes the Origin check",
            f"{key}: false")
        cause("ws.origin.unchecked", key, f"{key}: false")
    tailscale = get(d, "gateway.tailscale.mode")
    if tailscale == "funnel":
        add("config.tailscale.funnel", "gateway.tailscale.mode",
            "gateway.tailscale.mode is \"funnel\": the gateway is published to the internet", 'gateway.tailscale.mode: "off"')
    elif tailscale == "serve" and c.auth_none:
        add("config.tailscale.serve", "gateway.tailscale.mode",
            "gateway.tailscale.mode is \"serve\" while auth is none: every device of the tailnet drives the agent",
            auth_fix)
    proxies = get(d, "gateway.trustedProxies")
    wide = [p for p in proxies if _wide_range(p)] if isinstance(proxies, list) else []
    if wide:
        add("config.proxies.wide", "gateway.trustedProxies",
            f"gateway.trustedProxies trusts {', '.join(map(str, wide[:5]))}: any host in there can claim a client address",
            "gateway.trustedProxies: only the exact proxy addresses")
    mdns = get(d, "discovery.mdns.mode")
    if mdns == "full" or (mdns is None and c.era == "clawdbot"):
        add("config.mdns.full", "discovery.mdns.mode",
            ('discovery.mdns.mode is "full"' if mdns == "full" else "no discovery.mdns.mode (Clawdbot advertised in full)")
            + ": the LAN is told the CLI path (the user name) and the SSH port", 'discovery.mdns.mode: "minimal"')
    hook, gateway_token = get(d, "hooks.token"), get(d, "gateway.auth.token")
    if isinstance(hook, str) and hook and hook == gateway_token:
        add("config.hooks.token-reuse", "hooks.token",
            "hooks.token equals gateway.auth.token: whoever holds the webhook secret holds the operator token",
            "hooks.token: a different long random value")
    return findings, causes


def _wide_range(entry: Any) -> bool:
    """Wider than a /16 (IPv4) or a /64 (IPv6), or everything."""
    if not isinstance(entry, str):
        return False
    if entry.strip() in ("*", "0.0.0.0", "::"):
        return True
    try:
        net = ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return False
    return net.prefixlen < (16 if net.version == 4 else 64)


def _readable(cfg: ConfigText, era: str) -> list[Finding]:
    """config.secrets.readable: plaintext secrets in a file group or others may read."""
    if not cfg.mode & (stat.S_IRGRP | stat.S_IROTH):
        return []
    secrets = list(_secrets(cfg.data))
    if not secrets:
        return []
    first = secrets[0][0]
    who = "everyone" if cfg.mode & stat.S_IROTH else "its group"
    names = ", ".join(".".join(p) for p, _ in secrets[:5])
    return [config_finding("config.secrets.readable", path=str(cfg.path), line=line_of(cfg.text, first),
                           product=PRODUCT, key=f"chmod 600 {cfg.path}", fix=f"chmod 600 {cfg.path}",
                           summary=f"mode {stat.filemode(cfg.mode)}: {who} can read {len(secrets)} plaintext "
                                   f"secret(s) ({names})")]


def read(home: Path, env: Mapping[str, str], cwd: Path) -> LocalFindings:
    findings: list[Finding] = []
    errors: list[ErrorRecord] = []
    configs: list[dict] = []
    causes: list[ConfigCause] = []
    urls: list[str] = []
    for era, path in config_files(home, env):
        got = read_config(path)
        if got is None:
            continue
        if isinstance(got, ErrorRecord):
            errors.append(got)
            continue
        configs.append({"agent": era, "path": str(path)})
        if not isinstance(got.data, dict):
            errors.append(ErrorRecord(where=str(path), message="not an object at the top: nothing read"))
            continue
        c = _Config(era, got, env)
        f, k = _findings(c)
        findings += f + _readable(got, era)
        causes += k
        urls.append(f"http://127.0.0.1:{c.port}/")
        for extra in _state_files(path.parent):
            more = read_config(extra)
            if isinstance(more, ConfigText):
                findings += _readable(more, era)
            elif isinstance(more, ErrorRecord):
                errors.append(more)
    return LocalFindings(findings=tuple(findings), errors=tuple(errors), configs=tuple(configs),
                         scan_urls=tuple(dict.fromkeys(urls)), causes=tuple(causes))


def _state_files(state: Path, limit: int = 64) -> list[Path]:
    """Model API keys next to the config: agents/<id>/agent/auth-profiles.json."""
    try:
        return sorted(state.glob("agents/*/agent/auth-profiles.json"))[:limit]
    except OSError:
        return []
