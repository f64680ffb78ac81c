"""The fingerprint format: the shipped set validates, a malformed file fails naming file and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gatescan.identify import fingerprints as fpmod
from gatescan.identify.fingerprints import FingerprintError, load_fingerprints, validate_path
from gatescan.scope.ports import named_port_sets

GOOD = """
id: demo-product
name: Demo
category: agent-gateway
impact: data
ports: [12345]
probes:
  - {id: root, kind: http, path: /}
matchers:
  - {probe: root, confidence: 0.9, body_contains: demo}
"""


def test_shipped_fingerprints_validate():
    assert validate_path() == []
    ids = {fp.id for fp in load_fingerprints()}
    assert {"openclaw-gateway", "openclaw-browser-control", "openclaw-extension-relay"} <= ids


def test_agents_port_set_is_the_union_of_default_ports():
    ports = set(named_port_sets()["agents"])
    assert ports == {p for fp in load_fingerprints() for p in fp.ports}
    assert {18789, 18791, 18792} <= ports


def _write(tmp_path: Path, text: str, name: str = "demo-product.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_good_file_loads(tmp_path):
    [fp] = load_fingerprints(_write(tmp_path, GOOD))
    assert fp.id == "demo-product" and fp.ports == (12345,) and fp.probes[0].method == "GET"


@pytest.mark.parametrize(
    "mutate, field, reason",
    [
        (lambda t: t.replace("id: demo-product\n", ""), "", "'id' is a required property"),
        (lambda t: t.replace("ports: [12345]", "ports: [70000]"), "ports[0]", "70000"),
        (lambda t: t.replace("ports: [12345]", "ports: eleven"), "ports", "not of type 'array'"),
        (lambda t: t.replace("probe: root,", "probe: nowhere,"), "matchers[0].probe", "unknown probe 'nowhere'"),
        (lambda t: t.replace("body_contains: demo", "body_regex: '(unclosed'"), "matchers[0].body_regex", "invalid regex"),
        (lambda t: t.replace("body_contains: demo", "body_smells: demo"), "matchers[0]", "body_smells"),
        (lambda t: t.replace("kind: http", "kind: gopher"), "probes[0].kind", "gopher"),
        (lambda t: t.replace("impact: data\n", ""), "", "'impact' is a required property"),
        (lambda t: t.replace("impact: data", "impact: shell"), "impact", "'shell' is not one of"),
        (lambda t: t.replace("confidence: 0.9", "confidence: 3"), "matchers[0].confidence", "3"),
        (lambda t: t + "checks: {NotAnId: {}}\n", "checks", "NotAnId"),
        (lambda t: t.replace("  - {probe: root, confidence: 0.9, body_contains: demo}", "  - {probe: root, confidence: 0.9}"),
         "matchers[0]", "at least one condition"),
    ],
)
def test_malformed_file_names_file_field_and_reason(tmp_path, mutate, field, reason):
    path = _write(tmp_path, mutate(textwrap.dedent(GOOD)))
    with pytest.raises(FingerprintError) as info:
        load_fingerprints(path)
    err = info.value
    assert err.file == str(path)
    assert err.where == field, str(err)
    assert reason in err.reason, str(err)
    assert str(path) in str(err)
    assert validate_path(tmp_path) == [str(err)]


def test_id_must_match_file_name(tmp_path):
    path = _write(tmp_path, GOOD, name="other.yaml")
    with pytest.raises(FingerprintError, match=r"other\.yaml: id: id 'demo-product' does not match"):
        load_fingerprints(path)


def test_broken_yaml_names_the_line(tmp_path):
    path = _write(tmp_path, "id: [unclosed\nname: x\n")
    with pytest.raises(FingerprintError, match=r"demo-product\.yaml: line \d+: not valid YAML"):
        load_fingerprints(path)


def test_validate_reports_every_bad_file_and_keeps_going(tmp_path):
    _write(tmp_path, GOOD)
    _write(tmp_path, "id: 3\n", name="broken.yaml")
    problems = validate_path(tmp_path)
    assert len(problems) == 1 and "broken.yaml" in problems[0]
    assert validate_path(tmp_path / "missing") == [f"{tmp_path / 'missing'}: no such file or directory"]


def test_hostile_yaml_is_a_problem_per_file_not_a_crash(tmp_path):
    """A 100,000-deep list was a RecursionError traceback (and took `validate DIR` down with
    it); an alias bomb was expanded without bound. Each is now one named problem."""
    _write(tmp_path, GOOD)
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    hostile = {
        "deep-list.yaml": "- " * 100_000 + "x\n",
        "deep-flow.yaml": "id: deep-flow\nx: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "bomb.yaml": "\n".join(bomb) + "\n",
        "small-bomb.yaml": "\n".join(bomb[:7]) + "\n",  # 60 aliases, 10^7 values once expanded
    }
    for name, text in hostile.items():
        (tmp_path / name).write_text(text)
    problems = validate_path(tmp_path)
    assert sorted(p.split(":")[0] for p in problems) == sorted(str(tmp_path / n) for n in hostile)
    assert all("not usable YAML" in p for p in problems), problems
    for name in hostile:
        with pytest.raises(FingerprintError, match="not usable YAML"):
            load_fingerprints(tmp_path / name)


def test_claimants_and_json_body_probe(tmp_path):
    text = GOOD + "  - {probe: init, confidence: 0.5, json: {result.ok: true}}\n"
    text = text.replace("probes:\n", "probes:\n  - {id: init, kind: http, when: unidentified, path: /rpc, json: {a: 1}}\n")
    [fp] = load_fingerprints(_write(tmp_path, text))
    probe = fp.probe("init")
    assert probe.method == "POST" and probe.body == b'{"a":1}' and ("Content-Type", "application/json") in probe.headers
    assert fpmod.claimants(12345, [fp]) == [fp] and fpmod.claimants(1, [fp]) == []
