"""Any JSON a user's tool may have written, in any of the places the readers look: the readers
return findings and errors, never raise (hypothesis)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatescan.local import ide, mcp_clients, settings as claude_settings
from gatescan.local.mcp_clients import launch_of

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["mcpServers", "servers", "command", "args", "url", "hooks", "env", "type", "plugins",
                         "installPath", "authToken", "port", "SessionStart", "projects", "statusLine", "x"]),
        inner, max_size=5),
    max_leaves=25)

_PLACES = [".claude.json", ".mcp.json", ".claude/settings.json", ".claude/ide/40000.lock",
           ".claude/plugins/installed_plugins.json", ".cursor/mcp.json", ".gemini/settings.json",
           ".config/opencode/opencode.json", ".config/zed/settings.json", "tmp/gemini/ide/gemini-ide-server-1-2.json"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_PLACES), _json), min_size=1, max_size=4))
def test_readers_never_raise(files):
    home = Path(tempfile.mkdtemp())
    try:
        for place, value in files:
            path = home / place
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env = {"TMPDIR": str(home / "tmp")}
        for reader in (ide.read, mcp_clients.read, claude_settings.read):
            found = reader(home, env, home)
            assert all(e.where and e.message for e in found.errors)
    finally:
        shutil.rmtree(home)


@given(st.lists(st.text(max_size=12), max_size=6))
def test_launch_of_never_raises(argv):
    launch = launch_of(["npx", *argv])
    assert launch is None or launch.registry == "npm"
