"""Transport security with real components: a rediss:// broker (TLS, verified against --ca), a
per-worker ACL user instead of the default user, and signed task messages (Celery's auth
serializer). Everything on 127.0.0.1 inside the namespace, stopped by PID."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time

import pytest

from tests.cli.conftest import gatescan_exe, run_gatescan
from tests.distributed.conftest import Redis, Workers, _free_port, stop_pid
from tests.netns import in_private_netns

pytestmark = [pytest.mark.netns, pytest.mark.slow]


def _cert(tmp, name: str) -> tuple[str, str]:
    key, cert = tmp / f"{name}.key", tmp / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return str(key), str(cert)


@pytest.fixture
def tls_redis(tmp_path):
    if not in_private_netns():
        pytest.skip("needs the private network namespace (scripts/test)")
    if not shutil.which("redis-server") or not shutil.which("openssl"):
        pytest.skip("needs redis-server and openssl (Debian packages)")
    key, cert = _cert(tmp_path, "server")
    password = secrets.token_hex(16)
    pw = tmp_path / "scanner-password"
    pw.write_text(password + "\n")
    port = _free_port()
    conf = tmp_path / "redis.conf"
    conf.write_text(f"port 0\ntls-port {port}\nbind 127.0.0.1\ntls-cert-file {cert}\ntls-key-file {key}\n"
                    f"tls-ca-cert-file {cert}\ntls-auth-clients no\nsave \"\"\nappendonly no\ndir {tmp_path}\n"
                    f"user default off\nuser scanner on >{password} ~* &* +@all\n")
    proc = subprocess.Popen(["redis-server", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    if proc.poll() is not None:
        pytest.skip("this redis-server has no TLS support")
    yield port, pw, cert, proc
    stop_pid(proc)


def test_a_tls_broker_with_an_acl_user_and_signed_messages_runs_a_scan(tls_redis, tmp_path):
    port, pw, ca, proc = tls_redis
    url = f"rediss://scanner@127.0.0.1:{port}/0"
    sign_key, sign_cert = _cert(tmp_path, "signer")
    store = tmp_path / "store"
    store.mkdir()
    shutil.copy(sign_cert, store / "signer.pem")
    auth = ["--password-file", str(pw), "--ca", ca]
    signing = ["--sign-key", sign_key, "--sign-cert", sign_cert, "--cert-store", str(store)]
    server = Redis(port=port, password_file=pw, proc=proc)
    fleet = Workers(server, tmp_path)
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen([gatescan_exe(), "worker", "--broker", url, *auth, *signing, "--vantage", "seg-a"],
                              stdout=log, stderr=subprocess.STDOUT)
    fleet.procs["seg-a"] = [worker]
    try:
        out = None
        for _ in range(60):  # until the worker answers the live check
            out = run_gatescan("scan", "127.0.0.1", "-p", "1-100", "--dispatch", url, *auth, *signing,
                               "--vantage", "seg-a=127.0.0.0/8", "--shards", "2", "--json", str(tmp_path / "r.json"),
                               "-q", timeout=120)
            if "no live worker" not in out.stderr:
                break
            time.sleep(1)
        assert out.returncode == 0, out.stderr
        doc = json.loads((tmp_path / "r.json").read_text())
        assert doc["complete"] is True and [s["status"] for s in doc["shards"]] == ["done", "done"]
        # a dispatcher that does not trust the broker's certificate never connects
        other_key, other_ca = _cert(tmp_path, "other")
        refused = run_gatescan("scan", "127.0.0.1", "-p", "1", "--dispatch", url, "--password-file", str(pw),
                               "--ca", other_ca, "--vantage", "seg-a=127.0.0.0/8", timeout=120)
        assert refused.returncode == 3 and "cannot reach the broker" in refused.stderr
        assert "Traceback" not in refused.stderr
        log.flush()
        logged = (tmp_path / "worker.log").read_text() + out.stdout + out.stderr + refused.stderr
        assert pw.read_text().strip() not in logged and pw.read_text().strip() not in (tmp_path / "r.json").read_text()
    finally:
        fleet.stop()
