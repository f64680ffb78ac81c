"""Matcher conditions and extractors on probe results (no network); the semantics table that
identification and check rules share is tests/identify/test_matcher_semantics.py."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from gatescan.identify.fingerprints import Extractor, Matcher
from gatescan.identify.matcher import condition, extract, holds, json_get


def match(m: Matcher, result):
    return holds(m.conditions, result, m.negated)
from gatescan.net.http import HttpResult
from gatescan.identify.engine import WsResult


def http(status=200, body=b"", **headers) -> HttpResult:
    return HttpResult(method="GET", url="http://127.0.0.1:1/", status=status, body=body,
                      headers={k.lower().replace("_", "-"): v for k, v in headers.items()})


@pytest.mark.parametrize(
    "result, key, want, holds",
    [
        (http(405), "status", 405, True),
        (http(405), "status", [401, 403], False),
        (http(405, Allow="POST"), "headers", {"Allow": "^POST$"}, True),
        (http(405, Allow="GET, POST"), "headers", {"Allow": "^POST$"}, False),
        (http(200), "headers", {"Server": False}, True),
        (http(200, Server="nginx"), "headers", {"Server": False}, False),
        (http(200, Server="nginx"), "headers", {"server": True}, True),
        (http(body=b"<title>OpenClaw Control</title>"), "body_regex", "<title>(OpenClaw|Clawdbot) Control", True),
        (http(body=b"a b"), "body_contains", ["a", "b"], True),
        (http(body=b"a"), "body_contains", ["a", "b"], False),
        (http(body=b'{"serverVersion":"2026.2.24"}'), "json", {"serverVersion": {"exists": True}}, True),
        (http(body=b'{"ok":true,"status":"live"}'), "json", {"ok": True, "status": "live"}, True),
        (http(body=b'not json'), "json", {"ok": True}, False),
        (http(status=None, body=b""), "status", 200, False),
    ],
)
def test_http_conditions(result, key, want, holds):
    assert (condition(result, key, want) is not None) == holds


def test_ws_conditions_and_negation():
    challenge = json.dumps({"type": "event", "event": "connect.challenge", "payload": {"nonce": "n"}})
    ws = WsResult(url="ws://127.0.0.1:1/", accepted=True, status=101, frame=challenge,
                  reply='{"error":{"details":{"expectedProtocol":4}}}', close_code=1002, close_reason="protocol mismatch")
    m = Matcher(probe="ws", confidence=0.9, conditions={"frame_json": {"event": "connect.challenge", "payload.nonce": {"exists": True}}})
    assert match(m, ws)
    assert match(Matcher("ws", 0.5, {"close_code": 1002, "ws_accepted": True}), ws)
    assert match(Matcher("ws", 0.5, {"ws_accepted": True}, negated={"reply_contains": "expectedProtocol"}), ws) is None
    ex = Extractor(probe="ws", source="reply", regex=r'"expectedProtocol"\s*:\s*(\d+)', name="protocol")
    assert extract(ex, ws) == "4"


def test_version_extractors():
    html = b'<html data-openclaw-control-ui-build-id="2026.9.6-release-eb377ac59e6c-2026">'
    ex = Extractor(probe="root", regex=r'build-id="(?P<version>\d{4}\.\d+\.\d+(?:-(?:beta|alpha|rc)[.\d]*)?)')
    assert extract(ex, http(body=html)) == "2026.9.6"
    assert extract(Extractor(probe="c", json="serverVersion"), http(body=b'{"serverVersion":"2026.2.24"}')) == "2026.2.24"
    assert extract(Extractor(probe="c", json="a.0.v"), http(body=b'{"a":[{"v":3}]}')) == "3"
    assert extract(Extractor(probe="c", header="Server", regex=r"TornadoServer/([\d.]+)"),
                   http(Server="TornadoServer/6.4")) == "6.4"
    assert extract(Extractor(probe="c", json="serverVersion"), http(body=b"<html>")) is None
    # a capture group that took no part in the match is no version (not a crash)
    assert extract(Extractor(probe="c", regex=r"(v\d+)?-build"), http(body=b"-build")) is None


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                           max_leaves=10)


@given(doc=json_values, path=st.text(max_size=12))
def test_json_get_never_raises(doc, path):
    found, _ = json_get(doc, path)
    assert found in (True, False)


@given(body=st.binary(max_size=2048))
def test_matchers_survive_any_body(body):
    m = Matcher("root", 0.9, {"body_regex": "<title>x</title>", "json": {"a.b": {"pattern": "x"}}})
    assert match(m, http(body=body)) is None or b"<title>x</title>" in body
