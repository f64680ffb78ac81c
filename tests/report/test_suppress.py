"""Suppressions and baselines: one format, globs, exact matching for saved reports,
reasons carried into suppressed[], expired entries suppress nothing and are errors."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest

from gatescan.model import Report
from gatescan.report.jsonout import report_to_json
from gatescan.report.suppress import (
    SuppressionError, apply_baseline, dump_suppressions, load_suppressions,
)
from tests.report.synth import full_report

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def _write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_yaml_entries_suppress_with_reason(tmp_path, report, validate_report):
    p = _write(tmp_path, """
schema: gatescan.suppressions/v1
suppressions:
  - check: auth.missing
    host: 10.99.0.1
    port: 11434
    reason: firewalled lab box
    expires: 2027-01-31
  - check: skill.*
    skill: notes
    reason: our own skill
""")
    before = len(report.findings)
    apply_baseline(report, p, now=NOW)
    assert len(report.findings) == before - 2
    reasons = {s.finding.check: (s.reason, s.expires) for s in report.suppressed}
    assert reasons["auth.missing"] == ("firewalled lab box", "2027-01-31")
    assert reasons["skill.unlisted"] == ("our own skill", None)
    assert not any(f.check == "auth.missing" and f.host == "10.99.0.1" for f in report.findings)
    assert any(f.check == "auth.missing" and f.host == "127.0.0.1" for f in report.findings)
    validate_report(report.to_dict())


def test_expired_entry_suppresses_nothing_and_is_an_error(tmp_path, report, validate_report):
    p = _write(tmp_path, """
suppressions:
  - check: auth.missing
    reason: temporary
    expires: 2026-11-24
  - check: exposure.network
    reason: still valid today
    expires: 2026-11-25
""")
    errors_before = len(report.errors)
    apply_baseline(report, p, now=NOW)
    assert [s.finding.check for s in report.suppressed[1:]] == ["exposure.network"]
    assert sum(f.check == "auth.missing" for f in report.findings) == 2
    new_errors = report.errors[errors_before:]
    assert len(new_errors) == 1 and "expired on 2026-11-24" in new_errors[0].message
    assert "entry 1" in new_errors[0].where
    validate_report(report.to_dict())


def test_saved_report_as_baseline_counts_only_new(tmp_path, report):
    old = full_report()
    old.findings = old.findings[:3]
    p = _write(tmp_path, report_to_json(old), "old.json")
    apply_baseline(report, p, now=NOW)
    assert len(report.suppressed) == 1 + 3
    assert {f.key() for f in report.findings}.isdisjoint({f.key() for f in old.findings})
    # the old report's own suppressions carry over with their reasons
    assert any(s.reason and "lab box" in s.reason for s in report.suppressed)


def test_saved_report_entries_are_exact(tmp_path):
    """A report baseline matches on the whole key: host None differs from a host."""
    old = full_report()
    old.findings = [f for f in old.findings if f.check == "config.auth.none"]
    new = full_report()
    new.findings[0].check = "config.auth.none"  # same check, but a network key
    p = _write(tmp_path, report_to_json(old), "old.json")
    apply_baseline(new, p, now=NOW)
    assert any(f.check == "config.auth.none" and f.host == "127.0.0.1" for f in new.findings)


def test_json_suppression_file_and_list_form(tmp_path, report):
    p = _write(tmp_path, json.dumps([{"check": "version.vulnerable", "reason": "upgrade scheduled"}]), "s.json")
    entries = load_suppressions(p)
    assert entries[0].check == "version.vulnerable"
    apply_baseline(report, p, now=NOW)
    assert report.suppressed[-1].finding.check == "version.vulnerable"


@pytest.mark.parametrize("text, problem", [
    ("suppressions:\n  - host: 1.2.3.4\n    reason: x\n", "'check' is required"),
    ("suppressions:\n  - check: a\n", "'reason' is required"),
    ("suppressions:\n  - check: a\n    reason: r\n    port: 70000\n", "not a port"),
    ("suppressions:\n  - check: a\n    reason: r\n    expires: soon\n", "not a date"),
    ("suppressions:\n  - check: a\n    reason: r\n    hots: typo\n", "unknown field"),
    ("schema: something/v9\nsuppressions: []\n", "schema"),
    ("just: a mapping\n", "no 'suppressions'"),
    ("suppressions: [unclosed\n", "not valid YAML"),
    ('{"schema": "gatescan.report/v1", "findings": [', "truncated"),
    # these were tracebacks (ValueError from int(), RecursionError from json/PyYAML)
    pytest.param("suppressions:\n  - check: a\n    reason: r\n    port: " + "9" * 5000 + "\n", "number too long",
                 id="yaml-long-number"),
    pytest.param('{"suppressions": [{"check": "a", "reason": "r", "port": ' + "9" * 5000 + "}]}", "number too long",
                 id="json-long-number"),
    pytest.param("[" * 100_000 + "]" * 100_000, "nesting too deep", id="json-deep"),
    pytest.param("suppressions: " + "[" * 100_000 + "]" * 100_000, "nesting too deep", id="yaml-deep"),
    pytest.param("suppressions:\n  - check: a\n    reason: r\n    host: 0x" + "F" * 5000 + "\n", "a number too long",
                 id="yaml-hex-too-long-to-print"),
    pytest.param("suppressions:\n  - check: a\n    reason: r\n    host: !!int\n", "not usable YAML", id="yaml-empty-int-tag"),
])
def test_bad_files_name_the_problem(tmp_path, text, problem):
    p = _write(tmp_path, text)
    with pytest.raises(SuppressionError) as info:
        load_suppressions(p)
    assert problem in str(info.value)
    assert str(p) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(SuppressionError, match="no such file"):
        load_suppressions(tmp_path / "none.yaml")


def test_dump_round_trips(tmp_path, report):
    text = dump_suppressions(report.findings, reason="accepted for now", expires="2027-06-30")
    p = _write(tmp_path, text)
    fresh = full_report()
    apply_baseline(fresh, p, now=NOW)
    assert fresh.findings == []
    assert all(s.reason == "accepted for now" for s in fresh.suppressed[1:])


def test_empty_report_untouched(tmp_path):
    p = _write(tmp_path, "suppressions: []\n")
    r = Report()
    apply_baseline(r, p)
    assert r.findings == [] and r.suppressed == [] and r.errors == []


def test_size_limit_holds_for_pipes(tmp_path, monkeypatch):
    # The limit was checked with stat(), which is 0 for a FIFO or /dev/zero; the read itself
    # was unbounded (a `--baseline /dev/zero` or `report render /dev/zero` ate all memory).
    import threading

    from gatescan.report import suppress
    from gatescan.report import jsonout

    monkeypatch.setattr(suppress, "MAX_FILE_BYTES", 100)
    monkeypatch.setattr(jsonout, "MAX_REPORT_BYTES", 100)
    for load, error in ((suppress.load_suppressions, SuppressionError), (jsonout.load_report, jsonout.ReportLoadError)):
        fifo = tmp_path / f"pipe-{load.__name__}"
        os.mkfifo(fifo)
        def write(fifo=fifo):
            try:
                fifo.write_text("suppressions: []\n#" + "x" * 500)
            except BrokenPipeError:  # the reader stopped at the limit
                pass

        writer = threading.Thread(target=write)
        writer.start()
        with pytest.raises(error, match="byte limit"):
            load(str(fifo))
        writer.join(timeout=10)


def test_a_baseline_alias_bomb_is_refused(tmp_path):
    """yaml.safe_load expanded it: 60 aliases made 10^7 suppressions to walk."""
    lines = ['s0: &s0 [{check: a, reason: r}, {check: a, reason: r}, {check: a, reason: r}, {check: a, reason: r},'
             ' {check: a, reason: r}, {check: a, reason: r}, {check: a, reason: r}, {check: a, reason: r},'
             ' {check: a, reason: r}, {check: a, reason: r}]']
    lines += [f"s{i}: &s{i} [{', '.join([f'*s{i - 1}'] * 10)}]" for i in range(1, 7)]
    p = _write(tmp_path, "\n".join(lines) + "\nsuppressions: *s6\n")
    with pytest.raises(SuppressionError, match="not usable YAML"):
        load_suppressions(p)


def test_a_json_baseline_error_reads_as_a_sentence(tmp_path):
    p = _write(tmp_path, '{"suppressions": [{"check": "a", "reason": "r', name="b.json")
    with pytest.raises(SuppressionError) as err:
        load_suppressions(p)
    assert str(err.value) == f"{p}: not valid JSON: Unterminated string at line 1, column 44"
