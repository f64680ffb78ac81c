"""A real broker and real workers on loopback, inside the suite's private namespace.

`broker` starts Debian's redis-server on 127.0.0.1 (a random port, a random password, no
persistence); `workers` starts three `gatescan worker` processes (two on vantage seg-a, one on
seg-b). Everything is stopped by its PID.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli.conftest import gatescan_exe
from tests.netns import in_private_netns

pytest.importorskip("celery", reason="needs the [distributed] extra (celery[redis])")

VISIBILITY_S = 40  # a lost worker's shard comes back after this: above the longest shard here (the kill -9 test waits it out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Redis:
    port: int
    password_file: Path
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def auth_args(self) -> list[str]:
        return ["--broker", self.url, "--password-file", str(self.password_file)]

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password_file.read_text().strip())

    def stop(self) -> None:
        stop_pid(self.proc)


def stop_pid(proc: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 15) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)


def start_redis(tmp: Path) -> Redis:
    if not in_private_netns():
        pytest.skip("needs the private network namespace (scripts/test)")
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; scripts/test installs it as root)")
    password = secrets.token_hex(16)
    pw = tmp / "redis-password"
    pw.write_text(password + "\n")
    pw.chmod(0o600)
    port = _free_port()
    conf = tmp / "redis.conf"  # the password in a file, not on redis-server's command line
    conf.write_text(f"port {port}\nbind 127.0.0.1\nrequirepass {password}\nsave \"\"\nappendonly no\n"
                    f"dir {tmp}\nprotected-mode yes\n")
    proc = subprocess.Popen([exe, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Redis(port=port, password_file=pw, proc=proc)
    deadline = time.monotonic() + 20
    while True:
        try:
            if server.client().ping():
                return server
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                stop_pid(proc)
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)


@dataclass
class Workers:
    redis: Redis
    log_dir: Path
    procs: dict[str, list[subprocess.Popen]] = field(default_factory=dict)

    def start(self, vantage: str, *extra: str) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{vantage}-{len(self.procs.get(vantage, []))}.log", "w")
        proc = subprocess.Popen([gatescan_exe(), "worker", *self.redis.auth_args(), "--vantage", vantage,
                                 "--visibility-timeout", str(VISIBILITY_S), *extra],
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs.setdefault(vantage, []).append(proc)
        return proc

    def wait_live(self, expected: int, timeout: float = 60) -> dict:
        from gatescan.distributed.celeryapp import make_app, parse_broker

        app = make_app(parse_broker(self.redis.url, str(self.redis.password_file)))
        deadline = time.monotonic() + timeout
        while True:
            queues = app.control.inspect(timeout=1).active_queues() or {}
            if len(queues) >= expected:
                return queues
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(queues)} of {expected} workers came up: {queues}")

    def stop(self) -> None:
        import psutil

        for procs in self.procs.values():
            for proc in procs:
                try:
                    children = psutil.Process(proc.pid).children(recursive=True)
                except psutil.NoSuchProcess:
                    children = []
                stop_pid(proc)
                for child in children:  # the pool of a worker killed with -9 is left behind: stop it by PID
                    try:
                        child.kill()
                    except psutil.NoSuchProcess:
                        pass


def three_workers(server: Redis, tmp: Path, *extra: str) -> Workers:
    """Two workers on seg-a (127.0.0.0/8 allowed), one on seg-b (only 127.0.70.0/24)."""
    fleet = Workers(server, tmp)
    try:
        fleet.start("seg-a", "--allow", "127.0.0.0/8", *extra)
        fleet.start("seg-a", "--allow", "127.0.0.0/8", *extra)
        fleet.start("seg-b", "--allow", "127.0.70.0/24", *extra)
        fleet.wait_live(3)
    except BaseException:
        fleet.stop()
        raise
    return fleet


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def workers(redis_server, tmp_path_factory):
    """The module's fleet (three workers), shared by its tests; fault tests make their own."""
    fleet = three_workers(redis_server, tmp_path_factory.mktemp("workers"))
    yield fleet
    fleet.stop()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The Ollama twins on 127.0.60.x (seg-a's part) and 127.0.70.x (seg-b's part)."""
    procs = []
    try:
        for base in ("127.0.60.1", "127.0.70.1"):
            manifest = tmp_path_factory.mktemp("lab") / f"lab-{base}.json"
            procs.append(subprocess.Popen([gatescan_exe(), "lab", "up", "--only", "ollama", "--base", base,
                                           "--manifest", str(manifest)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            deadline = time.monotonic() + 60
            while not manifest.exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the lab on {base} did not start")
                time.sleep(0.1)
        yield procs
    finally:
        for proc in procs:
            stop_pid(proc, signal.SIGINT)
