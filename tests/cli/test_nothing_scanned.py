"""Nothing scanned is never a pass (DESIGN.md, Exit codes): a run that could probe or audit
nothing exits 3 saying "nothing was scanned" and why, and its report says complete: false."""

from __future__ import annotations

import json

import pytest

from gatescan import app
from tests.cli.conftest import run_gatescan, tcp_listeners
from tests.netns import requires_netns

NOTHING = "nothing was scanned"


def _nothing_scanned(out, tmp_path, reason: str) -> dict:
    assert out.returncode == 3, out.stdout + out.stderr
    assert NOTHING in out.stdout and reason in out.stdout, out.stdout
    assert "Traceback" not in out.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["complete"] is False
    assert doc["errors"][0]["message"].startswith(NOTHING) and reason in doc["errors"][0]["message"]
    return doc


@requires_netns
def test_a_name_that_does_not_resolve_is_exit_3(tmp_path, validate_report):
    # Inside the namespace no resolver is reachable: the lookup fails at once.
    out = run_gatescan("scan", "does-not-exist.invalid", "--json", str(tmp_path / "r.json"))
    doc = validate_report(_nothing_scanned(out, tmp_path, "resolved"))
    assert any("does-not-exist.invalid" in e["message"] for e in doc["errors"])


@requires_netns
@pytest.mark.parametrize("target", ["10.1.2.0/30", "fd00::"])
def test_a_sweep_whose_every_connect_is_unreachable_is_exit_3(tmp_path, validate_report, target):
    # No route to 10.1.2.0/30 or fd00::/8 in the namespace: every connect fails with ENETUNREACH.
    out = run_gatescan("scan", target, "-p", "80,81", "--json", str(tmp_path / "r.json"))
    validate_report(_nothing_scanned(out, tmp_path, "ENETUNREACH"))


@requires_netns
def test_excludes_that_remove_every_target_are_exit_3(tmp_path):
    with tcp_listeners([("127.0.0.1", 0)]) as bound:
        out = run_gatescan("scan", "127.0.0.1", "-p", str(bound[0][1]), "--exclude", "127.0.0.0/8",
                           "--json", str(tmp_path / "r.json"))
    _nothing_scanned(out, tmp_path, "excludes")


def test_skills_whose_every_root_is_missing_or_a_file_are_exit_3(tmp_path):
    out = run_gatescan("skills", str(tmp_path / "nonexistent"), "/etc/passwd", "--json", str(tmp_path / "r.json"))
    doc = _nothing_scanned(out, tmp_path, "root")
    assert doc["skills"] == []


def test_one_existing_skills_root_is_a_pass(tmp_path):
    (tmp_path / "skills").mkdir()
    out = run_gatescan("skills", str(tmp_path / "skills"), str(tmp_path / "nonexistent"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert NOTHING not in out.stdout


def test_a_malformed_range_is_a_usage_error_not_a_name():
    out = run_gatescan("scan", "127.0.0.300-301")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "127.0.0.300-301" in out.stderr and "cannot resolve" not in out.stdout + out.stderr


@requires_netns
def test_the_scan_api_says_nothing_was_scanned_for_local_mode_and_workers_alike():
    report = app.scan(app.ScanRequest(targets=("127.0.0.1",), ports="1", excludes=("127.0.0.1",)))
    assert report.complete is False
    assert report.errors[0].where == "scan" and report.errors[0].message.startswith(NOTHING)


@requires_netns
def test_no_identify_does_not_claim_the_services_were_checked():
    with tcp_listeners([("127.0.0.1", 0), ("127.0.0.1", 0)]) as bound:
        ports = ",".join(str(p) for _, p in bound)
        out = run_gatescan("scan", "127.0.0.1", "-p", ports, "--no-identify", "--style", "plain")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 services found, none checked" in out.stdout and "services checked" not in out.stdout
