"""`gatescan scan --dispatch`: real workers, a real broker, the lab on loopback; the distributed
report must say what the single-process scan says, each shard run on its own vantage."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import run_gatescan

pytestmark = [pytest.mark.netns, pytest.mark.slow]

TARGETS = ["127.0.60.0/28", "127.0.70.0/28"]
VANTAGES = ["--vantage", "seg-a=127.0.60.0/24", "--vantage", "seg-b=127.0.70.0/24"]


def _services(doc: dict) -> list:
    return sorted((s["host"], s["port"], s["product"], s["version"], tuple(sorted((c["check"], c["result"]) for c in s["checks"])))
                  for s in doc["services"])


def _findings(doc: dict) -> list:
    return sorted((f["check"], f["severity"], f["host"], f["port"], f["product"]) for f in doc["findings"])


def _worker_names(workers, vantage: str) -> set[str]:
    return {f"gatescan-{p.pid}" for p in workers.procs[vantage]}


def test_the_distributed_report_equals_the_single_process_report(workers, lab, tmp_path, validate_report):
    single = run_gatescan("scan", *TARGETS, "--json", str(tmp_path / "single.json"), "-q", timeout=300)
    out = run_gatescan("scan", *TARGETS, "--dispatch", *workers.redis.auth_args()[1:], *VANTAGES, "--shards", "3",
                       "--json", str(tmp_path / "dist.json"), "-q", timeout=300)
    assert out.returncode == single.returncode == 1, out.stderr  # the vulnerable twins' findings
    a = json.loads((tmp_path / "single.json").read_text())
    b = validate_report(json.loads((tmp_path / "dist.json").read_text()))
    assert b["complete"] is True and not b["errors"]
    assert _services(a) == _services(b) and len(a["services"]) == 4
    assert _findings(a) == _findings(b) and a["findings"]
    # services and findings carry the vantage that saw them
    assert {(s["host"].rsplit(".", 1)[0], s["vantage"]) for s in b["services"]} == {("127.0.60", "seg-a"), ("127.0.70", "seg-b")}
    assert all(f["vantage"] == ("seg-a" if f["host"].startswith("127.0.60.") else "seg-b") for f in b["findings"])
    # scan_id, scope.vantages[] and shards[]: three shards per vantage, each run by a worker of that vantage
    assert b["scope"]["targets"] == TARGETS and b["scope"]["shard"] is None
    assert b["scope"]["vantages"] == [{"name": "seg-a", "cidrs": ["127.0.60.0/24"]},
                                      {"name": "seg-b", "cidrs": ["127.0.70.0/24"]}]
    assert sorted((s["vantage"], s["id"]) for s in b["shards"]) == [(v, f"{i}/3") for v in ("seg-a", "seg-b") for i in (1, 2, 3)]
    for shard in b["shards"]:
        assert shard["status"] == "done" and shard["attempts"] == 1
        assert shard["worker"].split("@")[0] in _worker_names(workers, shard["vantage"])
    assert b["stats"]["probes_done"] == a["stats"]["probes_done"]
    text = (tmp_path / "dist.json").read_text() + out.stdout + out.stderr
    assert workers.redis.password_file.read_text().strip() not in text  # no secret in a report or a log


def test_a_target_outside_a_workers_allow_list_is_refused_and_reported(workers, tmp_path, validate_report):
    # seg-b's worker allows only 127.0.70.0/24: a dispatcher that aims it at 127.0.71.x is refused
    out = run_gatescan("scan", "127.0.60.1", "127.0.71.1", "--dispatch", *workers.redis.auth_args()[1:],
                       "--vantage", "seg-a=127.0.60.0/24", "--vantage", "seg-b=127.0.71.0/24", "--shards", "1",
                       "--json", str(tmp_path / "r.json"), "-q", timeout=300)
    doc = validate_report(json.loads((tmp_path / "r.json").read_text()))
    assert out.returncode == 3 and doc["complete"] is False
    shards = {s["vantage"]: s for s in doc["shards"]}
    assert shards["seg-a"]["status"] == "done" and shards["seg-b"]["status"] == "refused"
    assert shards["seg-b"]["worker"].split("@")[0] in _worker_names(workers, "seg-b")
    refusal = [e for e in doc["errors"] if e["vantage"] == "seg-b"]
    assert len(refusal) == 1 and "refused 127.0.71.1: outside this worker's --allow 127.0.70.0/24" in refusal[0]["message"]
    assert not [s for s in doc["services"] if s["host"] == "127.0.71.1"]


def test_a_vantage_with_no_live_worker_is_named_before_anything_is_sent(workers, tmp_path):
    out = run_gatescan("scan", "127.0.60.1", "--dispatch", *workers.redis.auth_args()[1:],
                       "--vantage", "seg-a=127.0.60.0/24", "--vantage", "seg-c=127.0.61.0/24",
                       "--json", str(tmp_path / "r.json"), timeout=120)
    assert out.returncode == 3 and "no live worker for vantage seg-c" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "r.json").exists()
    assert not workers.redis.client().keys("celery-task-meta-*seg-c*")


def test_a_wrong_password_is_named_without_a_traceback_or_the_password(workers, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password-42\n")
    out = run_gatescan("scan", "127.0.60.1", "--dispatch", workers.redis.url, "--password-file", str(wrong),
                       "--vantage", "seg-a=127.0.60.0/24", timeout=120)
    assert out.returncode == 3 and "refused the credentials" in out.stderr and "check --password-file" in out.stderr
    assert "Traceback" not in out.stderr and "not-the-password-42" not in out.stderr


@pytest.mark.parametrize("args, message", [
    (["--dispatch", "redis://127.0.0.1:99999/0", "--vantage", "a=127.0.0.0/8"], "does not parse"),
    (["--dispatch", "redis:/127.0.0.1", "--vantage", "a=127.0.0.0/8"], "no host"),
    (["--dispatch", "redis://u:pw@127.0.0.1:1/0", "--vantage", "a=127.0.0.0/8"], "put it in a file"),
    (["--dispatch", "redis://127.0.0.1:1/0"], "needs at least one --vantage"),
    (["--dispatch", "redis://127.0.0.1:1/0", "--vantage", "a"], "expected NAME=CIDR"),
    (["--dispatch", "redis://127.0.0.1:1/0", "--vantage", "a=127.0.0.0/33"], "bad CIDR"),
    (["--vantage", "a=127.0.0.0/8"], "only go with --dispatch"),
])
def test_bad_dispatch_options_exit_2_naming_the_cause(args, message):
    out = run_gatescan("scan", "127.0.0.1", *args, timeout=60)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr


def test_targets_outside_every_vantage_are_a_usage_error():
    out = run_gatescan("scan", "127.0.60.1", "127.0.99.1", "--dispatch", "redis://127.0.0.1:1/0",
                       "--vantage", "seg-a=127.0.60.0/24", timeout=60)
    assert out.returncode == 2 and "127.0.99.1: in no --vantage CIDR" in out.stderr


def test_local_dispatch_returns_one_local_audit_per_worker_machine(workers, tmp_path, validate_report):
    import socket

    out = run_gatescan("local", "--no-skills", "--dispatch", *workers.redis.auth_args()[1:],
                       "--json", str(tmp_path / "local.json"), "-q", timeout=300)
    assert out.returncode in (0, 1), out.stderr
    doc = validate_report(json.loads((tmp_path / "local.json").read_text()))
    machine = socket.gethostname()  # the three workers share this machine: one audit of it
    assert doc["complete"] is True and len(doc["shards"]) == 1 and doc["shards"][0]["status"] == "done"
    assert doc["shards"][0]["worker"].endswith("@" + machine)
    assert doc["local"]["listeners"] and all(entry.get("machine") == machine for entry in doc["local"]["listeners"])
    assert all(s["machine"] == machine and s["vantage"] in ("seg-a", "seg-b") for s in doc["services"])
    only_b = run_gatescan("local", "--no-skills", "--dispatch", *workers.redis.auth_args()[1:], "--vantage", "seg-b",
                          "--json", str(tmp_path / "b.json"), "-q", timeout=300)
    b = json.loads((tmp_path / "b.json").read_text())
    assert only_b.returncode in (0, 1) and [s["vantage"] for s in b["shards"]] == ["seg-b"]
    assert b["shards"][0]["worker"].split("@")[0] in _worker_names(workers, "seg-b")
