"""Every server entry of every MCP client configuration on this machine, read only: stdio entries
are listed (they run with the user's rights) and never started; local URLs go to the scan.
Launchers that fetch the newest release at every start (`npx -y pkg`, `uvx pkg` without a
version) are `mcp.launcher.unpinned`; packages on the known-bad list (rules/local/mcp-packages.yaml,
each entry with its source) are `mcp.package.known-bad`.

Where each client keeps its servers (each client's docs, 2025-2026): Claude Desktop
`claude_desktop_config.json` (`mcpServers`); Claude Code `~/.claude.json` (top level and
`projects.<dir>.mcpServers`) and a project's `.mcp.json`; Cursor `~/.cursor/mcp.json` and
`.cursor/mcp.json`; VS Code `User/mcp.json` and `.vscode/mcp.json` (`servers`); Windsurf
`~/.codeium/windsurf/mcp_config.json`; Gemini CLI `~/.gemini/settings.json` (`url` is SSE,
`httpUrl` streamable HTTP); Cline's `cline_mcp_settings.json` in VS Code's global storage; Codex
`~/.codex/config.toml` (`[mcp_servers.<name>]`, `$CODEX_HOME`); OpenCode `opencode.json(c)` (`mcp`:
`type` local with a `command` list, or remote with `url`); Zed `settings.json` (`context_servers`);
Goose `~/.config/goose/config.yaml` (`extensions`: `cmd`/`args` or `uri`); Claude Code plugins
bring their own servers in `.mcp.json` at the plugin root or `mcpServers` of
`.claude-plugin/plugin.json` (code.claude.com/docs/en/plugins-reference), found through
`~/.claude/plugins/installed_plugins.json`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping

from .. import _paths
from ..identify import versions
from ..model import ErrorRecord, Finding, Severity
from .configfile import ConfigText, get, line_of, read_config
from .model import LocalFindings, config_finding

MAX_SERVERS_PER_FILE = 1000
CLAUDE_JSON_LIMIT = 64 * 1024 * 1024
MAX_PROJECTS = 500


@dataclass(frozen=True)
class ClientFile:
    client: str
    path: Path
    key: str  # where the servers are: a dotted key, or "claude.json" (top and per project)
    fmt: str = "json"


def project_dirs(home: Path, env: Mapping[str, str], cwd: Path) -> list[Path]:
    """The working directory, then every project Claude Code remembers (the absolute keys of
    `projects` in ~/.claude.json, at most MAX_PROJECTS): their .mcp.json and .claude/settings.json
    apply whenever they are opened again. An unreadable ~/.claude.json is reported by read()."""
    dirs = [cwd]
    for path in claude_json_files(home, env):
        got = read_claude_json(path)
        projects = got.data.get("projects") if isinstance(got, ConfigText) and isinstance(got.data, dict) else None
        if isinstance(projects, dict):
            dirs += [Path(p) for p in list(projects)[:MAX_PROJECTS] if isinstance(p, str) and Path(p).is_absolute()]
    return list(dict.fromkeys(dirs))


def read_claude_json(path: Path) -> ConfigText | ErrorRecord | None:
    """~/.claude.json, read once per run however many readers ask (it is also the project list),
    with its own limit: it keeps per-project state and history, and users report 65 to 238 MB
    (anthropics/claude-code#6394, #5653); past the limit it is an error, not a silent drop."""
    try:
        st = os.stat(path)
        key = (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        key = (str(path), 0, 0)  # absent, a loop, unreadable: read_config says which
    return _read_claude_json(*key)


@lru_cache(maxsize=2)  # the two places it may be; a changed file is a new key
def _read_claude_json(path: str, mtime_ns: int, size: int) -> ConfigText | ErrorRecord | None:
    return read_config(Path(path), CLAUDE_JSON_LIMIT)


def claude_json_files(home: Path, env: Mapping[str, str]) -> list[Path]:
    """Claude Code's global state (MCP servers of user and local scope, per-project state):
    `$CLAUDE_CONFIG_DIR/.claude.json` when that is set (anthropics/claude-code#24479), else
    `~/.claude.json`; `~/.claude/.claude.json` too, where 2.1.50 looked for it (farion1231/cc-switch#1102)."""
    if env.get("CLAUDE_CONFIG_DIR"):
        return [Path(env["CLAUDE_CONFIG_DIR"]).expanduser() / ".claude.json"]
    return [home / ".claude.json", home / ".claude" / ".claude.json"]


def installed_plugins(home: Path, env: Mapping[str, str]) -> list[Path]:
    """Install folders of the Claude Code plugins in ~/.claude/plugins/installed_plugins.json
    (`plugins.<name@marketplace>`: an entry, or in version 2 a list of entries, with `installPath`)."""
    claude = Path(env["CLAUDE_CONFIG_DIR"]).expanduser() if env.get("CLAUDE_CONFIG_DIR") else home / ".claude"
    got = read_config(claude / "plugins" / "installed_plugins.json")
    plugins = get(got.data, "plugins") if isinstance(got, ConfigText) else None
    out: list[Path] = []
    for entries in list(plugins.values())[:MAX_PROJECTS] if isinstance(plugins, dict) else []:
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, dict) and isinstance(entry.get("installPath"), str):
                out.append(Path(entry["installPath"]).expanduser())
    return list(dict.fromkeys(out))


def client_files(home: Path, env: Mapping[str, str], cwd: Path) -> list[ClientFile]:
    xdg = Path(env["XDG_CONFIG_HOME"]).expanduser() if env.get("XDG_CONFIG_HOME") else home / ".config"
    mac = home / "Library" / "Application Support"
    codex = Path(env["CODEX_HOME"]).expanduser() if env.get("CODEX_HOME") else home / ".codex"
    cline = "globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json"
    files = [
        ClientFile("claude-desktop", xdg / "Claude" / "claude_desktop_config.json", "mcpServers"),
        ClientFile("claude-desktop", mac / "Claude" / "claude_desktop_config.json", "mcpServers"),
        *(ClientFile("claude-code", p, "claude.json") for p in claude_json_files(home, env)),
        ClientFile("cursor", home / ".cursor" / "mcp.json", "mcpServers"),
        ClientFile("vscode", xdg / "Code" / "User" / "mcp.json", "servers"),
        ClientFile("vscode", mac / "Code" / "User" / "mcp.json", "servers"),
        ClientFile("vscode", xdg / "Code" / "User" / "settings.json", "mcp.servers"),  # before mcp.json existed
        ClientFile("windsurf", home / ".codeium" / "windsurf" / "mcp_config.json", "mcpServers"),
        ClientFile("gemini-cli", home / ".gemini" / "settings.json", "mcpServers"),
        ClientFile("cline", xdg / "Code" / "User" / cline, "mcpServers"),
        ClientFile("cline", mac / "Code" / "User" / cline, "mcpServers"),
        ClientFile("codex", codex / "config.toml", "mcp_servers", "toml"),
        ClientFile("opencode", xdg / "opencode" / "opencode.json", "mcp"),
        ClientFile("opencode", xdg / "opencode" / "opencode.jsonc", "mcp"),
        ClientFile("zed", xdg / "zed" / "settings.json", "context_servers"),
        ClientFile("goose", xdg / "goose" / "config.yaml", "extensions", "yaml"),
    ]
    for plugin in installed_plugins(home, env):  # a plugin's MCP servers start when it is enabled
        files += [ClientFile("claude-code-plugin", plugin / ".mcp.json", "mcpServers"),
                  ClientFile("claude-code-plugin", plugin / ".claude-plugin" / "plugin.json", "mcpServers")]
    for project in project_dirs(home, env, cwd):
        files += [ClientFile("claude-code", project / ".mcp.json", "mcpServers"),
                  ClientFile("cursor", project / ".cursor" / "mcp.json", "mcpServers"),
                  ClientFile("vscode", project / ".vscode" / "mcp.json", "servers"),
                  ClientFile("gemini-cli", project / ".gemini" / "settings.json", "mcpServers"),
                  ClientFile("opencode", project / "opencode.json", "mcp"),
                  ClientFile("opencode", project / "opencode.jsonc", "mcp")]
    seen: set[Path] = set()
    return [f for f in files if not (f.path in seen or seen.add(f.path))]


def _servers(cf: ClientFile, data: Any) -> Iterator[tuple[list[str], str, Any]]:
    """(key path, name, entry) of each server in the file."""
    if cf.key == "claude.json":
        yield from ((["mcpServers", n], n, e) for n, e in _items(get(data, "mcpServers")))
        projects = data.get("projects") if isinstance(data, dict) else None
        if isinstance(projects, dict):
            for project, body in list(projects.items())[:MAX_PROJECTS]:
                for n, e in _items(get(body, "mcpServers")):
                    yield ["projects", project, "mcpServers", n], n, e
        return
    yield from (([*cf.key.split("."), n], n, e) for n, e in _items(get(data, cf.key)))


def _items(block: Any) -> list[tuple[str, Any]]:
    return [(str(n), e) for n, e in list(block.items())[:MAX_SERVERS_PER_FILE]] if isinstance(block, dict) else []


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value[:256]] if isinstance(value, list) else []


def entry_record(client: str, path: Path, name: str, entry: Any) -> dict | None:
    """report.local.mcp_servers[] for one entry: stdio with its command line, or http with its URL."""
    if not isinstance(entry, dict):
        return None
    url = next((entry[k] for k in ("url", "httpUrl", "serverUrl", "uri") if isinstance(entry.get(k), str)), None)
    command: list[str] | None = None
    raw = entry.get("command", entry.get("cmd"))
    if isinstance(raw, list):  # OpenCode: the command line as a list
        command = _strings(raw)
    elif isinstance(raw, dict):  # Zed: {"path": ..., "args": [...]}
        command = [str(raw.get("path", ""))] + _strings(raw.get("args"))
    elif isinstance(raw, str):
        command = [raw] + _strings(entry.get("args"))
    if url is None and not command:
        return None
    record = {"client": client, "config_path": str(path), "name": name,
              "transport": "http" if url is not None and not command else "stdio"}
    if record["transport"] == "http":
        record["url"] = url
    else:
        record["command"] = command
    if entry.get("disabled") is True or entry.get("enabled") is False:
        record["disabled"] = True
    return record


# --- launchers and known-bad packages -----------------------------------------------------------

_NPX = {"npx", "npx.cmd", "bunx", "pnpx"}
_DLX = {"pnpm", "yarn", "bun"}  # pnpm dlx PKG, yarn dlx PKG, bun x PKG
_UVX = {"uvx", "pipx"}  # uvx PKG, pipx run PKG
_NPM_SPEC = re.compile(r"^(@[^/@\s]+/[^@\s]+|[^@\s][^@\s]*)(?:@(.+))?$")
_PY_SPEC = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:(==|@)\s*(\S+)|[<>~!=]=?.*)?$")


@dataclass(frozen=True)
class Launch:
    registry: str  # npm | pypi
    launcher: str
    package: str
    version: str | None  # an exact version, or None (the registry's newest at every start)


def _first_positional(args: list[str], takes_value: frozenset[str] = frozenset()) -> tuple[str | None, list[str]]:
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in takes_value
            continue
        return arg, args[:i]
    return None, args


def launch_of(command: list[str]) -> Launch | None:
    """The package a launcher command line fetches and runs, or None (a local program)."""
    if not command:
        return None
    exe = command[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    args = list(command[1:])
    if exe in _DLX and args and args[0] in ("dlx", "x"):
        exe, args = "npx", args[1:]
    if exe in _NPX:
        spec, before = _first_positional(args, frozenset({"-p", "--package", "-c", "--call"}))
        pkg_flag = next((before[i + 1] for i, a in enumerate(before[:-1]) if a in ("-p", "--package")), None)
        spec = pkg_flag or spec
        m = _NPM_SPEC.match(spec or "")
        if not m:
            return None
        version = m.group(2)
        exact = version if version and re.fullmatch(r"v?\d+(\.\d+){0,2}([-+][\w.-]+)?", version) else None
        return Launch("npm", exe, m.group(1), exact)
    if exe == "pipx" and args[:1] == ["run"]:
        args = args[1:]
    elif exe == "uv" and args[:2] == ["tool", "run"]:
        args, exe = args[2:], "uvx"
    elif exe != "uvx":
        return None
    frm = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--from", "--spec")), None)
    spec, _ = _first_positional(args, frozenset({"--from", "--spec", "--with", "--python", "-p", "--index-url"}))
    m = _PY_SPEC.match((frm or spec or "").strip())
    if not m:
        return None
    version = m.group(3) if m.group(2) else None
    return Launch("pypi", exe, m.group(1).lower(), version)


@dataclass(frozen=True)
class BadPackage:
    registry: str
    name: str
    versions: str
    severity: Severity
    reason: str
    references: tuple[str, ...]

    def matches(self, launch: Launch) -> bool:
        if launch.registry != self.registry or launch.package.lower() != self.name.lower():
            return False
        if self.versions.strip() == "*":
            return True
        if launch.version is None:
            return False
        try:  # the advisories' comparison, in the registry's own scheme
            return versions.parse(launch.version, SCHEME[self.registry]) in self.range()
        except versions.VersionError:
            return False  # a pinned version the scheme does not know: not claimed to be bad

    def range(self) -> "versions.Range":
        return versions.parse_range(self.versions, SCHEME[self.registry])


SCHEME = {"npm": "semver", "pypi": "pep440"}


@lru_cache(maxsize=1)
def known_bad() -> tuple[BadPackage, ...]:
    """rules/local/mcp-packages.yaml, checked on load (a misspelt field fails, naming it)."""
    from ..userio import load_yaml

    path = _paths.data_dir("rules") / "local" / "mcp-packages.yaml"
    doc = load_yaml(path.read_text(encoding="utf-8"))
    out = []
    for i, e in enumerate(doc.get("packages") or []):
        unknown = set(e) - {"registry", "name", "versions", "severity", "reason", "references"}
        if unknown or e.get("registry") not in ("npm", "pypi") or not e.get("name") or not e.get("references"):
            raise ValueError(f"{path}: packages[{i}]: bad entry ({', '.join(sorted(unknown)) or 'missing fields'})")
        bad = BadPackage(e["registry"], e["name"], str(e.get("versions", "*")), Severity.parse(e["severity"]),
                         " ".join(str(e["reason"]).split()), tuple(e["references"]))
        if bad.versions.strip() != "*":
            try:
                bad.range()
            except versions.VersionError as exc:
                raise ValueError(f"{path}: packages[{i}]: versions {bad.versions!r}: {exc}") from None
        out.append(bad)
    return tuple(out)


def _launch_findings(record: dict, cfg: ConfigText, keys: list[str], line: int | None) -> list[Finding]:
    launch = launch_of(record.get("command") or [])
    if launch is None:
        return []
    path = str(cfg.path)
    out: list[Finding] = []
    who = f"{record['client']} server {record['name']!r}"
    for bad in known_bad():
        if bad.matches(launch):
            f = config_finding("mcp.package.known-bad", path=path, line=line, product="mcp-server",
                               summary=f"{who} runs {launch.registry} package {launch.package}"
                                       f"{'@' + launch.version if launch.version else ''}: {bad.reason}",
                               key=".".join(keys), fix=f"remove the {record['name']!r} entry")
            f.severity = bad.severity
            f.references = list(bad.references)
            out.append(f)
    if launch.version is None:
        out.append(config_finding(
            "mcp.launcher.unpinned", path=path, line=line, product="mcp-server",
            summary=f"{who} starts `{launch.launcher} {launch.package}` without a version: whatever the "
                    f"{launch.registry} registry serves at the next start runs with your rights",
            key=".".join(keys), fix=f"pin it: {launch.package}{'@' if launch.registry == 'npm' else '=='}<version>"))
    return out


def _toml_line(text: str, keys: list[str]) -> int | None:
    """The line of a `[mcp_servers.<name>]` table header (its name bare or quoted)."""
    table, name = ".".join(keys[:-1]), re.escape(keys[-1])
    m = re.search(rf"^\s*\[\s*{re.escape(table)}\.(?:{name}|\"{name}\"|'{name}')\s*\]", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else line_of(text, keys)


def read(home: Path, env: Mapping[str, str], cwd: Path) -> LocalFindings:
    findings: list[Finding] = []
    errors: list[ErrorRecord] = []
    records: list[dict] = []
    configs: list[dict] = []
    urls: list[str] = []
    for cf in client_files(home, env, cwd):
        got = read_claude_json(cf.path) if cf.key == "claude.json" else read_config(cf.path, fmt=cf.fmt)
        if got is None:
            continue
        if isinstance(got, ErrorRecord):
            errors.append(got)
            continue
        configs.append({"agent": cf.client, "path": str(cf.path)})
        if not isinstance(got.data, dict):
            errors.append(ErrorRecord(where=str(cf.path), message="not an object at the top: nothing read"))
            continue
        for keys, name, entry in _servers(cf, got.data):
            record = entry_record(cf.client, cf.path, name, entry)
            if record is None:
                errors.append(ErrorRecord(where=f"{cf.path}: {'.'.join(keys)}",
                                          message="an MCP server entry with neither a command nor a URL"))
                continue
            record["line"] = _toml_line(got.text, keys) if cf.fmt == "toml" else line_of(got.text, keys)
            records.append(record)
            if record["transport"] == "http":
                urls.append(record["url"])
            else:
                findings += _launch_findings(record, got, keys, record["line"])
    return LocalFindings(findings=tuple(findings), errors=tuple(errors), configs=tuple(configs),
                         mcp_servers=tuple(records), scan_urls=tuple(dict.fromkeys(urls)))
