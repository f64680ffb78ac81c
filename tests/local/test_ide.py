"""IDE discovery files beyond the basics of test_readers.py: CLAUDE_CONFIG_DIR, a lock without the
key at all, the early Gemini companions' files in the temp dir itself, and every kind of bad file
as an error (never a crash, never a silent drop, the file cap included)."""

from __future__ import annotations

import os

from gatescan.local import ide
from tests.local.conftest import write


def _read(home, tmp, **env):
    return ide.read(home, {"TMPDIR": str(tmp), **env}, home)


def test_claude_config_dir_and_lock_without_the_key(home, tmp_path):
    alt = tmp_path / "alt"
    lock = write(alt / "ide" / "50000.lock", {"pid": 3, "ideName": "JetBrains", "transport": "ws"})
    write(home / ".claude" / "ide" / "50001.lock", {"pid": 4, "transport": "ws"})  # not read: the env wins
    found = _read(home, tmp_path / "t", CLAUDE_CONFIG_DIR=str(alt))
    assert [(f.check, f.path, f.line, f.product) for f in found.findings] == [
        ("ide.auth.missing", str(lock), 1, "claude-code-ide")]
    assert found.scan_urls == ("ws://127.0.0.1:50000/",) and found.errors == ()


def test_empty_token_is_missing_at_its_line(home, tmp_path):
    lock = write(home / ".claude" / "ide" / "41235.lock",
                 '{\n  "pid": 2,\n  "ideName": "Neovim",\n  "transport": "ws",\n  "authToken": "  "\n}\n')
    found = _read(home, tmp_path / "t")
    assert [(f.path, f.line) for f in found.findings] == [(str(lock), 5)]


def test_early_gemini_companion_file_in_the_temp_dir(home, tmp_path):
    tmp = tmp_path / "tmp"
    legacy = write(tmp / "gemini-ide-server-778.json", {"port": 40002})
    write(tmp / "gemini-ide-server-779-40003.json", {"port": 40003})  # not a name the early companion wrote
    write(tmp / "unrelated.json", {"port": 1})
    found = _read(home, tmp)
    assert [(f.check, f.path) for f in found.findings] == [("ide.auth.missing", str(legacy))]
    assert "Gemini" in found.findings[0].title
    assert found.scan_urls == ("http://127.0.0.1:40002/mcp",)


def test_bad_lock_files_are_errors_not_crashes(home, tmp_path):
    d = home / ".claude" / "ide"
    write(d / "40000.lock", "\x00\x01garbage{{{")
    big = d / "40002.lock"
    big.write_bytes(b"{" + b" " * (ide.MAX_LOCK_BYTES + 10) + b"}")
    os.symlink(d / "40004.lock", d / "40004.lock")  # a link loop
    (d / "40005.lock").mkdir()  # a directory named like a lock
    denied = write(d / "40003.lock", {"authToken": "x" * 20}, mode=0o000)
    found = _read(home, tmp_path / "t")
    where = {e.where for e in found.errors}
    assert {str(d / "40000.lock"), str(big), str(d / "40004.lock"), str(d / "40005.lock")} <= where
    if os.geteuid() != 0:  # root (also in the test namespace) reads anything
        assert str(denied) in where
    assert all(f.path == str(denied) for f in found.findings) and len(found.findings) <= 1


def test_file_cap_is_an_error_not_a_silent_drop(home, tmp_path):
    d = home / ".claude" / "ide"
    for port in range(20000, 20000 + ide.MAX_FILES + 3):
        write(d / f"{port}.lock", {"authToken": "t" * 16})
    found = _read(home, tmp_path / "t")
    assert len(found.scan_urls) == ide.MAX_FILES
    assert [e.where for e in found.errors] == [str(d)] and "only the first" in found.errors[0].message


def test_empty_home_is_empty(home, tmp_path):
    found = _read(home, tmp_path / "nothing")
    assert (found.findings, found.errors, found.scan_urls, found.configs) == ((), (), (), ())


def test_a_lock_without_token_is_the_cause_of_what_the_scan_finds(home, tmp_path):
    lock = write(home / ".claude" / "ide" / "41002.lock", {"pid": 1, "ideName": "VS Code", "transport": "ws"})
    write(home / ".claude" / "ide" / "41001.lock", {"pid": 1, "transport": "ws", "authToken": "t" * 36})
    found = _read(home, tmp_path / "t")
    assert {(c.port, c.check, c.product, c.path, c.key) for c in found.causes} == {
        (41002, "auth.missing", "claude-code-ide", str(lock), "authToken"),
        (41002, "ws.origin.unchecked", "claude-code-ide", str(lock), "authToken")}
