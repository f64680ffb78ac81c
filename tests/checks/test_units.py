"""Table-driven unit tests for the checks' pure parts: privileged requests, preflight rules, severity,
Origin variants, variant overrides, reply parsing (fuzzed), OpenClaw reply classification."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from gatescan import catalog
from gatescan.checks import origin
from gatescan.checks.cors import needs_preflight
from gatescan.checks.runner import fingerprint_checks, for_variant, run_checks
from gatescan.catalog import AuthMissingParams, OriginParams
from gatescan.checks.spec import from_params
from gatescan.model import Access, CheckStatus, Service
from gatescan.net.client import Client
from gatescan.net.sse import endpoint_event
from gatescan.net.http import HttpResult
from gatescan.net.limits import Limits
from gatescan.protocols import mcp, openclaw

REPO = Path(__file__).resolve().parents[2]


def ans(status, body=b"", headers=None, error=None):
    return HttpResult(method="GET", url="http://127.0.0.1:1/", status=status, body=body, headers=headers or {}, error=error)


def test_spec_classify_and_random_names():
    [params, again_params] = (fingerprint_checks({"checks": {"auth.missing": p}})["auth.missing"] for p in (
        {"request": {"method": "POST", "path": "/tools/invoke", "json": {"tool": "{random}"}}, "open": {"status": 404}},
        {"request": {"method": "POST", "path": "/tools/invoke", "json": {"tool": "{random}"}}}))
    spec, again = from_params(params), from_params(again_params)
    assert spec.method == "POST" and re.fullmatch(r"gatescan-probe-[0-9a-f]{12}", spec.json_body["tool"])
    assert spec.json_body["tool"] != again.json_body["tool"]
    assert spec.classify(ans(404)) is Access.OPEN and spec.classify(ans(401)) is Access.CLOSED
    assert spec.classify(ans(500)) is Access.UNDECIDED and spec.classify(ans(404, error="timed out")) is Access.UNDECIDED
    assert from_params(AuthMissingParams()) is None


@pytest.mark.parametrize("method, headers, pre", [
    ("GET", {}, False),
    ("POST", {"Content-Type": "text/plain"}, False),
    ("POST", {"Content-Type": "application/json"}, True),
    ("GET", {"Authorization": "x"}, True),
    ("DELETE", {}, True),
])
def test_needs_preflight(method, headers, pre):
    assert needs_preflight(method, headers) is pre


def _impact(product: str) -> str:
    from gatescan.identify import fingerprints

    return fingerprints.get(product).impact


@pytest.mark.parametrize("check, product, kw, sev", [
    ("auth.missing", "openclaw-gateway", {}, "critical"),
    ("auth.missing", "ollama", {}, "medium"),
    ("ws.origin.unchecked", "openclaw-gateway", {"auth_enforced": True}, "high"),
    ("http.host.unchecked", "openclaw-gateway", {"auth_enforced": True}, "critical"),
    ("auth.missing", "mcp-server", {}, "high"),
    ("auth.missing", "mcp-server", {"tools": ["run_shell_command"]}, "critical"),
])
def test_severity_table(check, product, kw, sev):
    assert catalog.severity(check, _impact(product), **kw).value == sev


@pytest.mark.parametrize("impact, sev", [(None, "high"), ("control", "critical")])
def test_severity_without_a_fingerprint_or_with_its_impact(impact, sev):
    # a product with no fingerprint yet counts as data; the fingerprint's class decides otherwise
    assert catalog.severity("auth.missing", impact).value == sev


@pytest.mark.parametrize("product, impact", [
    ("openclaw-gateway", "control"), ("openclaw-browser-control", "control"),
    ("openclaw-extension-relay", "control"), ("chrome-devtools", "control"), ("jupyter-server", "control"),
    ("claude-code-ide", "control"), ("mcp-inspector", "control"), ("mcp-server", "data"), ("ollama", "inference"),
])
def test_shipped_fingerprints_carry_the_impact_class(product, impact):
    assert _impact(product) == impact  # what checks/impact.py's per-product table said


def test_schema_impact_enum_is_the_catalogue_classes():
    import json

    from gatescan.identify.fingerprints import SCHEMA_FILE

    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["properties"]["impact"]["enum"] == list(catalog.IMPACT_CLASSES)
    assert "impact" in schema["required"]


def test_docs_table_in_sync():
    from gatescan.identify import fingerprints

    text = (REPO / "docs" / "checks.md").read_text()
    block = text.split("<!-- impact-table")[1].split("<!-- /impact-table -->")[0]
    rows = catalog.impact_table({fp.id: fp.impact for fp in fingerprints.load_fingerprints()})
    assert block.count("\n| ") == 1 + len(rows)  # the header and one line per class: nothing stale
    for row in rows:
        line = f"| {row['class']} | {row['severity']} | {row['meaning']} | {', '.join(row['products'])} |"
        assert line in block, line


def test_origin_variants():
    labels = dict(origin.variants("http", "127.0.0.1"))
    assert labels["null"] == "null"
    assert labels["suffix trick"] == "http://127.0.0.1.attacker.invalid"
    assert labels["prefix trick"] == "http://attacker127.0.0.1"
    assert labels["attacker site"].endswith(".attacker.invalid")
    assert dict(origin.variants("https", "[::1]"))["prefix trick"] == "https://attackerlocalhost"


@pytest.mark.parametrize("value, ok", [
    ("null", True), ("http://127.0.0.1.attacker.invalid", True), ("http://attacker127.0.0.1", False),
    ("http://127.0.0.1", True), ("http://attackerlocalhost", True), ("http://::1.attacker.invalid", False),
    ("http://gatescan-0a1b.attacker.invalid", True),
])
def test_browser_sendable(value, ok):
    assert origin.browser_sendable(value) is ok


def test_fingerprint_forms_and_variants():
    assert fingerprint_checks({"checks": ["auth.missing"]}) == {"auth.missing": AuthMissingParams()}
    assert fingerprint_checks({"checks": {"auth.missing": None}}) == {"auth.missing": AuthMissingParams()}
    assert fingerprint_checks(None) == {}
    params = fingerprint_checks({"checks": {"auth.missing": {
        "protocol": "mcp", "path": "/mcp", "by_variant": {"HTTP+SSE": {"transport": "sse", "path": "/sse"}}}}})
    sse = for_variant(params, "HTTP+SSE")["auth.missing"]
    assert (sse.protocol, sse.transport, sse.path) == ("mcp", "sse", "/sse")
    plain = for_variant(params, None)["auth.missing"]
    assert (plain.protocol, plain.transport, plain.path) == ("mcp", "streamable", "/mcp")
    assert for_variant(params, "WebSocket")["auth.missing"] is params["auth.missing"]


async def test_only_variants_cost_nothing(client):
    service = Service(host="127.0.0.1", port=9, product="mcp-server", extra={"attributes": {"variant": "HTTP+SSE"}})
    fp = {"checks": {"ws.origin.unchecked": {"only_variants": ["WebSocket"]}}}
    assert fingerprint_checks(fp)["ws.origin.unchecked"] == OriginParams(only_variants=("WebSocket",))
    assert await run_checks(service, fp, client) == []
    assert [(c.check, c.result) for c in service.checks] == [("ws.origin.unchecked", CheckStatus.NOT_APPLICABLE)]
    assert client.probes == 0


@pytest.mark.parametrize("frame, kind", [
    ({"type": "res", "id": "i", "ok": False, "error": {"code": "INVALID_REQUEST", "message": "origin not allowed (...)",
                                                     "details": {"code": "CONTROL_UI_ORIGIN_NOT_ALLOWED"}}}, openclaw.ORIGIN_REJECTED),
    ({"type": "res", "id": "i", "ok": False, "error": {"message": "device identity required",
                                                     "details": {"code": "DEVICE_IDENTITY_REQUIRED"}}}, openclaw.NEXT_GATE),
    ({"type": "res", "id": "i", "ok": False, "error": {"message": "unauthorized: gateway token missing (x)"}}, openclaw.NEXT_GATE),
    ({"type": "res", "id": "i", "ok": False, "error": {"message": "protocol mismatch",
                                                     "details": {"expectedProtocol": 4}}}, openclaw.PROTOCOL_MISMATCH),
    ({"type": "res", "id": "i", "ok": True, "payload": {"type": "hello-ok", "server": {"version": "2026.1.24"}}}, openclaw.HELLO_OK),
    ({"type": "res", "id": "i", "ok": False, "error": {"message": "invalid connect params: x"}}, openclaw.UNEXPECTED),
    ({"type": "res", "id": "i", "ok": True, "payload": []}, openclaw.UNEXPECTED),
    ({"type": "res", "id": "i", "ok": False, "error": "not an object"}, openclaw.UNEXPECTED),
])
def test_openclaw_reply_classification(frame, kind):
    outcome = openclaw._classify_res(frame, lambda k, r, **kw: openclaw.ConnectOutcome(k, r, **kw))
    assert outcome.kind == kind


def test_connect_frame_carries_no_credential():
    frame = openclaw.connect_frame(3, 4)
    assert "auth" not in frame["params"] and "device" not in frame["params"]
    assert frame["params"]["client"]["id"] == "cli"


@pytest.mark.parametrize("body, found", [
    (b'{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"x"}}', True),
    (b'event: message\r\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\r\n\r\n', True),
    (b'event: message\ndata: {"jsonrpc":"2.0","id":2,"result":{}}\n\n', False),
    (b'[{"jsonrpc":"2.0","id":1,"error":{"code":-1}}]', True),
    (b"{not json", False),
])
def test_mcp_find_reply(body, found):
    assert (mcp.find_reply(body, 1) is not None) is found


@given(st.binary(max_size=2000))
def test_mcp_reply_parsing_never_raises(data):
    """Whatever arrives, a reply found answers our id, and an endpoint found is one data line."""
    reply = mcp.find_reply(data, 1)
    assert reply is None or (reply.get("id") == 1 and ("result" in reply or "error" in reply))
    found = endpoint_event(data)
    assert found is None or (len(found) <= 500 and "\n" not in found and found == found.strip())


_ids = st.integers(-3, 5)
_payload = st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8)), max_size=2)
_noise = st.one_of(
    st.builds(lambda i, p: {"jsonrpc": "2.0", "id": i, "result": p}, _ids.filter(lambda i: i != 1), _payload),
    st.builds(lambda p: {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": p}, _payload),  # a request, not a reply
    st.builds(lambda p: {"jsonrpc": "2.0", "method": "notifications/message", "params": p}, _payload),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_noise, max_size=3), st.lists(_noise, max_size=3), st.sampled_from(["result", "error"]), _payload,
       st.sampled_from(["json", "batch", "sse", "sse-crlf", "sse-split"]))
def test_mcp_reply_is_found_among_other_messages(before, after, kind, payload, framing):
    """Our reply is found wherever it sits, whatever else the server sends around it."""
    ours = {"jsonrpc": "2.0", "id": 1, kind: payload}
    messages = before + [ours] + after
    if framing == "json":
        body = json.dumps(ours)
    elif framing == "batch":
        body = json.dumps(messages)
    else:
        nl = "\r\n" if framing == "sse-crlf" else "\n"
        def event(m):
            text = json.dumps(m, indent=1 if framing == "sse-split" else None)
            return "event: message" + nl + "".join(f"data: {line}{nl}" for line in text.split("\n")) + nl
        body = ": keepalive" + nl + nl + "".join(event(m) for m in messages)
    assert mcp.find_reply(body.encode(), 1) == ours
    assert mcp.find_reply(body.encode(), 7) is None  # and nothing answers an id nobody used


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["message", "ping", "endpointx"]), max_size=3),
       st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=600).filter(lambda d: d.strip()),
       st.booleans(), st.booleans())
def test_endpoint_event_is_the_first_complete_one(others, data, crlf, complete):
    """The data of the first endpoint event, once its blank line has arrived; not before."""
    nl = "\r\n" if crlf else "\n"
    stream = "".join(f"event: {name}{nl}data: /not-{i}{nl}{nl}" for i, name in enumerate(others))
    stream += f"event: endpoint{nl}data: {data}{nl}" + (f"{nl}event: endpoint{nl}data: /second{nl}{nl}" if complete else "")
    assert endpoint_event(stream.encode()) == (data.strip()[:500] if complete else None)


_methods = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
_header_names = st.sampled_from(["accept", "content-type", "content-language", "x-api-key", "authorization", "x-b"])
_type_values = st.sampled_from(["text/plain", "application/json", "multipart/form-data; b=1", "Text/Plain"])


@settings(max_examples=150, deadline=None)
@given(_methods, st.dictionaries(_header_names, _type_values, max_size=3), _header_names, _type_values)
def test_preflight_need_only_grows_with_the_request(method, headers, extra, value):
    """A request with one header more never needs a preflight less; a non-simple method always needs one."""
    if extra not in headers:  # one header more, not one replaced
        assert needs_preflight(method, {**headers, extra: value}) >= needs_preflight(method, headers)
    if method not in ("GET", "HEAD", "POST"):
        assert needs_preflight(method, headers)
    # header names and the Content-Type's letter case never change the decision
    assert needs_preflight(method, {k.upper(): v.upper() for k, v in headers.items()}) == needs_preflight(method, headers)


@settings(max_examples=150, deadline=None)
@given(_methods, st.lists(_header_names.filter(lambda h: h != "content-type"), max_size=3, unique=True),
       st.lists(st.sampled_from(["GET", "PUT", "DELETE", "PATCH", "*"]), max_size=3),
       st.lists(st.sampled_from(["x-api-key", "authorization", "x-b", "accept", "*"]), max_size=3),
       st.sampled_from(["PUT", "DELETE", "PATCH", "*"]), st.sampled_from(["x-api-key", "authorization", "x-b", "*"]),
       st.sampled_from(["https://evil.example", "*", "null", ""]), st.sampled_from([200, 204, 299, 301, 403]))
def test_a_preflight_granting_more_never_grants_less(method, custom, methods, allowed, more_method, more_header,
                                                     acao, status):
    """Granting another method or header never turns a granted preflight into a refused one; a
    non-2xx preflight or one that allows another Origin grants nothing."""
    from gatescan.checks.cors import _grants

    origin = "https://evil.example"

    def pre(ms, hs):
        headers = {"access-control-allow-methods": ", ".join(ms), "access-control-allow-headers": ", ".join(hs)}
        if acao:
            headers["access-control-allow-origin"] = acao
        return HttpResult(method="OPTIONS", url="http://127.0.0.1/", status=status, headers=headers)

    base = _grants(pre(methods, allowed), origin, method, custom)
    assert _grants(pre(methods + [more_method], allowed), origin, method, custom) >= base
    assert _grants(pre(methods, allowed + [more_header]), origin, method, custom) >= base
    assert _grants(pre(methods, allowed), origin, method, custom[:-1]) >= base  # asking less
    if not 200 <= status < 300 or acao not in ("*", origin):
        assert not base
    if base and method not in ("GET", "HEAD", "POST"):
        assert "*" in methods or method in methods
    if base:
        assert "*" in allowed or set(custom) <= set(allowed)
    elif 200 <= status < 300 and acao in ("*", origin):  # refused: something asked for is not granted
        assert not (method in ("GET", "HEAD", "POST") or "*" in methods or method in methods) \
            or not ("*" in allowed or set(custom) <= set(allowed))
    # the lists' letter case never changes the verdict (the check matches methods and header names case-blind)
    assert _grants(pre([m.lower() for m in methods], [h.upper() for h in allowed]), origin, method, custom) == base


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["http", "https"]), st.sampled_from(["127.0.0.1", "localhost", "[::1]", "gw.lan", "10.0.0.5"]))
def test_origin_variants_are_never_the_targets_own(scheme, host):
    """A hostile Origin is never the target's own (whatever the scheme), and each differs from the rest."""
    own = {f"{s}://{h}" for s in ("http", "https") for h in (host, host.strip("[]"), "localhost")}
    found = [o for _label, o in origin.variants(scheme, host)]
    assert not own & set(found), found
    assert len(set(found)) == len(found)


@pytest.mark.parametrize("product", [
    "openclaw-gateway", "openclaw-browser-control", "openclaw-extension-relay", "chrome-devtools",
    "claude-code-ide", "jupyter-server", "mcp-inspector", "mcp-server", "ollama",
])
def test_shipped_fingerprints_give_product_remediation(product):
    from gatescan.identify import fingerprints
    from gatescan.checks import REGISTRY

    fp = fingerprints.load_file(fingerprints.default_dir() / f"{product}.yaml")
    for check_id, params in fp.checks.items():
        if check_id in REGISTRY:
            assert params.remediation, (product, check_id)


async def test_service_deadline_makes_checks_inconclusive():
    from tests.checks.hostile import hostile_server

    fp = {"checks": {"auth.missing": {"request": {"path": "/x"}}, "http.host.unchecked": {}}}
    async with hostile_server("silent") as port, Client(Limits(service_deadline=0.5, read_timeout=5.0)) as client:
        service = Service(host="127.0.0.1", port=port, product="ollama")
        assert await run_checks(service, fp, client) == []
    reasons = [(c.result, c.reason) for c in service.checks]
    assert reasons[0] == (CheckStatus.INCONCLUSIVE, "the per-service deadline (0.5 s) ran out during this check")
    assert reasons[1][0] is CheckStatus.INCONCLUSIVE and "before this check" in reasons[1][1]
