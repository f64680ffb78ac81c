"""The OpenClaw config in every era: exactly the expected config.* findings with path and line,
the causes the audit attaches to network findings, and bad input as errors, never a crash."""

from __future__ import annotations

import os

import pytest

from gatescan.local import openclaw_config, readers
from tests.local.conftest import write

JSON5_LAN_NONE = """// a hand-edited OpenClaw config (JSON5)
{
  gateway: {
    port: 18790,
    bind: 'lan',   // reach it from the phone
    auth: { mode: 'none' },
    controlUi: {
      allowedOrigins: ['*'],
      dangerouslyAllowHostHeaderOriginFallback: true,
    },
    tailscale: { mode: 'serve' },
    trustedProxies: ['10.0.0.0/8', '127.0.0.1'],
  },
  discovery: { mdns: { mode: 'full' } },
}
"""


def _read(home, env=None):
    return openclaw_config.read(home, env or {}, home)


def _by_check(found):
    return {f.check: f for f in found.findings}


def test_json5_lan_none_every_setting(home):
    path = write(home / ".openclaw" / "openclaw.json", JSON5_LAN_NONE)
    found = _read(home)
    got = _by_check(found)
    assert set(got) == {"config.auth.none", "config.origins.wildcard", "config.origins.host-fallback",
                        "config.tailscale.serve", "config.proxies.wide", "config.mdns.full"}
    lines = {c: f.line for c, f in got.items()}
    assert lines == {"config.auth.none": 6, "config.origins.wildcard": 8, "config.origins.host-fallback": 9,
                     "config.tailscale.serve": 11, "config.proxies.wide": 12, "config.mdns.full": 14}
    assert all(f.path == str(path) and f.product == "openclaw-gateway" for f in found.findings)
    assert got["config.auth.none"].extra["fix_key"]["key"] == "gateway.auth.mode"
    assert found.configs == ({"agent": "openclaw", "path": str(path)},)
    assert "http://127.0.0.1:18790/" in found.scan_urls
    causes = {(c.check, c.key) for c in found.causes}
    assert ("exposure.network", "gateway.bind") in causes and ("auth.missing", "gateway.auth.mode") in causes
    assert ("ws.origin.unchecked", "gateway.controlUi.allowedOrigins") in causes
    assert all(c.port == 18790 for c in found.causes)
    assert found.errors == ()


def test_hardened_current_config_has_no_findings(home):
    write(home / ".openclaw" / "openclaw.json", {"gateway": {"mode": "local", "bind": "loopback",
                                                             "auth": {"mode": "token", "token": "${OPENCLAW_TOKEN}"}},
                                                 "hooks": {"enabled": True, "token": "${HOOK_TOKEN}"}}, mode=0o644)
    found = _read(home)
    assert found.findings == () and found.causes == () and found.errors == ()


def test_clawdbot_era_defaults_no_auth_and_full_mdns(home):
    """Clawdbot <= 2026.1.24: no auth mode and no token meant none; mDNS had only full mode."""
    path = write(home / ".clawdbot" / "clawdbot.json", {"gateway": {"bind": "lan"}})
    got = _by_check(_read(home))
    assert set(got) == {"config.auth.none", "config.mdns.full"}
    assert got["config.auth.none"].path == str(path) and "Clawdbot" in got["config.auth.none"].evidence.summary
    # a token in the environment turns it on
    assert "config.auth.none" not in _by_check(_read(home, {"CLAWDBOT_GATEWAY_TOKEN": "t" * 32}))


def test_moltbot_funnel_hook_reuse_and_readable_secrets(home):
    token = "a" * 40
    path = write(home / ".moltbot" / "moltbot.json",
                 {"gateway": {"auth": {"mode": "token", "token": token}, "tailscale": {"mode": "funnel"}},
                  "hooks": {"enabled": True, "token": token}}, mode=0o644)
    got = _by_check(_read(home))
    assert set(got) == {"config.tailscale.funnel", "config.hooks.token-reuse", "config.secrets.readable"}
    assert "gateway.auth.token" in got["config.secrets.readable"].evidence.summary
    assert token not in str([f.to_dict() for f in got.values()])  # the secret itself is never copied
    os.chmod(path, 0o600)
    assert "config.secrets.readable" not in _by_check(_read(home))


def test_auth_profiles_next_to_the_config(home):
    write(home / ".openclaw" / "openclaw.json", {"gateway": {"bind": "loopback"}})
    prof = write(home / ".openclaw" / "agents" / "main" / "agent" / "auth-profiles.json",
                 {"profiles": {"anthropic:default": {"apiKey": "sk-ant-" + "x" * 30}}}, mode=0o640)
    got = _by_check(_read(home))
    assert set(got) == {"config.secrets.readable"} and got["config.secrets.readable"].path == str(prof)


def test_env_overrides_and_profiles(home, tmp_path):
    custom = write(tmp_path / "elsewhere.json", {"gateway": {"bind": "custom", "auth": {"mode": "none"}}})
    state = tmp_path / "state"
    write(state / "openclaw.json", {"gateway": {"controlUi": {"allowedOrigins": ["*"]}}})
    write(home / ".openclaw-work" / "openclaw.json", {"gateway": {"trustedProxies": ["0.0.0.0/0"]}})
    found = _read(home, {"OPENCLAW_CONFIG_PATH": str(custom), "OPENCLAW_STATE_DIR": str(state),
                         "OPENCLAW_GATEWAY_PORT": "19001"})
    assert {(f.check, f.path) for f in found.findings} == {
        ("config.auth.none", str(custom)), ("config.origins.wildcard", str(state / "openclaw.json")),
        ("config.proxies.wide", str(home / ".openclaw-work" / "openclaw.json"))}
    assert {c.port for c in found.causes} == {19001}


@pytest.mark.parametrize("make,message", [
    (lambda p: p.write_text("{gateway: {bind: 'lan',,}"), "not valid JSON or JSON5"),
    (lambda p: p.write_bytes(b"{" + b" " * (50 * 1024 * 1024) + b"}"), "byte limit"),
    (lambda p: (p.unlink(missing_ok=True), os.symlink(p, p)), "cannot read"),
    (lambda p: p.write_text("[1, 2]"), "not an object"),
    (lambda p: p.write_text("[" * 100_000), "nested too deeply"),
])
def test_bad_input_is_an_error_never_a_crash(home, make, message):
    path = home / ".openclaw" / "openclaw.json"
    path.parent.mkdir(parents=True)
    make(path)
    found = readers.read_all(home, {}, home)
    if message is None:  # permission denied: root in the namespace may still read it; either way no crash
        assert found.errors == () or "cannot read" in found.errors[0].message
        return
    assert len(found.errors) == 1 and message in found.errors[0].message, found.errors
    assert found.errors[0].where == str(path) and found.findings == ()


def test_permission_denied_is_an_error(home):
    """The suite runs as root in its namespace, which reads any file it owns: the host's pid 1
    environment is a file it may not read (another user namespace's process)."""
    try:
        open("/proc/1/environ", "rb").close()
        pytest.skip("this user may read /proc/1/environ")
    except PermissionError:
        pass
    found = readers.read_all(home, {"OPENCLAW_CONFIG_PATH": "/proc/1/environ"}, home)
    assert [(e.where, e.message) for e in found.errors] == [("/proc/1/environ", "cannot read: Permission denied")]
