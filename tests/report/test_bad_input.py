"""Whatever a saved report file holds, loading it either gives a Report every renderer can
draw or raises ReportLoadError naming the problem: never a traceback. The loader's schema
check (fastjsonschema, which reads the schema as draft-07) agrees with jsonschema's 2020-12."""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatescan.report.console import render_console_text
from gatescan.report.html import render_html
from gatescan.report.jsonl import render_jsonl
from gatescan.report.jsonout import ReportLoadError, parse_report, report_to_json, schema_problem
from gatescan.report.sarif import render_sarif
from tests.report.synth import full_report

BASE = full_report().to_dict()
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=False),
                    st.text(max_size=8), st.sampled_from(["info", "high", "finding", "passed", "1/2", "unknown"]),
                    st.just([]), st.just({}))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(BASE) if p]


def _mutate(doc, path, action, value):
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        if isinstance(parent, dict):
            del parent[last]
        else:
            parent.pop(last)
    else:
        parent[last] = value
    return doc


def _render_all(report):
    report_to_json(report)
    render_jsonl(report)
    render_sarif(report)
    render_html(report)
    for style in ("table", "tree", "plain"):
        render_console_text(report, style=style)


@settings(max_examples=int(__import__("os").environ.get("GATESCAN_HYPOTHESIS_EXAMPLES", 300)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "delete"]), SCALARS), min_size=1, max_size=3))
def test_mutated_reports_load_or_fail_cleanly(report_schema, mutations):
    doc = copy.deepcopy(BASE)
    for path, action, value in mutations:
        try:
            _mutate(doc, path, action, value)
        except (KeyError, IndexError, TypeError, AttributeError):
            pass  # an earlier mutation removed the parent
    ours = schema_problem(doc)
    theirs = list(jsonschema.Draft202012Validator(report_schema).iter_errors(doc))
    assert bool(ours) == bool(theirs), (ours, [e.message for e in theirs[:3]])
    try:
        report = parse_report(json.dumps(doc), "mutated.json")
    except ReportLoadError as exc:
        assert exc.path == "mutated.json" and exc.problem
        _assert_names_where(exc.problem, doc, [path for path, _action, _value in mutations])
        return
    # accepted: the JSON writer gives the document back, and reading that gives the same report
    text = report_to_json(report)
    assert json.loads(text) == report.to_dict()
    assert _holds(json.loads(text), doc)  # every field read is written back (defaults may be added)
    again = parse_report(text, "again.json")
    assert again == report and report_to_json(again) == text
    _render_all(report)


def _holds(written, read):
    """Whether `written` says everything `read` said, value for value (True is not 1)."""
    if isinstance(read, dict):
        return isinstance(written, dict) and all(k in written and _holds(written[k], v) for k, v in read.items())
    if isinstance(read, list):
        return isinstance(written, list) and len(written) == len(read) and all(map(_holds, written, read))
    return type(written) is type(read) and written == read


_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")


def _assert_names_where(problem, doc, mutated):
    """A refusal names the field it refuses: the header field by name, or a JSON path ($...)
    that leads to, or lies under, a place a mutation touched."""
    if problem.startswith("not a gatescan report") or problem.startswith("unsupported schema_version"):
        assert ("'schema'" in problem or "schema " in problem or "schema_version" in problem), problem
        assert any(p[0] in ("schema", "schema_version") for p in mutated) or not isinstance(doc, dict), problem
        return
    match = re.match(r"malformed gatescan report: \$((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*)", problem)
    assert match, problem  # every refusal after the header check carries its JSON path
    where = tuple(k if k is not None and k != "" else int(i) for k, i in _STEP.findall(match.group(1)))
    assert any(p[: len(where)] == where or where[: len(p)] == p for p in mutated), (where, mutated, problem)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_is_refused_cleanly(text):
    """Refused, naming the file; text that is not JSON is refused at the decoder's line and column."""
    with pytest.raises(ReportLoadError) as caught:
        parse_report(text, "x.json")
    assert caught.value.path == "x.json" and str(caught.value).startswith("x.json: ")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        if text.strip():
            assert f"line {exc.lineno}, column {exc.colno}" in caught.value.problem, caught.value.problem
    except ValueError:
        pass


# Keywords whose meaning draft-07 (how fastjsonschema reads the schema) and 2020-12 (what the
# schema declares, and what jsonschema and dashboards use) share. A 2020-12-only keyword such as
# prefixItems, unevaluatedProperties or dependentRequired would be silently ignored at load.
SHARED_KEYWORDS = {"$schema", "$id", "$ref", "$defs", "title", "description", "type", "const", "enum",
                   "pattern", "minLength", "maxLength", "minimum", "maximum", "required", "properties",
                   "additionalProperties", "items", "minItems", "maxItems", "allOf", "anyOf", "oneOf", "not"}


def test_the_schema_uses_only_keywords_both_drafts_share(report_schema):
    used = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                used.add(key)
                children = value.values() if key in ("properties", "$defs") and isinstance(value, dict) else [value]
                for child in children:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(report_schema)
    assert used <= SHARED_KEYWORDS, used - SHARED_KEYWORDS


def test_a_malformed_report_names_the_json_path():
    doc = copy.deepcopy(BASE)
    doc["findings"][0]["severity"] = "severe"
    with pytest.raises(ReportLoadError, match=r"malformed gatescan report: \$\.findings\[0\]\.severity must be one of"):
        parse_report(json.dumps(doc), "bad.json")


@pytest.mark.parametrize("text", [
    '{"schema": "gatescan.report/v1", "x": ' + "9" * 5000 + "}",  # int() refuses > 4300 digits
    "[" * 100_000 + "]" * 100_000,  # json's decoder recurses
    '{"schema": "gatescan.report/v1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
], ids=["long-number", "deep-array", "deep-field"])
def test_json_the_decoder_cannot_take_is_refused_cleanly(text):
    # render, diff, merge and --baseline all went through here and ended in a traceback
    with pytest.raises(ReportLoadError, match="not a usable JSON document"):
        parse_report(text, "x.json")


def test_unknown_fields_nested_past_the_renderers_stack_are_refused():
    # json.loads takes ~990 levels, but the JSON/JSONL writers and to_dict recurse with more
    # frames per level: a 490-deep unknown field loaded, then render and merge died.
    doc = copy.deepcopy(BASE)
    doc["future_field"] = json.loads("[" * 490 + "]" * 490)
    with pytest.raises(ReportLoadError, match="nested deeper than"):
        parse_report(json.dumps(doc), "deep.json")
    doc["future_field"] = json.loads("[" * 60 + "]" * 60)
    _render_all(parse_report(json.dumps(doc), "ok.json"))


def test_a_port_written_as_a_float_renders(tmp_path):
    """JSON Schema's integer admits 8080.0; a saved report carrying one still renders as HTML
    (found by the mutated-reports fuzz: a `{port:05d}` format of a float raised)."""
    from gatescan.report.html import address_key

    assert address_key("10.0.0.1", 8080.0) == address_key("10.0.0.1", 8080)
