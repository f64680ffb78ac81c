"""MCP client configs beyond test_readers.py: the servers of every project ~/.claude.json
remembers, VS Code's user settings.json, Goose's YAML, and every kind of bad file as an error."""

from __future__ import annotations

import os

import pytest

from gatescan.local import mcp_clients
from gatescan.local.mcp_clients import Launch, launch_of
from tests.local.conftest import write


def _read(home, cwd, **env):
    return mcp_clients.read(home, env, cwd)


def test_remembered_projects_vscode_settings_and_goose(home, tmp_path):
    old = tmp_path / "old-project"
    write(home / ".claude.json", {"projects": {str(old): {"mcpServers": {}}, "not/absolute": {}}})
    mcp = write(old / ".mcp.json", '{\n  "mcpServers": {\n    "pm": {"command": "npx", "args": ["-y", "postmark-mcp"]}\n  }\n}\n')
    write(old / ".vscode" / "mcp.json", {"servers": {"api": {"type": "http", "url": "http://127.0.0.1:41020/mcp"}}})
    vs = write(home / ".config" / "Code" / "User" / "settings.json",
               '// VS Code keeps comments\n{ "editor.tabSize": 2, "mcp": { "servers": { "py": { "command": "uvx", "args": ["mcp-server-fetch"], }, }, }, }\n')
    write(home / ".config" / "goose" / "config.yaml",
          "extensions:\n  dev:\n    type: stdio\n    cmd: uvx\n    args: [goose-dev-mcp==1.2.0]\n    enabled: true\n"
          "  web:\n    type: streamable_http\n    uri: http://127.0.0.1:6500/mcp\n")
    found = _read(home, tmp_path / "cwd")
    assert found.errors == ()
    assert {(s["client"], s["name"], s["config_path"]) for s in found.mcp_servers} == {
        ("claude-code", "pm", str(mcp)), ("vscode", "api", str(old / ".vscode" / "mcp.json")),
        ("vscode", "py", str(vs)), ("goose", "dev", str(home / ".config" / "goose" / "config.yaml")),
        ("goose", "web", str(home / ".config" / "goose" / "config.yaml"))}
    assert set(found.scan_urls) == {"http://127.0.0.1:41020/mcp", "http://127.0.0.1:6500/mcp"}
    got = sorted((f.check, f.path, f.line) for f in found.findings)
    assert got == sorted([("mcp.package.known-bad", str(mcp), 3), ("mcp.launcher.unpinned", str(mcp), 3),
                          ("mcp.launcher.unpinned", str(vs), 2)])


@pytest.mark.parametrize("command,want", [
    (["npx", "--yes", "@scope/pkg@1.2.3", "--flag"], Launch("npm", "npx", "@scope/pkg", "1.2.3")),
    (["npx", "-y", "pkg@^1.2.0"], Launch("npm", "npx", "pkg", None)),
    (["/usr/local/bin/npx", "-y", "pkg@latest"], Launch("npm", "npx", "pkg", None)),
    (["uvx", "--python", "3.12", "pkg@0.4.1"], Launch("pypi", "uvx", "pkg", "0.4.1")),
    (["uvx", "--from", "pkg[cli]>=1", "cmd"], Launch("pypi", "uvx", "pkg", None)),
    (["uv", "tool", "run", "pkg"], Launch("pypi", "uvx", "pkg", None)),
    (["node", "server.js"], None),
    (["docker", "run", "-i", "img"], None),
    ([], None),
])
def test_more_launchers(command, want):
    assert launch_of(command) == want


def test_bad_files_are_errors_not_crashes(home, tmp_path):
    cfg = home / ".config"
    write(home / ".cursor" / "mcp.json", "{ not json at all")
    write(home / ".gemini" / "settings.json", "[]")
    write(home / ".codex" / "config.toml", "[mcp_servers.x\ncommand = ")
    write(cfg / "goose" / "config.yaml", "extensions: [unclosed\n")
    big = home / ".codeium" / "windsurf" / "mcp_config.json"
    big.parent.mkdir(parents=True)
    with open(big, "wb") as fh:
        fh.write(b'{"mcpServers": {"a": "' + b"x" * (50 * 1024 * 1024) + b'"}}')
    loop = cfg / "Claude" / "claude_desktop_config.json"
    loop.parent.mkdir(parents=True)
    os.symlink(loop, loop)
    denied = write(cfg / "zed" / "settings.json", {"context_servers": {}}, mode=0o000)
    write(home / ".claude.json", {"mcpServers": {"weird": "not an object", "n": {"command": 5}},
                                  "projects": {"relative/dir": {}, "/abs": []}})
    found = _read(home, tmp_path / "cwd")
    where = {e.where.split(": ")[0] for e in found.errors}
    expected = {str(home / ".cursor" / "mcp.json"), str(home / ".gemini" / "settings.json"),
                str(home / ".codex" / "config.toml"), str(cfg / "goose" / "config.yaml"), str(big), str(loop),
                str(home / ".claude.json")}
    if os.geteuid() != 0:  # root (also in the test namespace) reads anything
        expected.add(str(denied))
    assert expected <= where
    assert any("limit" in e.message for e in found.errors if e.where == str(big))
    assert found.mcp_servers == () and found.findings == ()


def test_empty_home(home, tmp_path):
    found = _read(home, tmp_path)
    assert (found.findings, found.errors, found.mcp_servers, found.scan_urls, found.configs) == ((), (), (), (), ())


@pytest.mark.parametrize("spec,bad", [("mcp-remote@0.1.15", True), ("mcp-remote@0.1.16-beta.1", True),
                                      ("mcp-remote@0.1.16", False), ("mcp-remote@0.0.4", False)])
def test_known_bad_ranges_compare_as_semver(spec, bad):
    launch = launch_of(["npx", "-y", spec])
    assert any(b.matches(launch) for b in mcp_clients.known_bad()) is bad


def test_installed_plugins_bring_their_own_servers(home, tmp_path):
    plugin = home / ".claude" / "plugins" / "cache" / "mkt" / "mailer" / "1.0.0"
    root = write(plugin / ".mcp.json", {"mcpServers": {"mail": {"command": "npx", "args": ["-y", "postmark-mcp@1.0.15"]}}})
    manifest = write(plugin / ".claude-plugin" / "plugin.json",
                     {"name": "mailer", "mcpServers": {"db": {"command": "uvx", "args": ["db-mcp==2.0.0"]}}})
    stray = home / ".claude" / "plugins" / "marketplaces" / "mkt" / "plugins" / "other"
    write(stray / ".mcp.json", {"mcpServers": {"never": {"command": "npx", "args": ["-y", "x"]}}})  # not installed
    write(home / ".claude" / "plugins" / "installed_plugins.json",
          {"version": 2, "plugins": {"mailer@mkt": [{"scope": "user", "installPath": str(plugin), "version": "1.0.0"}]}})
    found = _read(home, tmp_path / "cwd")
    assert {(s["client"], s["name"], s["config_path"]) for s in found.mcp_servers} == {
        ("claude-code-plugin", "mail", str(root)), ("claude-code-plugin", "db", str(manifest))}
    assert [(f.check, f.path) for f in found.findings] == [("mcp.package.known-bad", str(root))]  # malicious at any version


def test_claude_json_follows_claude_config_dir(home, tmp_path):
    alt = tmp_path / "alt"
    moved = write(alt / ".claude.json", {"mcpServers": {"a": {"type": "http", "url": "http://127.0.0.1:41030/mcp"}}})
    write(home / ".claude.json", {"mcpServers": {"ignored": {"command": "node", "args": ["x.js"]}}})
    found = _read(home, tmp_path / "cwd", CLAUDE_CONFIG_DIR=str(alt))
    assert [(s["name"], s["config_path"]) for s in found.mcp_servers] == [("a", str(moved))]
    found = _read(home / "other", tmp_path / "cwd")
    assert found.mcp_servers == ()
    inside = write(home / ".claude" / ".claude.json", {"mcpServers": {"b": {"command": "node", "args": ["b.js"]}}})
    assert [s["config_path"] for s in _read(home, tmp_path / "cwd").mcp_servers] == [str(home / ".claude.json"), str(inside)]


def test_a_50_mb_claude_json_is_read_and_one_past_the_limit_is_an_error(home, tmp_path):
    path = home / ".claude.json"
    pad = "x" * (50 * 1024 * 1024)
    path.write_text('{"history": "' + pad + '",\n "mcpServers": {"big": {"command": "npx", "args": ["-y", "big-mcp"]}}}')
    found = _read(home, tmp_path / "cwd")
    assert [(s["name"], s["line"]) for s in found.mcp_servers] == [("big", 2)] and found.errors == ()
    with open(path, "ab") as fh:
        fh.write(b" " * (mcp_clients.CLAUDE_JSON_LIMIT - 50 * 1024 * 1024))
    found = _read(home, tmp_path / "cwd")
    assert found.mcp_servers == () and [e.where for e in found.errors] == [str(path)]
    assert "limit" in found.errors[0].message
