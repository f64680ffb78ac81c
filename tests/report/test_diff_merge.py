"""report diff (new / resolved / unchanged on the finding key) and merge (tool versions,
overlapping shards, missing shards, vantages kept apart)."""

from __future__ import annotations

import copy
import io
import json

import pytest
from rich.console import Console

from gatescan.model import Scope
from gatescan.report.diff import diff_reports, render_diff
from gatescan.report.jsonout import parse_report, report_to_json
from gatescan.report.merge import MergeError, merge_reports
from tests.report.synth import full_report


def test_diff_new_resolved_unchanged():
    old, new = full_report(), full_report()
    gone = old.findings[1]
    new.findings.remove(new.findings[1])
    added = copy.deepcopy(new.findings[0])
    added.host, added.target = "127.0.0.2", "ws://127.0.0.2:18789/"
    new.findings.append(added)
    new.findings[0].title = "retitled: still the same finding"
    d = diff_reports(old, new)
    assert [f.key() for f in d.added] == [added.key()]
    assert [f.key() for f in d.resolved] == [gone.key()]
    assert len(d.unchanged) == len(old.findings) - 1
    doc = json.loads(json.dumps(d.to_dict()))
    assert doc["counts"] == {"new": 1, "resolved": 1, "unchanged": len(old.findings) - 1}
    assert doc["new"][0]["host"] == "127.0.0.2"
    assert doc["schema"] == "gatescan.diff/v1"
    assert d.new_at_least(__import__("gatescan.model").model.Severity.HIGH) == d.added
    buf = io.StringIO()
    render_diff(d, Console(file=buf, width=150))
    assert "1 new, 1 resolved" in buf.getvalue()


def test_diff_duplicate_keys_pair_one_to_one():
    old, new = full_report(), full_report()
    new.findings.append(copy.deepcopy(new.findings[0]))
    d = diff_reports(old, new)
    assert len(d.added) == 1 and not d.resolved


def _shard(i, n, vantage=None, version="0.1.0"):
    r = full_report()
    r.scan_id = "scan-1"
    r.tool = {"name": "gatescan", "version": version}
    r.scope = Scope(targets=["10.0.0.0/16"], ports="agents", shard=f"{i}/{n}",
                    vantages=[{"name": vantage, "cidrs": ["10.0.0.0/16"]}] if vantage else [])
    r.shards = None
    for f in r.findings:
        f.vantage = None
        if f.port is not None:
            f.host = f"10.0.{i}.1"
    return r


def test_merge_shards(validate_report):
    merged = merge_reports([_shard(1, 2, "a"), _shard(2, 2, "a"), _shard(1, 2, "b"), _shard(2, 2, "b")])
    validate_report(json.loads(report_to_json(merged)))
    assert merged.complete
    assert merged.scan_id == "scan-1"
    assert merged.scope.shard is None
    assert {v["name"] for v in merged.scope.vantages} == {"a", "b"}
    assert len(merged.findings) == 4 * len(full_report().findings)
    assert {f.vantage for f in merged.findings} == {"a", "b"}
    assert sorted((s["vantage"], s["id"]) for s in merged.shards) == [("a", "1/2"), ("a", "2/2"), ("b", "1/2"), ("b", "2/2")]
    assert merged.stats["probes"] == 4 * 1024
    assert parse_report(report_to_json(merged)) == merged


def test_merge_missing_shard_is_incomplete(validate_report):
    merged = merge_reports([_shard(1, 3), _shard(3, 3)])
    assert merged.complete is False
    assert any(s["id"] == "2/3" and s["status"] == "missing" for s in merged.shards)
    assert any("shard 2/3" in e.message for e in merged.errors)
    validate_report(merged.to_dict())


@pytest.mark.parametrize("reports, problem", [
    (lambda: [_shard(1, 2), _shard(1, 2)], "both shard 1/2"),
    (lambda: [_shard(1, 2), _shard(1, 4)], "split the same scope differently"),
    (lambda: [_shard(1, 2, version="0.1.0"), _shard(2, 2, version="0.2.0")], "merge reports from one version"),
    (lambda: [_shard(1, 2, "a"), _shard(1, 2, "a")], "in vantage 'a'"),
])
def test_merge_refusals(reports, problem):
    with pytest.raises(MergeError, match=problem):
        merge_reports(reports(), names=["A.json", "B.json"])


def test_merge_whole_scan_overlaps_its_shards():
    whole = _shard(1, 1)
    whole.scope.shard = None
    with pytest.raises(MergeError, match="overlaps"):
        merge_reports([whole, _shard(1, 2)], names=["all.json", "s1.json"])


def test_merge_different_scopes_and_local():
    a, b = full_report(), full_report()
    a.scope.shard = b.scope.shard = None
    b.scope.targets = ["192.168.0.0/24"]
    b.local["machine"] = "ws-08"
    merged = merge_reports([a, b])
    assert merged.scope.targets == ["127.0.0.1", "10.99.0.0/24", "::1", "192.168.0.0/24"]
    assert len(merged.local["listeners"]) == 2
    assert {l["machine"] for l in merged.local["listeners"]} == {"ws-07", "ws-08"}
    assert len(merged.skills) == 6


def test_merge_nothing():
    with pytest.raises(MergeError):
        merge_reports([])


def test_merge_huge_shard_count_is_bounded():
    # "1/999999999999" is valid per the schema; merge listed every missing shard and hung
    merged = merge_reports([_shard(1, 999_999_999_999)])
    assert merged.complete is False
    assert len(merged.shards) == 1 + 1000
    assert "999999998998 more of the 999999999999 shards are missing" in merged.errors[-1].message


def _skills_audit(version="0.1.0"):
    from gatescan.model import Report

    return Report(tool={"name": "gatescan", "version": version}, scope=Scope(targets=["/home/u/.openclaw/skills"]),
                  skills=[])


def _scan(version="0.1.0"):
    r = _shard(1, 1, version=version)
    r.skills, r.scope.shard = None, None
    return r


def test_merge_and_diff_of_a_scan_and_a_skills_audit_say_so():
    """A scan and a skills audit merged into "incomplete (a shard is missing ...)" and diffed
    into every finding new or resolved; both now name the two kinds."""
    from gatescan.report.diff import DiffError

    with pytest.raises(MergeError, match="scan.json is a network scan and skills.json a skills audit"):
        merge_reports([_scan(), _skills_audit()], names=["scan.json", "skills.json"])
    with pytest.raises(DiffError, match="old report is a skills audit and the new one a network scan"):
        diff_reports(_skills_audit(), _scan())
    assert not diff_reports(_scan(), _scan()).added


def test_an_incomplete_merge_says_why():
    from gatescan.report.merge import why_incomplete

    a, b = _shard(1, 3), _shard(3, 3)
    b.complete = False
    merged = merge_reports([a, b], names=["a.json", "b.json"])
    assert why_incomplete(merged, [a, b], ["a.json", "b.json"]) == ["1 shard missing", "b.json is incomplete"]
    whole = merge_reports([_shard(1, 2), _shard(2, 2)])
    assert whole.complete and why_incomplete(whole, [], []) == []


@pytest.mark.parametrize("text, problem", [
    ('{"schema": "gatescan.report/v1",\n "scan_id": "x', "Unterminated string at line 2, column 13"),
    ('{"schema": "gatescan.report/v1" "x": 1}', "Expecting ',' delimiter at line 1, column 33"),
    ('{"schema": 1}\n{}', "Extra data at line 2, column 1"),
])
def test_json_errors_read_as_sentences(text, problem):
    from gatescan.report.jsonout import ReportLoadError

    with pytest.raises(ReportLoadError) as err:
        parse_report(text, "r.json")
    assert str(err.value) == f"r.json: not JSON: {problem}"


def _write(path, report):
    path.write_text(report_to_json(report))
    return path


@pytest.mark.parametrize("added_severity, fail_on, code", [
    ("high", "high", 1), ("high", "critical", 0), ("medium", "high", 0), ("medium", "medium", 1),
    ("low", "low", 1), ("info", "low", 0), (None, "info", 0),
])
def test_report_diff_fail_on_counts_only_new_findings(tmp_path, added_severity, fail_on, code):
    """`report diff --fail-on`: exit 1 only for a finding the new report adds at or above the
    threshold; the findings both reports hold (critical ones among them) never fail it."""
    from typer.testing import CliRunner

    from gatescan.cli import EXIT_FINDINGS, EXIT_OK, app

    old, new = full_report(), full_report()
    assert any(f.severity.value == "critical" for f in old.findings)
    if added_severity is not None:
        added = copy.deepcopy(new.findings[0])
        added.host, added.target = "127.0.0.2", "ws://127.0.0.2:18789/"
        added.severity = type(added.severity)(added_severity)
        new.findings.append(added)
    args = ["report", "diff", str(_write(tmp_path / "old.json", old)), str(_write(tmp_path / "new.json", new)),
            "--fail-on", fail_on, "--json", "-"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == (EXIT_FINDINGS if code else EXIT_OK), result.output
    doc = json.loads(result.stdout)
    assert doc["counts"]["new"] == (added_severity is not None)
    assert doc["counts"]["resolved"] == 0
