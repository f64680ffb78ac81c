"""A path that is not UTF-8 (kept by Python as surrogates) must not stop a report from being written."""

from __future__ import annotations

import json
import os

from gatescan.model import ErrorRecord, Report
from gatescan.report import write_report
from gatescan.report.jsonout import load_report


def test_surrogate_names_are_escaped_not_fatal(tmp_path, validate_report):
    name = os.fsdecode(b"/skills/\xff\xfe/SKILL.md")
    report = Report()
    report.errors.append(ErrorRecord(where=name, message="unreadable"))
    dest = tmp_path / "r.json"
    write_report(report, "json", str(dest))
    raw = dest.read_bytes()
    raw.decode("utf-8")  # strictly valid UTF-8
    validate_report(json.loads(raw))
    assert load_report(str(dest)).errors[0].where == name  # the escape round-trips


def test_surrogate_names_in_a_jsonl_file(tmp_path):
    # JsonlWriter opened its file strictly, so --jsonl FILE died on the first such event
    from gatescan.report.jsonl import JsonlWriter

    name = os.fsdecode(b"/etc/agent/\xff.json")
    dest = tmp_path / "events.jsonl"
    with JsonlWriter(str(dest)) as out:
        out.error(ErrorRecord(where=name, message="unreadable"))
    assert json.loads(dest.read_bytes().decode("utf-8"))["where"] == name
