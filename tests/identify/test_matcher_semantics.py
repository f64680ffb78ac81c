"""The one matcher language, pinned: every row is written once into a fingerprint, as an
identification matcher and as auth.missing's `open` rule, loaded through the real loader, and
must hold (or not) the same way on the same answer through both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from gatescan.checks import spec
from gatescan.identify.fingerprints import FingerprintError, load_file
from gatescan.identify.matcher import holds
from gatescan.model import Access
from gatescan.net.http import HttpResult


def doc(conditions: dict) -> dict:
    return {
        "id": "demo-product", "name": "Demo", "category": "demo", "impact": "data", "ports": [12345],
        "probes": [{"id": "root", "kind": "http", "path": "/"}],
        "matchers": [{"probe": "root", "confidence": 0.9, **conditions}],
        "checks": {"auth.missing": {"request": {"method": "GET", "path": "/"}, "open": conditions}},
    }


def write(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "demo-product.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


JSON = {"content-type": "application/json"}

# (conditions as YAML gives them, status, response headers (lower-cased, as the clients keep
# them), body, holds)
TABLE = [
    # status: an int or a list
    ({"status": 200}, 200, {}, "", True),
    ({"status": 200}, 404, {}, "", False),
    ({"status": [401, 403]}, 403, {}, "", True),
    ({"status": [401, 403]}, 200, {}, "", False),
    # headers: the name case-insensitive, the value a regex searched case-insensitively
    ({"headers": {"Content-TYPE": "json"}}, 200, JSON, "", True),
    ({"headers": {"Server": r"^nginx/1\.2"}}, 200, {"server": "nginx/1.25"}, "", True),
    ({"headers": {"Server": r"^nginx/1\.2"}}, 200, {"server": "apache nginx/1.2"}, "", False),
    ({"headers": {"Server": "a.c"}}, 200, {"server": "abc"}, "", True),  # a regex, not a substring
    ({"headers": {"Server": "NGINX"}}, 200, {"server": "nginx"}, "", True),
    ({"headers": {"Access-Control-Allow-Origin": r"^\*$"}}, 200, {"access-control-allow-origin": "*"}, "", True),
    ({"headers": {"Access-Control-Allow-Origin": r"^\*$"}}, 200, {"access-control-allow-origin": "http://x"}, "", False),
    ({"headers": {"WWW-Authenticate": True}}, 401, {"www-authenticate": "Bearer"}, "", True),
    ({"headers": {"WWW-Authenticate": True}}, 401, {}, "", False),
    ({"headers": {"Server": False}}, 200, {}, "", True),
    ({"headers": {"Server": False}}, 200, {"server": "x"}, "", False),
    # body_contains: one substring or all of a list; body_regex: searched
    ({"body_contains": "Tool not available"}, 404, {}, '{"error":"Tool not available: x"}', True),
    ({"body_contains": ["a", "b"]}, 200, {}, "a b", True),
    ({"body_contains": ["a", "b"]}, 200, {}, "a", False),
    ({"body_contains": "ABC"}, 200, {}, "abc", False),  # case-sensitive
    ({"body_regex": r"^\s*\["}, 200, {}, " [1]", True),
    ({"body_regex": r"^\s*\["}, 200, {}, "{}", False),
    # json: dotted paths with list indexes; values compared as JSON values
    ({"json": {"ok": True}}, 200, JSON, '{"ok": true}', True),
    ({"json": {"ok": True}}, 200, JSON, '{"ok": "True"}', False),
    ({"json": {"ok": True}}, 200, JSON, '{"ok": "true"}', False),
    ({"json": {"ok": True}}, 200, JSON, '{"ok": 1}', False),
    ({"json": {"n": 1}}, 200, JSON, '{"n": 1.0}', True),
    ({"json": {"n": 1}}, 200, JSON, '{"n": true}', False),
    ({"json": {"n": 1}}, 200, JSON, '{"n": "1"}', False),
    ({"json": {"v": None}}, 200, JSON, '{"v": null}', True),
    ({"json": {"v": None}}, 200, JSON, "{}", False),
    ({"json": {"ok": {"equals": False}}}, 200, JSON, '{"ok": false}', True),
    ({"json": {"ok": {"equals": False}}}, 200, JSON, '{"ok": 0}', False),
    ({"json": {"ok": {"pattern": "^true$"}}}, 200, JSON, '{"ok": true}', True),  # JSON text, not "True"
    ({"json": {"items.1.name": "x"}}, 200, JSON, '{"items": [{"name": "a"}, {"name": "x"}]}', True),
    ({"json": {"items.-1.name": "x"}}, 200, JSON, '{"items": [{"name": "a"}, {"name": "x"}]}', True),
    ({"json": {"items.2.name": "x"}}, 200, JSON, '{"items": [{"name": "a"}, {"name": "x"}]}', False),
    ({"json": {"models": {"exists": True}}}, 200, JSON, '{"models": []}', True),
    ({"json": {"models": {"exists": True}}}, 200, JSON, "[]", False),
    ({"json": {"token": {"exists": False}}}, 200, JSON, "{}", True),
    ({"json": {"ok": True}}, 200, JSON, "not json", False),
    # every condition must hold
    ({"status": 200, "body_contains": "x"}, 200, {}, "y", False),
    ({"status": 200, "body_contains": "x", "json": {"a": "x"}}, 200, JSON, '{"a": "x"}', True),
]


@pytest.mark.parametrize("conditions, status, headers, body, expected", TABLE)
def test_one_meaning_for_identification_and_check_rules(tmp_path, conditions, status, headers, body, expected):
    fp = load_file(write(tmp_path, doc(conditions)))
    result = HttpResult(method="GET", url="http://127.0.0.1:1/", status=status, headers=dict(headers),
                        body=body.encode())
    [matcher] = fp.matchers
    identified = holds(matcher.conditions, result, matcher.negated) is not None
    req = spec.from_params(fp.checks["auth.missing"])
    open_ = req.classify(result) is Access.OPEN
    assert (identified, open_) == (expected, expected)


@pytest.mark.parametrize("rule, field, reason", [
    ({"body_regex": "(unclosed"}, "checks.auth.missing.open.body_regex", "invalid regex"),
    ({"headers": {"Server": "(x"}}, "checks.auth.missing.open.headers.Server", "invalid regex"),
    ({"json": {"a": {"pattern": "[x"}}}, "checks.auth.missing.open.json.a.pattern", "invalid regex"),
    ({"body": ["x"]}, "checks.auth.missing.open", "'body' was unexpected"),  # the old aliases are gone
    ({"body_re": "x"}, "checks.auth.missing.open", "'body_re' was unexpected"),
    ({"json_keys": ["x"]}, "checks.auth.missing.open", "'json_keys' was unexpected"),
    ({"ws_accepted": True}, "checks.auth.missing.open", "'ws_accepted' was unexpected"),  # HTTP answers only
    ({"status": "200"}, "checks.auth.missing.open.status", "is not of type 'integer'"),
    ({}, "checks.auth.missing.open", "should be non-empty"),
])
def test_check_rules_are_validated_at_load_like_matchers(tmp_path, rule, field, reason):
    document = doc({"status": 200})
    document["checks"]["auth.missing"]["open"] = rule
    path = write(tmp_path, document)
    with pytest.raises(FingerprintError) as info:
        load_file(path)
    assert (info.value.file, info.value.where) == (str(path), field), str(info.value)
    assert reason in info.value.reason, str(info.value)


def test_shipped_check_rules_use_only_the_one_language():
    from gatescan.identify.fingerprints import default_dir

    for path in default_dir().glob("*.yaml"):
        for check_id, params in (yaml.safe_load(path.read_text()).get("checks") or {}).items():
            assert not {"expect", "refused"} & set(params or {}), (path.name, check_id)
            for key in ("open", "closed"):
                assert not {"body", "body_re", "json_keys", "json_type"} & set((params or {}).get(key) or {}), \
                    (path.name, check_id, json.dumps(params[key]))
