"""`gatescan worker`: real workers on a real redis-server; the scope a worker enforces itself."""

from __future__ import annotations

import pytest

from gatescan.app import ScanRequest
from tests.cli.conftest import run_gatescan

pytestmark = [pytest.mark.netns, pytest.mark.slow]


def _app(redis):
    from gatescan.distributed.celeryapp import make_app, parse_broker

    return make_app(parse_broker(redis.url, str(redis.password_file)))


def _run(app, vantage: str, request: ScanRequest, task_id: str) -> dict:
    result = app.send_task("gatescan.scan_shard", args=["scan-1", "1/1", vantage, request.to_json(), 3],
                           task_id=task_id, queue=f"gatescan.{vantage}")
    return result.get(timeout=120)


def test_a_worker_scans_inside_its_scope_and_refuses_anything_else_before_any_probe(workers):
    app = _app(workers.redis)
    inside = _run(app, "seg-b", ScanRequest(targets=("127.0.70.1",), ports="1-50"), "t-inside")
    assert inside["status"] == "done" and '"scan_id": "scan-1"' in inside["report"]
    assert inside["worker"].startswith(f"gatescan-{workers.procs['seg-b'][0].pid}@")

    outside = _run(app, "seg-b", ScanRequest(targets=("127.0.71.1",), ports="1-50"), "t-outside")
    assert outside["status"] == "refused" and outside["report"] is None
    assert "refused 127.0.71.1: outside this worker's --allow 127.0.70.0/24" in outside["message"]

    # the dispatcher's --allow-public does not widen a worker's private-only policy
    public = _run(app, "seg-a", ScanRequest(targets=("8.8.8.8",), ports="53", allow_public=True), "t-public")
    assert public["status"] == "refused" and "not a private address" in public["message"]

    files = _run(app, "seg-a", ScanRequest(targets=("@/etc/hosts",), ports="80"), "t-files")
    assert files["status"] == "refused" and "reads no file" in files["message"]

    # a shard addressed to another vantage than the worker serves is refused, not scanned
    result = app.send_task("gatescan.scan_shard", args=["scan-1", "1/1", "seg-b", ScanRequest(targets=("127.0.0.1",)).to_json(), 3],
                           task_id="t-other", queue="gatescan.seg-a").get(timeout=60)
    assert result["status"] == "refused" and "not 'seg-b'" in result["message"]


def test_a_shard_delivered_more_than_its_attempts_is_failed_not_scanned_again(workers):
    app = _app(workers.redis)
    request = ScanRequest(targets=("127.0.0.1",), ports="1").to_json()

    def once() -> dict:
        app.backend.forget("t-twice")  # as after a lost worker: no stored result, the message comes again
        return app.send_task("gatescan.scan_shard", args=["scan-1", "1/1", "seg-a", request, 1],
                             task_id="t-twice", queue="gatescan.seg-a").get(timeout=60)

    assert once()["status"] == "done"
    again = once()
    assert again["status"] == "failed" and again["attempts"] == 2 and again["report"] is None
    assert "gave up after 1 attempts" in again["message"]


def test_a_pickled_message_is_never_accepted(redis_server):
    from gatescan.distributed.celeryapp import make_app, parse_broker

    app = make_app(parse_broker(redis_server.url, str(redis_server.password_file)))
    assert app.conf.accept_content == ["json"] and app.conf.task_serializer == "json"
    assert app.conf.result_accept_content == ["json"]


def test_with_keys_task_messages_are_signed_and_only_signed_ones_accepted(redis_server, tmp_path):
    import subprocess

    from gatescan.distributed.celeryapp import Signing, make_app, parse_broker

    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=gatescan",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    store = tmp_path / "store"
    store.mkdir()
    (store / "c.pem").write_bytes(cert.read_bytes())
    app = make_app(parse_broker(redis_server.url, str(redis_server.password_file)),
                   signing=Signing(str(key), str(cert), str(store)))
    assert app.conf.task_serializer == "auth" and list(app.conf.accept_content) == ["auth"]


@pytest.mark.parametrize("args, message", [
    (["--broker", "http://x:1/0", "--vantage", "a"], "the scheme must be redis:// or rediss://"),
    (["--broker", "redis://:secret@127.0.0.1:1/0", "--vantage", "a"], "put it in a file"),
    (["--broker", "redis://127.0.0.1:99999/0", "--vantage", "a"], "does not parse"),
    (["--broker", "redis://127.0.0.1:1/0", "--vantage", "Seg_A"], "bad vantage name 'Seg_A'"),
    (["--broker", "redis://127.0.0.1:1/0", "--vantage", "a", "--allow", "10.0.0.0/33"], "bad CIDR"),
    (["--broker", "redis://127.0.0.1:1/0", "--vantage", "a", "--ca", "/etc/hostname"], "use a rediss:// URL"),
    (["--broker", "redis://127.0.0.1:1/0", "--vantage", "a", "--password-file", "/nonexistent"], "--password-file"),
    (["--broker", "redis://127.0.0.1:1/0", "--vantage", "a", "--sign-key", "/etc/hostname"], "need all of --sign-key"),
    (["--broker", "redis://127.0.0.1:1/0", "--vantage", "a", "--sign-key", "/etc/hostname", "--sign-cert",
      "/etc/hostname", "--cert-store", "/etc"], "--sign-key/--sign-cert/--cert-store"),
])
def test_bad_worker_options_exit_2_naming_the_cause(args, message):
    out = run_gatescan("worker", *args, timeout=60)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert "secret" not in out.stderr
