"""JSONL: one typed event per line, each a schema record plus `type`, flushed per line."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest

from gatescan.model import ErrorRecord
from gatescan.report.jsonl import JsonlWriter, render_jsonl


@pytest.fixture
def event_validator(report_schema):
    schema = dict(report_schema)
    schema = {"$schema": report_schema["$schema"], "$defs": report_schema["$defs"], "$ref": "#/$defs/jsonl_event"}
    return jsonschema.Draft202012Validator(schema)


class CountingStream(io.StringIO):
    def __init__(self):
        super().__init__()
        self.flushes = 0

    def flush(self):
        self.flushes += 1
        super().flush()


def test_every_event_typed_valid_and_flushed(report, event_validator):
    out = CountingStream()
    w = JsonlWriter(out)
    w.progress(10, 100, 1, 523.456)
    w.service(report.services[0])
    w.finding(report.findings[0])
    w.skill(report.skills[0])
    w.error(ErrorRecord(where="x", message="y"))
    w.summary(report)
    lines = out.getvalue().splitlines()
    assert out.flushes >= len(lines) == 6
    events = [json.loads(line) for line in lines]
    assert [e["type"] for e in events] == ["progress", "service", "finding", "skill", "error", "summary"]
    for e in events:
        event_validator.validate(e)
    assert events[0] == {"type": "progress", "done": 10, "total": 100, "open": 1, "rate": 523.5}
    assert events[2]["check"] == report.findings[0].check
    assert events[-1]["counts"]["findings"] == len(report.findings)
    assert events[-1]["counts"]["by_severity"]["critical"] == 2


def test_replay_whole_report(report, event_validator):
    events = [json.loads(line) for line in render_jsonl(report).splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds.count("service") == len(report.services)
    assert kinds.count("finding") == len(report.findings)
    assert kinds.count("skill") == len(report.skills)
    assert kinds.count("error") == len(report.errors)
    assert kinds[-1] == "summary"
    for e in events:
        event_validator.validate(e)


def test_writes_to_path(tmp_path, report):
    path = tmp_path / "out.jsonl"
    with JsonlWriter(str(path)) as w:
        w.finding(report.findings[0])
        # flushed already: a reader sees the line before close
        assert json.loads(path.read_text())["type"] == "finding"
