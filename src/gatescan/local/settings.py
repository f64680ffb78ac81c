"""Claude Code settings that persist an attacker, read only: hooks that fetch and run code,
environment entries that inject code into every process or reroute the model API, settings that
approve every project MCP server or skip every permission prompt; and installed plugins' hooks.

Files (Claude Code docs, settings and hooks pages): `~/.claude/settings.json` and
`settings.local.json` (or `$CLAUDE_CONFIG_DIR`), a project's `.claude/settings.json` and
`.claude/settings.local.json`; keys `hooks.<Event>[].hooks[].command` (type command; SessionStart
runs at every start), `env`, `enableAllProjectMcpServers`, `permissions.defaultMode`
(`bypassPermissions`). Plugins live under `~/.claude/plugins/` with their hooks in
`hooks/hooks.json` (same `hooks` shape).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Iterator, Mapping
from urllib.parse import urlsplit

from ..model import ErrorRecord, Finding, Severity
from .configfile import ConfigText, get, line_of, read_config
from .model import LocalFindings, config_finding

PRODUCT = "claude-code"
# code any process of the user loads at start (Node, the dynamic linker, bash, Python, Perl)
INJECTING_ENV = ("NODE_OPTIONS", "LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES",
                 "DYLD_LIBRARY_PATH", "BASH_ENV", "ENV", "PROMPT_COMMAND", "PYTHONSTARTUP", "PERL5OPT", "RUBYOPT")
BASE_URL_ENV = ("ANTHROPIC_BASE_URL", "ANTHROPIC_BEDROCK_BASE_URL", "ANTHROPIC_VERTEX_BASE_URL")
# the skill rules' signals (rules/skills.yaml) for a download run by a shell or a decoded payload run:
# one definition of "fetch and run" for skills and hooks alike
_REMOTE_CODE_SIGNALS = ("fetch-shell", "b64-shell", "decode-exec")
MAX_PLUGIN_DEPTH = 6
MAX_PLUGIN_HOOK_FILES = 256


def settings_files(home: Path, env: Mapping[str, str], cwd: Path) -> list[Path]:
    """The user's settings, then each project's: the working directory and every project
    Claude Code remembers (`projects` of ~/.claude.json), since a cloned repository's committed
    .claude/settings.json runs its hooks the next time it is opened."""
    from .mcp_clients import project_dirs

    claude = Path(env["CLAUDE_CONFIG_DIR"]).expanduser() if env.get("CLAUDE_CONFIG_DIR") else home / ".claude"
    files = [claude / "settings.json", claude / "settings.local.json"]
    for project in project_dirs(home, env, cwd):
        files += [project / ".claude" / "settings.json", project / ".claude" / "settings.local.json"]
    return list(dict.fromkeys(files))


def _rules():
    from ..skills.rules import load_rules

    return load_rules()


def command_findings(command: str, *, what: str, path: str, line: int | None, key: str, fix: str) -> list[Finding]:
    """A command Claude Code runs by itself (a hook, the status line, the API key helper): one
    that fetches and runs code is `config.hooks.remote-code`; else the worst skill-rule hit at
    high or above (credential reads, exfiltration, reverse shells) is `config.hooks.suspicious`."""
    rules = _rules()
    if any(rules.signals[n].regex.search(command) for n in _REMOTE_CODE_SIGNALS if n in rules.signals):
        return [config_finding("config.hooks.remote-code", path=path, line=line, product=PRODUCT, key=key, fix=fix,
                               summary=f"{what} downloads and runs code: {command[:200]}")]
    hits = [h for h in rules.scan_text(command, source="hook.sh") if h.severity.at_least(Severity.HIGH)]
    if not hits:
        return []
    worst = max(hits, key=lambda h: h.severity.rank)
    f = config_finding("config.hooks.suspicious", path=path, line=line, product=PRODUCT, key=key, fix=fix,
                       summary=f"{what} matches the skill rule {worst.rule_id} ({worst.reason}): {command[:200]}")
    f.severity = worst.severity
    f.extra["rule"] = worst.rule_id
    return [f]


def plugin_hook_files(home: Path, env: Mapping[str, str]) -> list[Path]:
    """hooks/hooks.json of every plugin under ~/.claude/plugins (walked, bounded, links not followed)."""
    claude = Path(env["CLAUDE_CONFIG_DIR"]).expanduser() if env.get("CLAUDE_CONFIG_DIR") else home / ".claude"
    root = claude / "plugins"
    out: list[Path] = []
    if not root.is_dir():
        return out
    base = len(root.parts)
    for dirpath, dirnames, _files in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if len(here.parts) - base >= MAX_PLUGIN_DEPTH:
            dirnames[:] = []
        dirnames[:] = sorted(d for d in dirnames if d not in ("node_modules", ".git"))
        if here.name == "hooks" and (here / "hooks.json").exists():
            out.append(here / "hooks.json")
            if len(out) >= MAX_PLUGIN_HOOK_FILES:
                break
    return out


def _installed_hook_files(home: Path, env: Mapping[str, str]) -> list[Path]:
    """The hook files of installed plugins wherever they live (a local marketplace may install
    outside ~/.claude/plugins): hooks/hooks.json, and .claude-plugin/plugin.json whose `hooks`
    may be inline (code.claude.com/docs/en/plugins-reference)."""
    from .mcp_clients import installed_plugins

    out = []
    for plugin in installed_plugins(home, env):
        out += [plugin / "hooks" / "hooks.json", plugin / ".claude-plugin" / "plugin.json"]
    return out


def _hook_commands(data: Any) -> Iterator[tuple[list[str], str, str]]:
    """(key path, event, command) of every command hook."""
    hooks = get(data, "hooks")
    if not isinstance(hooks, dict):
        return
    for event, groups in list(hooks.items())[:64]:
        for group in groups[:256] if isinstance(groups, list) else []:
            inner = group.get("hooks") if isinstance(group, dict) else None
            for hook in inner[:256] if isinstance(inner, list) else []:
                if isinstance(hook, dict) and isinstance(hook.get("command"), str):
                    yield ["hooks", str(event)], str(event), hook["command"]


def _foreign(url: str) -> bool:
    """A model API base URL that is neither Anthropic's nor on this machine."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return True
    if not host:
        return True
    if host == "localhost" or host.endswith(".anthropic.com") or host == "anthropic.com":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def _findings(cfg: ConfigText, plugin: bool) -> list[Finding]:
    d, path, out = cfg.data, str(cfg.path), []

    def add(check: str, keys: list[str], summary: str, fix: str) -> None:
        out.append(config_finding(check, path=path, line=line_of(cfg.text, keys), product=PRODUCT, summary=summary,
                                  key=".".join(keys), fix=fix))

    for keys, event, command in _hook_commands(d):
        line = line_of(cfg.text, keys)
        out += command_findings(command, what=f"{'a plugin' if plugin else 'a'} {event} hook", path=path, line=line,
                                key=".".join(keys), fix=f"remove the {event} hook (or run a reviewed local script)")
    if plugin:
        return out
    for keys in (["statusLine", "command"], ["apiKeyHelper"]):
        command = get(d, ".".join(keys))
        if isinstance(command, str):
            out += command_findings(command, what=f"the {'.'.join(keys)} command", path=path,
                                    line=line_of(cfg.text, keys), key=".".join(keys), fix=f"remove {'.'.join(keys)}")
    env = get(d, "env")
    if isinstance(env, dict):
        for name, value in list(env.items())[:512]:
            if str(name).upper() in INJECTING_ENV and value not in (None, ""):
                add("config.env.injection", ["env", str(name)],
                    f"env.{name} is set: code it names loads into every process Claude Code starts",
                    f"remove env.{name}")
            elif str(name).upper() in BASE_URL_ENV and isinstance(value, str) and _foreign(value):
                add("config.env.base-url", ["env", str(name)],
                    f"env.{name} sends every prompt, file and tool result to {value[:120]}",
                    f"remove env.{name} unless that endpoint is yours")
    if get(d, "enableAllProjectMcpServers") is True:
        add("config.mcp.auto-approve", ["enableAllProjectMcpServers"],
            "enableAllProjectMcpServers is true: any cloned repository's .mcp.json starts its servers unasked",
            "enableAllProjectMcpServers: false")
    if get(d, "permissions.defaultMode") == "bypassPermissions":
        add("config.permissions.bypass", ["permissions", "defaultMode"],
            'permissions.defaultMode is "bypassPermissions": every tool call runs without a prompt',
            'permissions.defaultMode: "default"')
    return out


def read(home: Path, env: Mapping[str, str], cwd: Path) -> LocalFindings:
    findings: list[Finding] = []
    errors: list[ErrorRecord] = []
    configs: list[dict] = []
    walked = plugin_hook_files(home, env)
    if len(walked) >= MAX_PLUGIN_HOOK_FILES:  # a cap, said, never a silent drop
        errors.append(ErrorRecord(where="local.settings", message=f"plugin hook files: only the first "
                                  f"{MAX_PLUGIN_HOOK_FILES} under the plugins folder were read"))
    for agent, paths, plugin in (("claude-code", settings_files(home, env, cwd), False),
                                 ("claude-code-plugin", list(dict.fromkeys(walked + _installed_hook_files(home, env))), True)):
        for path in paths:
            got = read_config(path)
            if got is None:
                continue
            if isinstance(got, ErrorRecord):
                errors.append(got)
                continue
            configs.append({"agent": agent, "path": str(path)})
            if not isinstance(got.data, dict):
                errors.append(ErrorRecord(where=str(path), message="not an object at the top: nothing read"))
                continue
            findings += _findings(got, plugin)
    return LocalFindings(findings=tuple(findings), errors=tuple(errors), configs=tuple(configs))
