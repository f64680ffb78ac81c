"""IDE surfaces a local agent connects to, read from their discovery files (never the network):
the ports go to the scan, a file without a token is `ide.auth.missing`.

- Claude Code: `~/.claude/ide/<port>.lock` (or `$CLAUDE_CONFIG_DIR/ide/`), JSON with `pid`,
  `workspaceFolders`, `ideName`, `transport` and `authToken`; the IDE's MCP-over-WebSocket server
  checks the `x-claude-code-ide-authorization` header against that token since VS Code extension
  1.0.24 / JetBrains plugin 0.1.9 (GHSA-9f65-56v6-gxw7; coder/claudecode.nvim PROTOCOL.md).
- Gemini CLI IDE companion: `<tmpdir>/gemini/ide/gemini-ide-server-<PID>-<PORT>.json` with `port`,
  `workspacePath`, `authToken` and `ideInfo`; the CLI sends the token as `Authorization: Bearer`
  to the companion's MCP-over-HTTP server at `/mcp` (google-gemini/gemini-cli
  docs/ide-integration/ide-companion-spec.md). Older companions wrote `gemini-ide-server-<PID>.json`
  with no token at all, straight in the temp dir (packages/vscode-ide-companion ide-server.ts of
  mid-2025 joined os.tmpdir() and gemini-ide-server-<ppid>.json).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

from ..model import ErrorRecord, Finding
from .configfile import line_of, read_config
from .model import ConfigCause, LocalFindings, config_finding

MAX_LOCK_BYTES = 64 * 1024
MAX_FILES = 256


def _port(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 1 <= port <= 65535 else None


def _files(directory: Path, pattern: str, errors: list[ErrorRecord]) -> list[Path]:
    try:
        files = sorted(directory.glob(pattern))
    except OSError as exc:
        errors.append(ErrorRecord(where=str(directory), message=f"cannot list: {exc.strerror or exc}"))
        return []
    if len(files) > MAX_FILES:  # a cap, said, never a silent drop
        errors.append(ErrorRecord(where=str(directory),
                                  message=f"{len(files)} discovery files; only the first {MAX_FILES} were read"))
    return files[:MAX_FILES]


def _causes(port: int, product: str, path: str, line: int, fix: str) -> list[ConfigCause]:
    """A discovery file without a token is why the scan of its port finds the integration open
    (no auth, any Origin): the console shows the fix next to those findings."""
    return [ConfigCause(port=port, check=check, key="authToken", path=path, line=line, fix=fix, product=product)
            for check in ("auth.missing", "ws.origin.unchecked")]


def _token(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def read(home: Path, env: Mapping[str, str], cwd: Path) -> LocalFindings:
    findings: list[Finding] = []
    errors: list[ErrorRecord] = []
    urls: list[str] = []
    configs: list[dict] = []
    causes: list[ConfigCause] = []
    claude = Path(env["CLAUDE_CONFIG_DIR"]).expanduser() if env.get("CLAUDE_CONFIG_DIR") else home / ".claude"
    for lock in _files(claude / "ide", "*.lock", errors):
        got = read_config(lock, MAX_LOCK_BYTES)
        if got is None:
            continue
        if isinstance(got, ErrorRecord):
            errors.append(got)
            continue
        data = got.data if isinstance(got.data, dict) else None
        port = _port(lock.stem)
        if data is None or port is None:
            errors.append(ErrorRecord(where=str(lock), message="not a Claude Code IDE lock (an object named <port>.lock)"))
            continue
        configs.append({"agent": "claude-code-ide", "path": str(lock)})
        urls.append(f"ws://127.0.0.1:{port}/")
        if not _token(data.get("authToken")):
            causes += _causes(port, "claude-code-ide", str(lock), line_of(got.text, "authToken") or 1,
                              "update the Claude Code IDE extension (VS Code 1.0.24+, JetBrains 0.1.9+)")
            findings.append(config_finding(
                "ide.auth.missing", path=str(lock), line=line_of(got.text, "authToken") or 1, product="claude-code-ide",
                summary=f"{data.get('ideName') or 'an IDE'} (pid {data.get('pid')}) listens on 127.0.0.1:{port} and its "
                        "lock file has no authToken: any local program or web page may connect to it",
                key="the IDE extension", fix="update the Claude Code IDE extension (VS Code 1.0.24+, JetBrains 0.1.9+)"))
    tmp = Path(env.get("TMPDIR") or "/tmp")
    # the current companion's folder, then the early companions' files straight in the temp dir
    gemini = _files(tmp / "gemini" / "ide", "gemini-ide-server-*.json", errors)
    gemini += [p for p in _files(tmp, "gemini-ide-server-*.json", errors) if re.fullmatch(r"gemini-ide-server-\d+\.json", p.name)]
    for found in gemini:
        got = read_config(found, MAX_LOCK_BYTES)
        if got is None:
            continue
        if isinstance(got, ErrorRecord):
            errors.append(got)
            continue
        data = got.data if isinstance(got.data, dict) else None
        port = _port(data.get("port")) if data else None
        if port is None:
            errors.append(ErrorRecord(where=str(found), message="not a Gemini CLI IDE discovery file (no port)"))
            continue
        configs.append({"agent": "gemini-cli-ide", "path": str(found)})
        urls.append(f"http://127.0.0.1:{port}/mcp")
        if not _token(data.get("authToken")):
            causes += _causes(port, "mcp-server", str(found), line_of(got.text, "authToken") or 1,
                              "update the Gemini CLI IDE companion extension")
            findings.append(config_finding(
                "ide.auth.missing", path=str(found), line=line_of(got.text, "authToken") or 1, product="mcp-server",
                title="A Gemini CLI IDE companion discovery file has no auth token",
                summary=f"the Gemini CLI companion listens on 127.0.0.1:{port} and its discovery file has no authToken",
                key="the Gemini CLI companion extension", fix="update the Gemini CLI IDE companion extension"))
    return LocalFindings(findings=tuple(findings), errors=tuple(errors), configs=tuple(configs),
                         scan_urls=tuple(dict.fromkeys(urls)), causes=tuple(causes))
