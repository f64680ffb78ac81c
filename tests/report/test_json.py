"""The JSON document: schema validity, round trip, unknown fields kept, bad files refused,
and the schema checked against the model so the two cannot drift."""

from __future__ import annotations

import dataclasses
import json

import pytest

from gatescan import model
from gatescan.model import SCHEMA_VERSION, Report
from gatescan.report import write_report
from gatescan.report.jsonout import ReportLoadError, load_report, parse_report, report_to_json
from tests.report.conftest import DATA
from tests.report.synth import full_report, many_findings


def test_full_report_validates(report, validate_report):
    validate_report(json.loads(report_to_json(report)))


def test_minimal_report_validates(validate_report):
    validate_report(Report().to_dict())


def test_round_trip_equal(report):
    again = parse_report(report_to_json(report))
    assert again == report
    assert report_to_json(again) == report_to_json(report)


def test_round_trip_through_file(saved_report, report, validate_report):
    loaded = load_report(str(saved_report))
    assert loaded == report
    validate_report(json.loads(saved_report.read_text()))


def test_unknown_fields_from_newer_minor_version_are_kept():
    doc = full_report().to_dict()
    doc["schema_version"] = "1.7"
    doc["new_section"] = {"a": 1}
    doc["findings"][0]["new_field"] = ["x"]
    doc["services"][0]["checks"][0]["weight"] = 3
    again = json.loads(report_to_json(parse_report(json.dumps(doc))))
    assert again["new_section"] == {"a": 1}
    assert again["findings"][0]["new_field"] == ["x"]
    assert again["services"][0]["checks"][0]["weight"] == 3
    assert again["schema_version"] == "1.7"


def test_saved_fixture_matches_synthetic(validate_report):
    """tests/report/data/full-report.json is the saved report other areas can render."""
    path = DATA / "full-report.json"
    validate_report(json.loads(path.read_text()))
    assert load_report(str(path)) == full_report()


def test_write_json_stdout(capsys, report):
    write_report(report, "json", "-")
    assert json.loads(capsys.readouterr().out)["scan_id"] == report.scan_id


@pytest.mark.parametrize(
    "content, problem",
    [
        ("", "empty"),
        ('{"schema": "gatescan.report/v1", "scan_id": "x", "findings": [', "truncated"),
        ("not json at all", "not JSON"),
        ("[1, 2]", "top level is a JSON list"),
        ('{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0"}', "not a gatescan report"),
        ('{"schema": "gatescan.report/v2", "schema_version": "2.0"}', "not a gatescan report"),
        ('{"schema": "gatescan.report/v1", "schema_version": "2.0"}', "unsupported schema_version"),
        ('{"schema": "gatescan.report/v1", "schema_version": "1.0", "findings": [{"check": "a"}]}', "malformed"),
        ('{"schema": "gatescan.report/v1", "schema_version": "1.0", "findings": "nope"}', "malformed"),
        ('{"schema": "gatescan.report/v1", "schema_version": "1.0", "findings": [{"check": "a", '
         '"severity": "bogus", "title": "t", "target": "x"}]}', "malformed"),
    ],
)
def test_bad_files_name_file_and_problem(tmp_path, content, problem):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ReportLoadError) as info:
        load_report(str(path))
    assert info.value.path == str(path)
    assert problem in info.value.problem
    assert str(path) in str(info.value)


def test_truncated_real_report(tmp_path, report):
    text = report_to_json(report)
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ReportLoadError, match="truncated"):
        load_report(str(path))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ReportLoadError, match="no such file"):
        load_report(str(tmp_path / "nope.json"))
    with pytest.raises(ReportLoadError, match="directory"):
        load_report(str(tmp_path))
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ReportLoadError, match="UTF-8"):
        load_report(str(binary))


# -- the schema and the model cannot drift ----------------------------------------------------

MODEL_DEFS = {
    model.Scope: "scope",
    model.Service: "service",
    model.Evidence: "evidence_item",
    model.CheckResult: "check_result",
    model.Finding: "finding",
    model.FindingEvidence: "finding_evidence",
    model.Exchange: "exchange",
    model.SuppressedFinding: "suppressed",
    model.SkillRecord: "skill",
    model.ErrorRecord: "error",
}


def _model_fields(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.name != "extra"}


def _schema_fields(schema, name) -> tuple[set[str], set[str]]:
    node = schema if name is None else schema["$defs"][name]
    return set(node["properties"]), set(node.get("required", ()))


def test_schema_properties_match_model(report_schema):
    for cls, name in [(Report, None), *MODEL_DEFS.items()]:
        props, required = _schema_fields(report_schema, name)
        fields = _model_fields(cls)
        assert props == fields, f"{cls.__name__}: schema {sorted(props ^ fields)} differ from the model"
        assert required <= fields


def test_required_fields_are_always_emitted(report_schema):
    """Every property the schema requires is present even in an empty record."""
    empties = {
        None: Report(),
        "service": model.Service(host="h", port=1),
        "finding": model.Finding(check="c", severity="info", title="t", target="x"),
        "check_result": model.CheckResult("c", "passed"),
        "skill": model.SkillRecord(name="n", path="p"),
        "error": model.ErrorRecord(where="w", message="m"),
        "scope": model.Scope(),
    }
    for name, record in empties.items():
        _, required = _schema_fields(report_schema, name)
        assert required <= set(record.to_dict()), name


def test_no_field_removed_or_renamed_without_version_bump(report_schema):
    """data/fields.json snapshots each schema_version's fields; a field may only be added with
    a minor bump and never removed within v1."""
    snapshot = json.loads((DATA / "fields.json").read_text())
    current = {"report": sorted(_schema_fields(report_schema, None)[0])}
    for name in sorted(set(MODEL_DEFS.values()) | {"local", "shard", "listener", "mcp_server", "config_file", "browser"}):
        current[name] = sorted(_schema_fields(report_schema, name)[0])
    assert SCHEMA_VERSION in snapshot, f"schema_version {SCHEMA_VERSION} has no snapshot in data/fields.json"
    assert snapshot[SCHEMA_VERSION] == current, "fields changed without a schema_version bump"
    for version, defs in snapshot.items():
        for name, names in defs.items():
            missing = set(names) - set(current.get(name, ()))
            assert not missing, f"{name}: {sorted(missing)} removed (present in {version})"


def test_large_report_validates(validate_report):
    validate_report(json.loads(report_to_json(many_findings(500, hosts=50))))


def test_streamed_text_equals_the_model_dict():
    """report_to_json streams records one per line; the document is still exactly to_dict()."""
    r = full_report()
    assert json.loads(report_to_json(r)) == r.to_dict()
    empty = Report()
    assert json.loads(report_to_json(empty)) == empty.to_dict()
    empty.skills = []
    assert json.loads(report_to_json(empty))["skills"] == []


def test_sarif_streamed_equals_document():
    from gatescan.report.sarif import render_sarif, sarif_document

    r = full_report()
    assert json.loads(render_sarif(r)) == json.loads(json.dumps(sarif_document(r)))
