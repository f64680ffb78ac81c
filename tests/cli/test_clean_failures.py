"""Every command fails cleanly: a bad output path or input is one line and exit 2, never a traceback."""

from __future__ import annotations

import pytest

from gatescan.report.jsonout import report_to_json
from tests.cli.conftest import run_gatescan
from tests.report.synth import full_report


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(report_to_json(full_report()))
    return path


@pytest.mark.parametrize("command", [
    ["report", "diff", "{r}", "{r}", "--json", "{missing}/d.json"],
    ["merge", "{r}", "-o", "{missing}/m.json"],
    ["allowlist", "init", "{skills}", "-o", "{missing}/a.yaml"],
])
def test_an_output_into_a_missing_directory_is_a_usage_error(tmp_path, saved, command):
    """These were a FileNotFoundError traceback and exit 1, the findings code."""
    (tmp_path / "skills").mkdir()
    args = [a.format(r=saved, missing=tmp_path / "nowhere", skills=tmp_path / "skills") for a in command]
    result = run_gatescan(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"no such directory {str(tmp_path / 'nowhere')!r}" in result.stderr + result.stdout
    assert not (tmp_path / "nowhere").exists()


def test_fingerprints_validate_lists_each_hostile_file(tmp_path):
    """A 100,000-deep list crashed `fingerprints validate DIR` with a RecursionError."""
    (tmp_path / "deep.yaml").write_text("- " * 100_000 + "x\n")
    (tmp_path / "deeper.yaml").write_text("x: " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = run_gatescan("fingerprints", "validate", str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout + result.stderr
    assert "deep.yaml" in out and "deeper.yaml" in out and "nesting too deep" in out


def test_merge_and_diff_across_kinds_are_usage_errors(tmp_path, saved):
    from gatescan.model import Report, Scope

    scan = full_report()
    scan.skills = None
    (tmp_path / "scan.json").write_text(report_to_json(scan))
    (tmp_path / "skills.json").write_text(report_to_json(Report(scope=Scope(targets=["/s"]), skills=[])))
    merged = run_gatescan("merge", str(tmp_path / "scan.json"), str(tmp_path / "skills.json"), "-o", str(tmp_path / "m.json"))
    assert merged.returncode == 2 and "is a network scan and" in merged.stderr and "a skills audit" in merged.stderr
    assert "shard" not in merged.stderr.split("merge reports of one kind")[0]
    diffed = run_gatescan("report", "diff", str(tmp_path / "scan.json"), str(tmp_path / "skills.json"))
    assert diffed.returncode == 2 and "the old report is a network scan and the new one a skills audit" in diffed.stderr
