"""Typed check parameters: every check declares its parameters once (catalog.py), fingerprints
are validated against them when they load, and a misspelt id, parameter or value fails the load
naming the file, the check and the field (exit 2), never silently turning a check off."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gatescan import catalog
from gatescan.cli import app
from gatescan.identify import fingerprints as fpmod
from gatescan.identify.fingerprints import FingerprintError, load_file, load_fingerprints


def doc(checks: dict) -> dict:
    return {
        "id": "demo-product", "name": "Demo", "category": "demo", "impact": "data", "ports": [12345],
        "probes": [{"id": "root", "kind": "http", "path": "/"}],
        "matchers": [{"probe": "root", "confidence": 0.9, "body_contains": "demo"}],
        "checks": checks,
    }


def write(directory: Path, checks: dict) -> Path:
    path = directory / "demo-product.yaml"
    path.write_text(yaml.safe_dump(doc(checks), sort_keys=False))
    return path


@pytest.mark.parametrize("checks, field, reason", [
    # a check id the build does not have (misspelt, or not built yet)
    ({"auth.mising": {}}, "checks.auth.mising", "'auth.mising' is no check id"),
    # a real check id that is not a network check (every network id is built now)
    ({"config.auth.none": {}}, "checks.config.auth.none", "is a config check"),
    ({"skill.unlisted": {}}, "checks.skill.unlisted", "is a skill check"),
    # a parameter the check does not declare
    ({"auth.missing": {"transprot": "sse"}}, "checks.auth.missing.transprot", "unknown field 'transprot' (declared: remediation, references, "),
    ({"ws.origin.unchecked": {"request": {"path": "/"}}}, "checks.ws.origin.unchecked.request", "unknown field 'request'"),
    ({"auth.missing": {"expect": {"status": 200}}}, "checks.auth.missing.expect", "unknown field 'expect'"),
    ({"auth.missing": {"by_variant": {"SSE": {"only_variants": ["x"]}}}},
     "checks.auth.missing.by_variant.SSE.only_variants", "unknown field 'only_variants'"),
    ({"auth.missing": {"request": {"path": "/", "verb": "GET"}}}, "checks.auth.missing.request.verb",
     "unknown field 'verb' (declared: path, method, headers, json)"),
    # a value of the wrong enum or type
    ({"auth.missing": {"protocol": "mcp", "transport": "streamabel"}}, "checks.auth.missing.transport",
     "'streamabel' is not one of 'streamable', 'sse' or 'ws'"),
    ({"auth.missing": {"by_variant": {"SSE": {"transport": "sse2"}}}}, "checks.auth.missing.by_variant.SSE.transport",
     "'sse2' is not one of"),
    ({"ws.origin.unchecked": {"protocol": "openclaw"}}, "checks.ws.origin.unchecked.protocol", "is not one of"),
    ({"auth.missing": {"request": {"path": "/", "method": "post"}}}, "checks.auth.missing.request.method", "is not one of"),
    ({"auth.missing": {"request": {"method": "GET"}}}, "checks.auth.missing.request.path", "'path' is required"),
    ({"auth.missing": {"path": 8080}}, "checks.auth.missing.path", "expected a string, not a number 8080"),
    ({"auth.missing": {"references": "CWE-306"}}, "checks.auth.missing.references", "expected a list"),
    ({"auth.missing": {"only_variants": [1]}}, "checks.auth.missing.only_variants[0]", "expected a string"),
    ({"auth.missing": {"request": {"path": "/", "headers": {"X": 1}}}}, "checks.auth.missing.request.headers.X",
     "expected a string"),
    ({"auth.missing": ["protocol"]}, "checks.auth.missing", "is not of type 'object'"),  # the schema's word
    # YAML's own types: a boolean is not a string (a date never reaches the decoder: the YAML 1.2
    # loader leaves 2024-01-01 a string; test_non_json_data_is_refused covers the decoder itself)
    ({"auth.missing": {"subprotocol": True}}, "checks.auth.missing.subprotocol", "expected a string, not a boolean True"),
    # a by_variant entry's rules are the matcher language too
    ({"auth.missing": {"by_variant": {"SSE": {"open": {"status": "200"}}}}},
     "checks.auth.missing.by_variant.SSE.open.status", "is not of type 'integer'"),
])
def test_bad_checks_fail_the_load_naming_file_check_and_field(tmp_path, checks, field, reason):
    path = write(tmp_path, checks)
    with pytest.raises(FingerprintError) as info:
        load_file(path)
    err = info.value
    assert (err.file, err.where) == (str(path), field), str(err)
    assert reason in err.reason, str(err)
    assert str(err).startswith(f"{path}: {field}: ")


def test_checks_receive_typed_parameters(tmp_path):
    path = write(tmp_path, {
        "auth.missing": {"protocol": "mcp", "path": "/mcp", "references": ["CWE-306"],
                         "by_variant": {"HTTP+SSE": {"transport": "sse", "path": "/sse"}}},
        "ws.origin.unchecked": {"path_from": {"path": "/json/version"}, "only_variants": ["WebSocket"]},
        "http.host.unchecked": None,
    })
    fp = load_file(path)
    auth = fp.checks["auth.missing"]
    assert isinstance(auth, catalog.AuthMissingParams) and auth.references == ("CWE-306",)
    assert auth.for_variant("HTTP+SSE") == catalog.AuthMissingParams(
        protocol="mcp", transport="sse", path="/sse", references=("CWE-306",), by_variant=auth.by_variant)
    origin = fp.checks["ws.origin.unchecked"]
    assert origin.path_from == catalog.PathFrom("/json/version", "webSocketDebuggerUrl")
    assert origin.only_variants == ("WebSocket",)
    assert fp.checks["http.host.unchecked"] == catalog.HostUncheckedParams()


def test_the_built_checks_are_the_registered_ones_and_the_shipped_set_names_only_them():
    from gatescan._paths import import_lab
    from gatescan.checks import REGISTRY

    built = {i for i, e in catalog.CATALOGUE.items() if e.params is not None}
    assert built == set(REGISTRY)
    for fp in load_fingerprints():
        assert set(fp.checks) <= built, fp.id
        for check_id, params in fp.checks.items():
            assert isinstance(params, catalog.get(check_id).params), (fp.id, check_id)
    for svc in import_lab().services(include_hostile=True):  # the lab manifest likewise
        assert set(svc.expected) <= built, svc.key


def test_fingerprints_validate_exits_2_on_a_bad_parameter(tmp_path):
    path = write(tmp_path, {"auth.missing": {"protocol": "mcp", "transport": "streamabel"}})
    result = CliRunner().invoke(app, ["fingerprints", "validate", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert f"{path}: checks.auth.missing.transport: 'streamabel' is not one of" in " ".join(result.output.split())
    write(tmp_path, {"auth.missing": {"protocol": "mcp", "transport": "streamable"}})
    assert CliRunner().invoke(app, ["fingerprints", "validate", str(tmp_path)]).exit_code == 0


def test_a_scan_exits_2_when_a_shipped_fingerprint_names_an_unknown_check(tmp_path, monkeypatch):
    write(tmp_path, {"no.such.check": {}})
    monkeypatch.setattr(fpmod, "default_dir", lambda: tmp_path)
    fpmod._shipped.cache_clear()
    try:
        result = CliRunner().invoke(app, ["scan", "127.0.0.1", "-p", "agents", "--quiet"])
    finally:
        fpmod._shipped.cache_clear()
    assert result.exit_code == 2, result.output
    assert "checks.no.such.check" in result.output and "'no.such.check' is no check id" in result.output


def test_non_json_data_is_refused():
    """What a Python caller (not a YAML file) may hand the decoder: a date, a set."""
    from gatescan import catalog, typed

    with pytest.raises(typed.TypedError, match="not JSON data"):
        typed.from_data(catalog.AuthMissingParams, {"path": datetime.date(2024, 1, 1)}, "checks.auth.missing")
