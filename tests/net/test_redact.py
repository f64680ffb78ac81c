"""net.redact: what is masked, what stays, and that masking is idempotent and never raises."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings, strategies as st

from gatescan.net.redact import _ENUM_VALUES, MARK_RE, redact_exchange, redact_headers, redact_text, redact_url, secret_key

FAKE_OPENAI = "sk-test-" + "Q7x2" * 10
FAKE_GITHUB = "ghp_" + "a1B2c3D4e5" * 4
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsYWIiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLWxhYi1vbmx5"


# ------------------------------------------------------------------ headers

@pytest.mark.parametrize("name, value, want", [
    ("Authorization", "Bearer abc123def456", "Bearer <redacted, 12 chars>"),
    ("authorization", "token lab-token", "token <redacted, 9 chars>"),
    ("Authorization", "Basic dXNlcjpwYXNz", "Basic <redacted, 12 chars>"),
    ("Proxy-Authorization", "Bearer x", "Bearer <redacted, 1 chars>"),
    ("Authorization", "opaque-credential", "<redacted, 17 chars>"),
    ("X-Api-Key", "k-123456", "<redacted, 8 chars>"),
    ("Api-Key", "k-123456", "<redacted, 8 chars>"),
    ("X-Auth-Token", "t0k3n", "<redacted, 5 chars>"),
    ("x-mcp-proxy-auth", "Bearer " + "0" * 64, "Bearer <redacted, 64 chars>"),
    ("x-claude-code-ide-authorization", "8e5f0c7a", "<redacted, 8 chars>"),
    ("X-OpenClaw-Token", "lab-gateway-token", "<redacted, 17 chars>"),
    ("X-Secret-Key", "s", "<redacted, 1 chars>"),
    ("mcp-session-id", "7f3a0c9e", "<redacted, 8 chars>"),
    ("X-Password", "hunter2", "<redacted, 7 chars>"),
    ("Cookie", "a=1; _xsrf=2|ab|cd", "a=<redacted, 1 chars>; _xsrf=<redacted, 7 chars>"),
    ("Set-Cookie", 'username-127-0-0-1-8888="2|1:0|10:1|eyJ1c2Vy"; expires=Wed, 23 Oct 2024 07:28:00 GMT; '
                   "HttpOnly; Path=/",
     "username-127-0-0-1-8888=<redacted, 21 chars>; expires=Wed, 23 Oct 2024 07:28:00 GMT; HttpOnly; Path=/"),
    ("Set-Cookie", "opaque", "<redacted, 6 chars>"),
    # not secrets: the evidence that proves a finding
    ("Content-Type", "application/json", "application/json"),
    ("WWW-Authenticate", 'Bearer realm="gatescan", error="invalid_token"', 'Bearer realm="gatescan", error="invalid_token"'),
    ("Access-Control-Allow-Credentials", "true", "true"),
    ("Access-Control-Allow-Headers", "Authorization, X-Api-Key", "Authorization, X-Api-Key"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Origin", "http://attacker.invalid", "http://attacker.invalid"),
    ("Location", "/login?next=%2Ftree", "/login?next=%2Ftree"),
    ("Location", "/lab?token=abcdef", "/lab?token=<redacted, 6 chars>"),
    ("X-Powered-By", "Express", "Express"),
    ("Authorization", "", ""),
])
def test_headers(name, value, want):
    assert redact_headers({name: value}) == {name: want}


def test_headers_keep_order_and_odd_values():
    out = redact_headers({"Host": "h", "Authorization": 12345, "X": None})
    assert list(out) == ["Host", "Authorization", "X"]
    assert out == {"Host": "h", "Authorization": "<redacted, 5 chars>", "X": None}
    assert redact_headers(None) is None  # type: ignore[arg-type]
    assert redact_headers([("Cookie", "s=1")]) == {"Cookie": "s=<redacted, 1 chars>"}  # type: ignore[arg-type]


# ------------------------------------------------------------------ URLs

@pytest.mark.parametrize("url, want", [
    ("http://127.0.0.1:8888/lab?token=abc123", "http://127.0.0.1:8888/lab?token=<redacted, 6 chars>"),
    ("http://h/?access_token=a&x=1&api_key=bb", "http://h/?access_token=<redacted, 1 chars>&x=1&api_key=<redacted, 2 chars>"),
    ("https://maps.example/api?key=AIzaXYZ&q=cafe", "https://maps.example/api?key=<redacted, 7 chars>&q=cafe"),
    ("http://h/?password=p&secret=s&auth=a", "http://h/?password=<redacted, 1 chars>&secret=<redacted, 1 chars>&auth=<redacted, 1 chars>"),
    ("http://localhost:6274/?MCP_PROXY_AUTH_TOKEN=f00d", "http://localhost:6274/?MCP_PROXY_AUTH_TOKEN=<redacted, 4 chars>"),
    ("http://127.0.0.1:18789/#token=abcdef", "http://127.0.0.1:18789/#token=<redacted, 6 chars>"),  # 2026.3 fragments
    ("wss://production-sfo.browserless.io?token=T0KEN", "wss://production-sfo.browserless.io?token=<redacted, 5 chars>"),
    ("http://admin:hunter2@10.0.0.5:8080/x", "http://admin:<redacted, 7 chars>@10.0.0.5:8080/x"),
    # not secrets
    ("http://h/messages/?session_id=4f2a", "http://h/messages/?session_id=4f2a"),  # routes, MCP SSE
    ("http://h/v1/chat?max_tokens=1&token_type=bearer", "http://h/v1/chat?max_tokens=1&token_type=bearer"),
    ("http://h/?auth=none", "http://h/?auth=none"),
    ("http://[::1]:8888/api", "http://[::1]:8888/api"),
    ("http://[::1", "http://[::1"),
    ("", ""),
])
def test_urls(url, want):
    assert redact_url(url) == want


# ------------------------------------------------------------------ bodies and free text

ENV = {"HOME": "/home/dev", "PATH": "/usr/bin:/bin", "OPENAI_API_KEY": FAKE_OPENAI,
       "GITHUB_PERSONAL_ACCESS_TOKEN": FAKE_GITHUB, "DB_PASSWORD": "pw-lab", "LOG_LEVEL": "debug"}


@pytest.mark.parametrize("text, gone, kept", [
    # the MCP Inspector's /config (products.md §1.3): env vars from `-e KEY=value`
    (json.dumps({"defaultEnvironment": ENV, "defaultCommand": "node"}),
     [FAKE_OPENAI, FAKE_GITHUB, "pw-lab"], ['"HOME": "/home/dev"', '"LOG_LEVEL": "debug"', '"defaultCommand": "node"',
                                           '"OPENAI_API_KEY": "<redacted, 48 chars>"']),
    # the same cut at an excerpt boundary: a value without its closing quote, the excerpt's tail kept
    (json.dumps({"defaultEnvironment": ENV})[:90] + "... [200 more characters]",
     [FAKE_OPENAI[:20]], ['"OPENAI_API_KEY": "<redacted, ', "... [200 more characters]"]),
    ('{"token": "lab-token", "password": "hunter2", "apiKey": "k1", "client_secret": "cs", "deviceToken": "dt"}',
     ["lab-token", "hunter2", '"k1"', '"cs"', '"dt"'], ['"token": "<redacted, 9 chars>"']),
    ('{"auth": {"deviceToken": "deadbeef", "role": "operator", "scopes": ["operator.admin"]}}',
     ["deadbeef"], ['"role": "operator"', '"operator.admin"']),
    ('{"Authorization": "Bearer abc12345"}', ["abc12345"], ['"Authorization": "Bearer <redacted, 8 chars>"']),
    # JSON inside a JSON string (a recorded frame), and Python's repr
    ('{"frame": "{\\"token\\":\\"inner-secret\\",\\"id\\":1}"}', ["inner-secret"], ['\\"id\\":1']),
    ("{'password': 'hunter2', 'user': 'bob'}", ["hunter2"], ["'user': 'bob'"]),
    # form-encoded and token= pairs in free text
    ("grant_type=password&username=bob&password=hunter2", ["hunter2"], ["grant_type=password", "username=bob"]),
    ("open http://127.0.0.1:8888/tree?token=0123abcd to start", ["0123abcd"], ["to start"]),
    # well-known token shapes anywhere
    (f"key {FAKE_OPENAI} and {FAKE_GITHUB}", [FAKE_OPENAI, FAKE_GITHUB], ["key ", " and "]),
    ("xoxb-1234567890-abcdefghij and xoxp-0987654321-zyxwvutsrq", ["xoxb-1234567890", "xoxp-0987654321"], [" and "]),
    (f"cookie {JWT} here", [JWT, JWT[:40]], ["cookie ", " here"]),
    ("AKIAABCDEFGHIJKLMNOP", ["AKIAABCDEFGHIJKLMNOP"], []),
    ("hf_abcdefghijklmnopqrstuvwxyz0123456789", ["hf_abcdefghijklmnopqrstuvwxyz0123456789"], []),
    ("Authorization: Bearer abcdef123456", ["abcdef123456"], ["Authorization: Bearer <redacted, 12 chars>"]),
    ("sent Bearer 0123456789abcdef to it", ["0123456789abcdef"], ["sent Bearer <redacted, 16 chars> to it"]),
    ("Set-Cookie: sid=s3ss10n; Path=/", ["s3ss10n"], ["Set-Cookie: sid=<redacted, 7 chars>; Path=/"]),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----",
     ["b3BlbnNzaC1rZXk"], ["-----BEGIN OPENSSH PRIVATE KEY-----", "-----END OPENSSH PRIVATE KEY-----"]),
    ("ws://u:pw1234@host:1/", ["pw1234"], ["ws://u:<redacted, 6 chars>@host:1/"]),
])
def test_text_masks(text, gone, kept):
    out = redact_text(text)
    for secret in gone:
        assert secret not in out, (secret, out)
    for fragment in kept:
        assert fragment in out, (fragment, out)
    assert MARK_RE.search(out)


# Evidence that proves findings, and things that only look like secrets: they must survive.
UNCHANGED = [
    '{"auth": "none", "mode": "token", "authMode": "password", "RequiresAuth": false, "AuthToken": true}',
    '{"tokens_used": 12, "max_tokens": 1, "token_type": "bearer", "expires_in": 3600, "deviceToken": null}',
    '{"token_endpoint": "https://as.example/token", "authorization_endpoint": "https://as.example/auth",'
    ' "token_endpoint_auth_methods_supported": ["none"]}',
    '{"type":"event","event":"connect.challenge","payload":{"nonce":"5b0b7a4e-1c1d-4f3e-9a57-0c6f2f0d4a11","ts":1}}',
    '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","serverInfo":{"name":"notes","version":"1.0"}}}',
    '{"publicKey": "MCowBQYDK2VwAyEA", "sessionKey": "", "password": "", "secret": "********"}',
    "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)",
    '{"error":{"code":"INVALID_REQUEST","message":"device identity required","details":{"code":"AUTH_TOKEN_MISSING"}}}',
    "Authentication required. Use the session token shown in the console when starting the server.",
    "Bearer authentication is required; token missing",
    "status 200; X-Powered-By: Express; defaultEnvironment={\"HOME\":\"/home/dev\"}",
    "HTTP 200; Server: TornadoServer/6.6.1; application/json; title: Jupyter Server",
    "Tool not available: gatescan-5c1e0d",
    "the per-service deadline (20 s) ran out; task-1234567890abcdef0123 finished",
    "version 2026.1.24",
    "",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_text_not_secrets_stay(text):
    assert redact_text(text) == text


@pytest.mark.parametrize("key, secret", [
    ("api_key", True), ("apiKey", True), ("APIKey", True), ("apikey", True), ("OPENAI_API_KEY", True),
    ("ANTHROPIC_API_KEY", True), ("GITHUB_TOKEN", True), ("DB_PASSWORD", True), ("AWS_SECRET_ACCESS_KEY", True),
    ("token", True), ("access_token", True), ("deviceToken", True), ("auth", True), ("x-api-key", True),
    ("password", True), ("passwd", True), ("private_key", True), ("credentials", True), ("cookie", True),
    ("session", True), ("session_id", True), ("clientPasskey", True),
    ("tokens_used", False), ("max_tokens", False), ("token_type", False), ("authMode", False),
    ("authorization_endpoint", False), ("author", False), ("publicKey", False), ("PUBLIC_KEY", False),
    ("tokenizer", False), ("protocolVersion", False), ("nonce", False), ("HOME", False), ("LOG_LEVEL", False),
    ("", False), ("123", False),
])
def test_secret_keys(key, secret):
    assert secret_key(key) is secret


def test_exchange_every_part():
    exchange = {
        "request": {"method": "GET", "url": "http://h:1/api?token=abc", "headers": {"Authorization": "Bearer tok-1",
                                                                                      "Origin": "http://evil"},
                    "body": '{"password": "hunter2"}', "frames_sent": ['{"auth":{"token":"wrong-random"}}'],
                    "frame": '{"apiKey":"k-9"}'},
        "response": {"status": 200, "headers": {"set-cookie": "s=v1; Path=/", "content-type": "application/json"},
                     "body": json.dumps({"defaultEnvironment": {"OPENAI_API_KEY": FAKE_OPENAI}}),
                     "frames": [f'{{"type":"res","ok":true,"payload":{{"auth":{{"deviceToken":"{FAKE_GITHUB}"}}}}}}'],
                     "reply": "token=r3ply", "close": {"code": 1008, "reason": "origin not allowed"},
                     "json": {"token": "parsed-1", "n": 3}},
    }
    before = json.dumps(exchange)
    out = redact_exchange(exchange)
    assert json.dumps(exchange) == before  # the input is not touched
    text = json.dumps(out)
    for secret in ("abc", "tok-1", "hunter2", "wrong-random", "k-9", "v1", FAKE_OPENAI, FAKE_GITHUB, "r3ply",
                   "parsed-1"):
        assert secret not in text.replace("<redacted, ", ""), secret
    assert out["request"]["headers"] == {"Authorization": "Bearer <redacted, 5 chars>", "Origin": "http://evil"}
    assert out["response"]["status"] == 200 and out["response"]["close"] == exchange["response"]["close"]
    assert out["response"]["json"] == {"token": "<redacted, 8 chars>", "n": 3}
    assert out["response"]["headers"]["content-type"] == "application/json"
    assert redact_exchange(out) == out


@pytest.mark.parametrize("odd", [None, 1, "text", [], {"request": None}, {"request": {"headers": "Cookie: a=b"}},
                                 {"request": {"headers": 5}}, {1: {2: 3}}, {"a": b"bytes"}])
def test_exchange_odd_input_never_raises(odd):
    assert redact_exchange(redact_exchange(odd)) == redact_exchange(odd)


def test_exchange_deep_nesting_does_not_raise():
    deep: dict = {"token": "leaf-secret"}
    for _ in range(500):
        deep = {"x": deep}
    assert "leaf-secret" not in json.dumps(redact_exchange({"request": deep}))


# ------------------------------------------------------------------ properties

# Text built from the pieces the masks key on, so the search reaches their corners.
PIECES = ['"token"', '"api_key"', "'password'", '"x"', ":", ": ", '"', "'", "\\", "\\\"", "{", "}", ",", "=",
          "token=", "auth=", "&", "?", "#", " ", "\n", "Bearer ", "token ", "Authorization: ", "Set-Cookie: ",
          "Cookie: ", "a=b; ", "sk-", "eyJ", ".", "ghp_", "abcdefghijklmnopqrstuvwxyz0123456789", "xoxb-",
          "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "<redacted, 3 chars>",
          "... [5 more characters]", "http://", "u:p@", "none", "*", "<", ">", "OPENAI_API_KEY"]
pieced = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=30).map("".join)
texts = st.text() | pieced


@settings(max_examples=400)
@given(texts)
def test_text_idempotent_and_never_raises(text):
    once = redact_text(text)
    assert redact_text(once) == once


@settings(max_examples=200)
@given(texts)
def test_url_idempotent_and_never_raises(text):
    once = redact_url(text)
    assert redact_url(once) == once


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Content-Type",
                                        "x-session", "Location"]) | st.text(max_size=12), texts, max_size=6))
def test_headers_idempotent_and_never_raise(headers):
    once = redact_headers(headers)
    assert redact_headers(once) == once


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["token", "headers", "body", "url",
                                                                                "frames", "auth", "x"]) | st.text(max_size=8),
                                                                inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["request", "response"]), json_values))
def test_exchange_idempotent_and_never_raises(exchange):
    once = redact_exchange(exchange)
    assert redact_exchange(once) == once


# A secret: long enough not to occur by chance, no quote or backslash (JSON would escape it).
secrets = st.text(st.characters(codec="ascii", exclude_characters='"\\', min_codepoint=33, max_codepoint=126), min_size=10, max_size=40)


@settings(max_examples=300)
@given(secrets, st.sampled_from(["api_key", "token", "OPENAI_API_KEY", "password", "client_secret", "deviceToken",
                                 "auth"]), st.integers(0, 3))
def test_a_secret_field_never_survives(secret, key, where):
    assume("<redacted" not in secret and secret.strip("*•").strip() and secret.lower() not in _ENUM_VALUES)
    doc = {"defaultEnvironment": {"HOME": "/home/dev", key: secret, "USER": "dev"}, "n": 1}
    text = json.dumps(doc)
    if where == 1:
        text = text[:text.index(secret) + len(secret) // 2] + "... [9 more characters]"  # cut mid-value
        secret = secret[:len(secret) // 2]
        assume(len(secret) >= 5)
    elif where == 2:
        text = json.dumps({"frame": text})  # JSON inside a JSON string
    elif where == 3:
        text = repr(doc)
    # the secret (or the half of it kept) must not also be part of the document's other text,
    # e.g. 'defaultEnv' inside the key defaultEnvironment
    bare = {"defaultEnvironment": {"HOME": "/home/dev", key: "", "USER": "dev"}, "n": 1}
    assume(secret not in json.dumps({"frame": json.dumps(bare)}) + repr(bare) + "... [9 more characters]")
    assert secret not in redact_text(text)


@settings(max_examples=200)
@given(secrets, st.sampled_from(["Authorization", "X-Api-Key", "Cookie", "Set-Cookie", "X-Auth-Token",
                                 "X-Gateway-Token", "Proxy-Authorization"]),
       st.sampled_from(["", "Bearer ", "token ", "sid="]))
def test_a_secret_header_never_survives(secret, name, prefix):
    assume("<redacted" not in secret and secret.lower().strip() not in {"none", "null", "true", "false"})
    if "cookie" in name.lower():
        prefix = "sid="  # a cookie's name stays, its value is the secret
    out = redact_headers({name: prefix + secret, "Accept": "*/*"})
    assert secret not in json.dumps(out)
    assert out["Accept"] == "*/*"


@settings(max_examples=200)
@given(secrets, st.sampled_from(["token", "access_token", "api_key", "key", "password", "secret", "auth"]))
def test_a_secret_parameter_never_survives(secret, param):
    value = quote(secret, safe="")
    assume(len(value) >= 10 and value.lower() not in _ENUM_VALUES)
    url = f"http://127.0.0.1:8888/api?x=1&{param}={value}&y=2#f"
    out = redact_url(url)
    assert value not in out and out.endswith("&y=2#f") and "?x=1&" in out


@pytest.mark.parametrize("text, kept", [
    # a check's reason: prose after a secret-sounding word is not a value (seen on the real gateway)
    ("refused without credentials: a page has nothing to read", True),
    ("credentials: the gateway asked for none", True),
    ("token: hunter2", False),
    ("password: secret", False),
    ("token: s3cret and more", False),
    ("Authorization: Bearer abc.def", False),
])
def test_prose_after_a_secret_word_is_kept_values_are_masked(text, kept):
    assert (redact_text(text) == text) is kept, redact_text(text)
