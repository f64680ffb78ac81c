"""Credentials masked out of evidence before it reaches a report, which is often shared wider
than the network it describes. Pure functions: no I/O, idempotent, never raising on odd input.

A masked value keeps its place and its length (`<redacted, 40 chars>`), an `Authorization`
value keeps its scheme word, a cookie keeps its name and attributes: the evidence still shows
that a secret was there. Numbers, booleans, null and enum-like words (`"auth": "none"`,
`"mode": "token"`) are not secrets and stay.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

MARK_RE = re.compile(r"<redacted, \d+ chars>")
_MAX_DEPTH = 64
_MAX_ROUNDS = 50


def mask(value: str) -> str:
    """`value` as a redaction marker (a marker stays as it is)."""
    if MARK_RE.fullmatch(value):
        return value
    return f"<redacted, {len(value)} chars>"


# ------------------------------------------------------------------ which names are secret

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

# Words that make a name secret wherever it appears (JSON key, header, query parameter).
_SECRET_WORDS = frozenset({
    "token", "secret", "secrets", "password", "passwords", "passwd", "pwd", "passphrase", "apikey",
    "credential", "credentials", "cookie", "cookies", "jwt", "privatekey", "authtoken", "authorization",
    "passkey",
})
_KEY_QUALIFIERS = frozenset({"api", "private", "access", "secret", "auth", "signing", "master", "encryption",
                             "session", "client"})
# A name ending in one of these describes a secret (its type, its URL, its length), it is not one.
_NEUTRAL_LAST = frozenset({
    "endpoint", "endpoints", "url", "uri", "urls", "path", "paths", "file", "dir", "type", "types", "mode",
    "modes", "kind", "method", "methods", "supported", "required", "enabled", "disabled", "allowed", "expires",
    "expiry", "expiration", "ttl", "length", "len", "count", "limit", "name", "names", "header", "headers",
    "scheme", "schemes", "policy", "hint", "source", "provider", "status", "version", "at", "ms", "seconds",
    "timeout", "format", "configured", "present", "missing", "used", "usage", "env", "field", "prefix", "label",
    "placeholder", "description", "help", "strategy", "location",
})
_ENV_SECRET_LAST = frozenset({"key", "token", "secret", "password", "pass", "pwd", "pat", "credentials", "apikey"})
# Values that say how auth works, not what the credential is.
_ENUM_VALUES = frozenset({
    "", "none", "null", "nil", "undefined", "true", "false", "yes", "no", "on", "off", "enabled", "disabled",
    "required", "optional", "token", "password", "bearer", "basic", "digest", "oauth", "oauth2", "apikey",
    "api_key", "api-key", "jwt", "cookie", "session", "header", "query", "trusted-proxy", "tailscale", "device",
    "local", "remote", "unknown", "missing", "invalid", "unset", "set", "configured", "enforced", "open",
    "closed", "anonymous", "redacted", "hidden", "masked", "[redacted]", "<redacted>",
})
_SCHEME = re.compile(r"(?i)(bearer|basic|token|digest|negotiate|ntlm|apikey|api-key)(\s+)(.+)\Z", re.S)


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(name)]


def _names_secret(words: list[str], *, extra: frozenset[str] = frozenset()) -> bool:
    if not words:
        return False
    if any(w in _SECRET_WORDS or w in extra for w in words):
        return True
    return any(w == "key" and i > 0 and words[i - 1] in _KEY_QUALIFIERS for i, w in enumerate(words))


def secret_key(name: str) -> bool:
    """A JSON (or dict) key whose string value is a credential: `api_key`, `deviceToken`,
    `OPENAI_API_KEY`; not `tokens_used`, `token_type`, `authMode`, `publicKey`."""
    words = _words(name)
    if not words or words[-1] in _NEUTRAL_LAST:
        return False
    if name.isupper() and "_" in name and words[-1] in _ENV_SECRET_LAST and words[-2:-1] != ["public"]:
        return True  # env style: OPENAI_API_KEY, GITHUB_TOKEN, DB_PASSWORD
    return _names_secret(words, extra=frozenset({"auth", "session", "sessionid", "pass"}))


def _secret_param(name: str) -> bool:
    """A query or form parameter that carries a credential: token=, access_token=, api_key=,
    key=, password=, secret=, auth=, sig= (session ids in URLs only route, they stay)."""
    words = _words(name)
    if not words or words[-1] in _NEUTRAL_LAST:
        return False
    if words[-1] == "key" or secret_key(name) and "session" not in words:
        return True
    return _names_secret(words, extra=frozenset({"auth", "pass", "sig", "signature"}))


_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                             "api-key", "x-auth-token"})


def _secret_header(name: str) -> bool:
    low = name.strip().lower()
    if low in _SECRET_HEADERS:
        return True
    if low.startswith("access-control-"):  # CORS headers name headers, they carry none
        return False
    return _names_secret(_words(low), extra=frozenset({"auth", "session", "sessionid"}))


def _mask_secret(value: str) -> str:
    """A credential value masked; an auth scheme word in front of it stays."""
    if value.strip().lower() in _ENUM_VALUES or MARK_RE.fullmatch(value) or not value.strip("*•"):
        return value
    m = _SCHEME.match(value)
    if m:
        return m.group(1) + m.group(2) + mask(m.group(3))
    return mask(value)


# ------------------------------------------------------------------ headers

_COOKIE_ATTRS = frozenset({"expires", "max-age", "domain", "path", "samesite", "priority", "version",
                           "comment"})
_COOKIE_FLAGS = frozenset({"secure", "httponly", "partitioned"})
_COOKIE_SPLIT = re.compile(r"(;[ \t]*|,[ \t]*(?=[^=;,\s]+=))")  # between cookies and attributes


def _mask_cookies(value: str) -> str:
    """Cookie / Set-Cookie: every cookie keeps its name and attributes, its value is masked
    (and anything that is neither is masked whole)."""
    out = []
    for part in _COOKIE_SPLIT.split(value):
        text = part.strip()
        if not text or _COOKIE_SPLIT.fullmatch(part) or MARK_RE.fullmatch(text) or text.lower() in _COOKIE_FLAGS:
            out.append(part)
            continue
        name, eq, val = part.partition("=")
        if not eq:
            out.append(mask(part))
        elif name.strip().lower() in _COOKIE_ATTRS or not val or MARK_RE.fullmatch(val):
            out.append(part)
        else:
            out.append(f"{name}={mask(val)}")
    return "".join(out)


def _header_value(name: str, value: Any) -> Any:
    if not _secret_header(name):
        return redact_text(value) if isinstance(value, str) else value
    text = value if isinstance(value, str) else str(value)
    if name.strip().lower() in ("cookie", "set-cookie"):
        return _mask_cookies(text) if "=" in text else _mask_secret(text)
    return _mask_secret(text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with credentials masked (Authorization keeps its scheme, cookies their names)."""
    try:
        items: Iterable = headers.items() if isinstance(headers, Mapping) else headers
        return {k: _header_value(k, v) if isinstance(k, str) else v for k, v in items}
    except (TypeError, ValueError):  # not a mapping nor pairs: nothing we can read as headers
        return headers  # type: ignore[return-value]


# ------------------------------------------------------------------ URLs and free text

_PARAM = re.compile(r"""(?<![\w.\-\[\]%])(?P<key>[A-Za-z_][\w.\-\[\]]{0,80})="""
                    r"""(?P<val><redacted, \d+ chars>|"(?:[^"\\]|\\.)*(?:"|\Z)|[^\s&#;,"'<>]+)""")
_USERINFO = re.compile(r"""(?i)(?P<pre>\b[a-z][a-z0-9+.\-]*://[^\s/:@"'<>]*):(?P<pw>[^\s/@"'<>]+)@""")
_SHAPES = re.compile(
    r"(?<![A-Za-z0-9_])(?:"
    r"sk-[A-Za-z0-9_\-]{16,}"  # OpenAI, Anthropic (sk-ant-), LM Studio (sk-lm-)
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"  # GitHub
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"  # Slack
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API key
    r"|glpat-[A-Za-z0-9_\-]{20,}"  # GitLab
    r"|hf_[A-Za-z0-9]{30,}"  # Hugging Face
    r"|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{5,}(?:\.[A-Za-z0-9_\-]*)?"  # JWT (a cut one too)
    r")"
)
_BEARER = re.compile(r"(?i)(?<![\w-])(?P<scheme>bearer|token)(?P<sp>\s+)(?P<cred>[A-Za-z0-9._~+/=\-]{8,})")
_HEADER_LINE = re.compile(r"(?<![\w\-\"'])(?P<name>[A-Za-z][\w\-]{1,60})[ \t]*:[ \t]*")
_EOL = re.compile(r"[\r\n]")
# "credentials: a page has nothing to read": a sentence after a secret-sounding word, not a value.
# A plain lowercase word (no digit, no symbol) followed by more words on the line is prose; a
# header line's value is one token ("token: hunter2", "password: s3cret", "Authorization: Bearer x").
_PROSE = re.compile(r"[a-z]{1,15} +[a-z]+\b[a-z ,.;:'()-]*$")
_LINE_CRED = re.compile(r"(?i)(?:(?:bearer|basic|token|digest|negotiate|apikey)\s+)?"
                        r"(?:<redacted, \d+ chars>|[^\s;,\"'<>]+)")
_PEM = re.compile(r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(.*?)(-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S)
_EXCERPT_TAIL = re.compile(r"\.\.\. \[\d+ more characters\]\Z")


def _params(text: str) -> str:
    def one(m: re.Match) -> str:
        val = m.group("val")
        if not _secret_param(m.group("key")) or val.lower() in _ENUM_VALUES or MARK_RE.fullmatch(val):
            return m.group(0)
        if val.startswith('"'):  # key="value", or a value cut before its closing quote
            slashes = len(val[1:-1]) - len(val[1:-1].rstrip("\\"))
            closed = len(val) > 1 and val.endswith('"') and slashes % 2 == 0
            inner = val[1:-1] if closed else val[1:]
            if inner and not MARK_RE.fullmatch(inner) and inner.lower() not in _ENUM_VALUES:
                inner = mask(inner)
            return f'{m.group("key")}="{inner}' + ('"' if closed else "")
        return f"{m.group('key')}={mask(val)}"
    return _PARAM.sub(one, text)


def _userinfo(text: str) -> str:
    return _USERINFO.sub(lambda m: f"{m.group('pre')}:{mask(m.group('pw'))}@", text)


def _shapes(text: str) -> str:
    return _SHAPES.sub(lambda m: mask(m.group(0)), text)


def redact_url(url: str) -> str:
    """A URL with `token=`-style query/fragment parameters, a `user:pass@` password and known
    token shapes masked."""
    if not isinstance(url, str):
        return url
    return _until_stable(_URL_PASSES, url)


def _header_lines(text: str) -> str:
    """`Authorization: Bearer x`, `Cookie: a=b`, `token: x` written out in free text."""
    out: list[str] = []
    pos = 0
    while (m := _HEADER_LINE.search(text, pos)) is not None:
        name, vstart = m.group("name"), m.end()
        out.append(text[pos:vstart])
        pos = vstart
        if not _secret_header(name) or text[vstart:vstart + 1] in ("", "{", "[", "\r", "\n"):
            continue  # not a secret, no value, or an object whose own keys decide
        line_end = len(text) if (nl := _EOL.search(text, vstart)) is None else nl.start()
        val = text[vstart:line_end]
        if name.lower() in ("cookie", "set-cookie") and "=" in val:
            out.append(_mask_cookies(val))
            pos = line_end
        elif (cred := _LINE_CRED.match(val)) and not _PROSE.match(val):
            out.append(_mask_secret(cred.group(0)))
            pos = vstart + cred.end()
    out.append(text[pos:])
    return "".join(out)


def _bearer(text: str) -> str:
    def one(m: re.Match) -> str:
        cred = m.group("cred")
        if not (any(c.isdigit() for c in cred) or len(cred) >= 24):
            return m.group(0)  # "Bearer authentication", "token mismatch": words, not credentials
        return m.group("scheme") + m.group("sp") + mask(cred)
    return _BEARER.sub(one, text)


def _pem(text: str) -> str:
    def one(m: re.Match) -> str:
        body = m.group(2)
        if not body.strip() or MARK_RE.fullmatch(body):
            return m.group(0)
        return m.group(1) + mask(body) + m.group(3)
    return _PEM.sub(one, text)


_JSON_KEY = re.compile(r"""(?P<bs>\\{0,8})(?P<q>["'])(?P<key>[^"'\\\r\n]{1,100})(?P=bs)(?P=q)[ \t]*:[ \t]*""")


def _string_end(text: str, start: int, quote: str, level: int) -> int:
    """Index of the quote closing a string opened just before `start` (`level` backslashes
    escape its quotes: 0 for JSON, 1 for JSON inside a JSON string), or len(text) if it was cut."""
    i = start
    while True:
        j = text.find(quote, i)
        if j < 0:
            return len(text)
        k = j
        while k > start and text[k - 1] == "\\":
            k -= 1
        slashes = j - k
        if (level == 0 and slashes % 2 == 0) or (level > 0 and slashes == level):
            return k if level else j
        i = j + 1


def _json_fields(text: str) -> str:
    """`"key": "value"` pairs with a secret key masked, also in JSON that does not parse (cut
    excerpts, a value without its closing quote) and in JSON inside a JSON string."""
    out: list[str] = []
    pos = 0
    while True:
        m = _JSON_KEY.search(text, pos)
        if m is None:
            break
        bs, vstart = m.group("bs"), m.end()
        opener = text[vstart:vstart + len(bs) + 1]
        if not secret_key(m.group("key")) or opener not in (bs + '"', bs + "'"):
            out.append(text[pos:vstart])
            pos = vstart
            continue
        start = vstart + len(opener)
        end = _string_end(text, start, opener[-1], len(bs))
        out.append(text[pos:start])
        out.append(_mask_secret(text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _until_stable(passes, text: str) -> str:
    """Run `passes` until nothing changes, so masking what is masked changes nothing. It ends:
    every change turns unmasked characters into a marker, and markers are never undone."""
    for _ in range(_MAX_ROUNDS):
        done = text
        for one in passes:
            text = one(text)
        if text == done:
            break
    return text


_TEXT_PASSES = (_pem, _json_fields, _header_lines, _userinfo, _params, _bearer, _shapes)
_URL_PASSES = (_userinfo, _params, _shapes)


def redact_text(text: str) -> str:
    """A body excerpt, frame or message (JSON, a cut JSON fragment, form-encoded or free text)
    with secret-looking fields, `token=` pairs, `Bearer` credentials and known token shapes masked."""
    if not isinstance(text, str) or not text:
        return text
    tail = _EXCERPT_TAIL.search(text)  # "... [N more characters]": ours, kept out of a cut value
    body = text[:tail.start()] if tail else text
    return _until_stable(_TEXT_PASSES, body) + (tail.group(0) if tail else "")


# ------------------------------------------------------------------ exchanges


def _redact(value: Any, key: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return redact_text(value if isinstance(value, str) else repr(value))
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and k.lower() == "headers" and not isinstance(v, (str, bytes)):
                out[k] = redact_headers(v)
            else:
                out[k] = _redact(v, k, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_redact(v, key, depth + 1) for v in value]
    if isinstance(value, str):
        if isinstance(key, str) and secret_key(key):
            return _mask_secret(value)
        return redact_text(value)
    return value


def redact_exchange(exchange: dict) -> dict:
    """A `{request, response}` evidence record with every credential masked (headers, URLs,
    bodies, frames, replies; nested values too). Returns a new record."""
    if not isinstance(exchange, Mapping):
        return exchange
    return _redact(exchange, None, 0)
