"""A worker's answer is untrusted input: what the dispatcher merges and what it refuses."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("celery", reason="needs the [distributed] extra (celery[redis])")

from gatescan import __version__  # noqa: E402
from gatescan.distributed.dispatch import Vantage, _accept, _Shard  # noqa: E402
from gatescan.model import Report, Scope  # noqa: E402
from gatescan.report.jsonout import report_to_json  # noqa: E402


def _shard() -> _Shard:
    return _Shard(vantage=Vantage("seg-a", ("127.0.0.0/8",)), shard="1/2", task_id="s.seg-a.1-2", request="{}", probes=10)


def _answer(**report_fields) -> dict:
    report = Report(scan_id="s", scope=Scope(targets=["127.0.0.1"], ports="80", shard="1/2"))
    for key, value in report_fields.items():
        setattr(report, key, value)
    return {"scan_id": "s", "shard": "1/2", "vantage": "seg-a", "worker": "gatescan-1@h", "attempts": 1,
            "status": "done", "report": report_to_json(report), "message": None}


def test_a_valid_shard_report_is_taken_with_its_vantage():
    s = _shard()
    _accept(s, _answer(), "s")
    assert s.status == "done" and s.report.scope.vantages == [{"name": "seg-a", "cidrs": ["127.0.0.0/8"]}]


@pytest.mark.parametrize("mangle, message", [
    (lambda a: "a string", "not a shard result"),
    (lambda a: {**a, "scan_id": "other"}, "a foreign answer"),
    (lambda a: {**a, "shard": "2/2"}, "a foreign answer"),
    (lambda a: {**a, "report": None}, "holds no report"),
    (lambda a: {**a, "report": "{not json"}, "not JSON"),
    (lambda a: {**a, "report": json.dumps({"schema": "other/v9"})}, "not a gatescan report"),
    (lambda a: {**a, "report": a["report"].replace('"services": []', '"services": [{"port": "x"}]')}, "malformed gatescan report"),
    (lambda a: {**a, "report": a["report"].replace('"scan_id": "s"', '"scan_id": "t"')}, "another scan or shard"),
    (lambda a: {**a, "report": a["report"].replace(f'"version": "{__version__}"', '"version": "0.0.1"')},
     "written by gatescan 0.0.1"),
])
def test_a_malformed_or_foreign_answer_is_refused_naming_the_cause_and_merges_nothing(mangle, message):
    s = _shard()
    _accept(s, mangle(_answer()), "s")
    assert s.status == "invalid" and s.report is None
    assert message in s.message and "shard 1/2 of vantage seg-a" in s.message


def test_a_workers_message_is_bounded_and_stripped_of_control_characters():
    s = _shard()
    _accept(s, {**_answer(), "status": "refused", "message": "\x1b[31m" + "x" * 5000}, "s")
    assert s.status == "refused" and len(s.message) < 700 and "\x1b" not in s.message
