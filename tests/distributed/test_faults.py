"""Faults with real components: a worker killed with -9 mid-shard, a broker stopped mid-scan,
--resume after lost results. Each test has its own broker and workers, stopped by PID."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from tests.cli.conftest import gatescan_exe, run_gatescan
from tests.distributed.conftest import VISIBILITY_S, start_redis, stop_pid, three_workers

pytestmark = [pytest.mark.netns, pytest.mark.slow]

# seg-a's part: 127.0.60.0/23 x ports 1-24 at the workers' --rate 400: six shards of about 2 s of
# sweeping each, so a shard is in flight when the test acts, and far below VISIBILITY_S.
TARGETS = ["127.0.60.0/23"]
SCAN = [*TARGETS, "-p", "1-24,11434", "--vantage", "seg-a=127.0.60.0/22", "--shards", "6"]


def _metas(redis) -> dict[str, dict]:
    client = redis.client()
    return {k.decode(): json.loads(client.get(k) or b"{}") for k in client.keys("celery-task-meta-*")}


def _dispatch(redis, tmp_path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([gatescan_exe(), "scan", *SCAN, "--dispatch", *redis.auth_args()[1:],
                             "--visibility-timeout", str(VISIBILITY_S), "--json", str(tmp_path / "r.json"), "-q",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _expected_services(tmp_path) -> list:
    out = run_gatescan("scan", *TARGETS, "-p", "1-24,11434", "--json", str(tmp_path / "single.json"), "-q", timeout=300)
    assert out.returncode in (0, 1), out.stderr
    return sorted((s["host"], s["port"], s["product"]) for s in json.loads((tmp_path / "single.json").read_text())["services"])


@pytest.fixture
def fleet(tmp_path):
    server = start_redis(tmp_path)
    fleet = None
    try:
        fleet = three_workers(server, tmp_path, "--rate", "400")
        yield fleet
    finally:
        if fleet:
            fleet.stop()
        server.stop()


def test_kill_9_of_a_seg_a_workers_main_process_mid_shard_still_yields_a_complete_report(fleet, lab, tmp_path):
    from gatescan.distributed.celeryapp import make_app, parse_broker

    expected = _expected_services(tmp_path)
    app = make_app(parse_broker(fleet.redis.url, str(fleet.redis.password_file)))
    proc = _dispatch(fleet.redis, tmp_path)
    try:
        seg_a = {f"gatescan-{p.pid}": p for p in fleet.procs["seg-a"]}
        victim = None
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline:
            active = app.control.inspect(timeout=1).active() or {}
            busy = [name.split("@")[0] for name, tasks in active.items() if tasks]
            victim = next((seg_a[n] for n in busy if n in seg_a), None)
        assert victim is not None, "no seg-a worker ever ran a shard"
        os.kill(victim.pid, signal.SIGKILL)  # its main process, by PID
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        stop_pid(proc)
    doc = json.loads((tmp_path / "r.json").read_text())
    assert proc.returncode in (0, 1), stderr
    assert doc["complete"] is True and not doc["errors"]
    assert sorted((s["host"], s["port"], s["product"]) for s in doc["services"]) == expected  # nothing lost or twice
    assert sorted(s["id"] for s in doc["shards"]) == [f"{i}/6" for i in range(1, 7)]
    assert all(s["status"] == "done" for s in doc["shards"])
    assert doc["stats"]["probes_done"] == doc["stats"]["probes_total"]


def test_stopping_the_broker_mid_scan_exits_3_with_a_partial_report(fleet, lab, tmp_path, validate_report):
    proc = _dispatch(fleet.redis, tmp_path, "--broker-timeout", "3")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(m.get("status") == "SUCCESS" for m in _metas(fleet.redis).values()):
                break
            time.sleep(0.2)
        else:
            pytest.fail("no shard finished")
        time.sleep(2)  # the dispatcher polls every 0.25 s: let it read the finished shard first
        fleet.redis.stop()  # by PID
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        stop_pid(proc)
    assert proc.returncode == 3, stderr
    doc = validate_report(json.loads((tmp_path / "r.json").read_text()))
    assert doc["complete"] is False
    statuses = [s["status"] for s in doc["shards"]]
    assert "done" in statuses and "lost" in statuses and len(statuses) == 6
    lost = [e for e in doc["errors"] if e["where"] == "dispatch"]
    assert lost and all("the broker was gone for 3 s" in e["message"] for e in lost)
    assert "Traceback" not in stderr


def test_resume_re_sends_only_the_missing_shards(fleet, lab, tmp_path):
    proc = _dispatch(fleet.redis, tmp_path)
    proc.communicate(timeout=300)
    first = json.loads((tmp_path / "r.json").read_text())
    assert first["complete"] is True
    before = _metas(fleet.redis)
    lost = next(k for k in before if k.endswith(".seg-a.2-6"))
    fleet.redis.client().delete(lost)  # that shard's result is gone (expired, flushed)
    out = run_gatescan("scan", *SCAN, "--dispatch", *fleet.redis.auth_args()[1:], "--resume", first["scan_id"],
                       "--json", str(tmp_path / "again.json"), "-q", timeout=300)
    again = json.loads((tmp_path / "again.json").read_text())
    assert out.returncode in (0, 1) and again["complete"] is True and again["scan_id"] == first["scan_id"]
    after = _metas(fleet.redis)
    assert after.keys() == before.keys()
    for key, meta in after.items():  # every other shard's stored result untouched: not re-sent
        assert (meta["date_done"] == before[key]["date_done"]) == (key != lost)
    assert sorted((s["host"], s["port"]) for s in again["services"]) == sorted((s["host"], s["port"]) for s in first["services"])


def test_resume_of_an_unknown_scan_is_named(fleet, tmp_path):
    out = run_gatescan("scan", *SCAN, "--dispatch", *fleet.redis.auth_args()[1:], "--resume", "nosuchscan", timeout=120)
    assert out.returncode == 3 and "--resume nosuchscan: the broker holds no such scan" in out.stderr
