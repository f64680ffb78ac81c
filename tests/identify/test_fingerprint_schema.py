"""Fingerprints validate with fastjsonschema (jsonschema's import cost every scan ~2.5 s of CPU),
which compiles draft-07: fingerprints._draft07 rewrites the schema's 2020-12 words. jsonschema,
reading the schema as the 2020-12 it declares, must accept and refuse the same documents, and
the field our message names must be one jsonschema names too."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from gatescan.identify import fingerprints as fpmod

SHIPPED = sorted(fpmod.default_dir().glob("*.yaml"))
BASE = yaml.safe_load((fpmod.default_dir() / "openclaw-gateway.yaml").read_text())


def _set(path: str, value):
    def mutate(doc):
        *parents, last = path.split("/")
        node = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is KeyError:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return mutate


MUTATIONS = {
    "no id": _set("id", KeyError), "no impact": _set("impact", KeyError),
    "port too big": _set("ports", [70000]), "ports not a list": _set("ports", "eleven"),
    "port a bool": _set("ports", [True]), "range end too big": _set("port_ranges", [[1, 70000]]),
    "range of three": _set("port_ranges", [[1, 2, 3]]), "range of one": _set("port_ranges", [[1]]),
    "range ok": _set("port_ranges", [[1, 2]]), "impact unknown": _set("impact", "shell"),
    "extra key": _set("extra", 1), "empty name": _set("name", ""), "version_source null": _set("version_source", None),
    "version_source number": _set("version_source", 3), "probe kind": _set("probes/0/kind", "gopher"),
    "probe extra key": _set("probes/0/bogus", 1), "probe path": _set("probes/0/path", "x"),
    "http probe without path": _set("probes/0/path", KeyError), "header value": _set("probes/0/headers", {"A": 1}),
    "matcher extra key": _set("matchers/0/body_smells", 1), "confidence 3": _set("matchers/0/confidence", 3),
    "confidence 0": _set("matchers/0/confidence", 0), "status string": _set("matchers/0/status", "200"),
    "status list": _set("matchers/0/status", [200, 401]), "status empty list": _set("matchers/0/status", []),
    "ws condition on a matcher": _set("matchers/0/ws_accepted", True),
    "empty contains": _set("matchers/0/body_contains", ""), "empty contains item": _set("matchers/0/body_contains", [""]),
    "empty json": _set("matchers/0/json", {}), "json op unknown": _set("matchers/0/json", {"a": {"bogus": 1}}),
    "json op ok": _set("matchers/0/json", {"a": {"exists": True}}), "json list": _set("matchers/0/json", {"a": []}),
    "not unknown": _set("matchers/0/not", {"wat": 1}), "not status": _set("matchers/0/not", {"status": "x"}),
    "check id": _set("checks", {"NotAnId": {}}), "check params list": _set("checks", {"auth.missing": []}),
    "mdns type": _set("mdns", {"types": ["bad"]}), "attribute unnamed": _set("attributes", [{"probe": "x"}]),
    "embed empty match": _set("embeds", [{"protocol": "mcp", "name": "x", "path": "/", "probe": "p", "match": {}}]),
    "embed match unknown": _set("embeds", [{"protocol": "mcp", "name": "x", "path": "/", "probe": "p", "match": {"zz": 1}}]),
    "embed match ws": _set("embeds", [{"protocol": "mcp", "name": "x", "path": "/", "probe": "p",
                                       "match": {"ws_accepted": True}}]),
    "advisory without id": _set("advisories", [{}]), "extractor source": _set("version", [{"probe": "p", "source": "nose"}]),
}


@pytest.fixture(scope="module")
def reference():
    return jsonschema.Draft202012Validator(json.loads(fpmod.SCHEMA_FILE.read_text()))


def _fields(errors) -> set[str]:
    """Every field jsonschema's errors (and the errors under a oneOf/allOf) name, as ours are spelt."""
    out = set()
    for err in errors:
        where = ""
        for part in err.absolute_path:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        out.add(where)
        out |= _fields(err.context)
    return out


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_pass_both(reference, path: Path):
    doc = yaml.safe_load(path.read_text())
    assert list(reference.iter_errors(doc)) == [] and fpmod._schema_problem(doc) is None


@pytest.mark.parametrize("name", MUTATIONS)
def test_both_refuse_the_same_documents_at_the_same_field(reference, name):
    doc = copy.deepcopy(BASE)
    MUTATIONS[name](doc)
    theirs = list(reference.iter_errors(doc))
    ours = fpmod._schema_problem(doc)
    assert (ours is None) == (theirs == []), (ours, [e.message for e in theirs])
    if ours:
        assert ours[0] in _fields(theirs), (ours, _fields(theirs))


@pytest.mark.parametrize("rule", [{}, {"body": 1}, {"status": "200"}, {"status": 200}, {"ws_accepted": True},
                                  {"json": {"a": {"exists": "x"}}}, {"body_contains": ["a"], "headers": {"x": True}}])
def test_check_rules_agree(reference, rule):
    schema = json.loads(fpmod.SCHEMA_FILE.read_text())
    theirs = list(jsonschema.Draft202012Validator({"$ref": "#/$defs/rule", "$defs": schema["$defs"]}).iter_errors(rule))
    ours = fpmod._schema_problem(rule, fpmod._validator("rule"))
    assert (ours is None) == (theirs == []), (ours, [e.message for e in theirs])


def test_a_2020_12_word_left_untranslated_fails_loudly():
    with pytest.raises(ValueError, match="unevaluatedProperties"):
        fpmod._draft07({"type": "object", "unevaluatedProperties": False, "anyOf": [{"properties": {"a": {}}}]})


def test_loading_the_fingerprints_imports_no_jsonschema():
    """Every scan loads them: jsonschema's import alone was ~2.5 s of CPU (39 lark grammars)."""
    code = ("import sys; from gatescan.identify.fingerprints import load_fingerprints; load_fingerprints(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'rfc3987_syntax', 'lark')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
