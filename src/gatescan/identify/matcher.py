"""The one matcher language: identification matchers and the checks' `open` / `closed` rules test
probe results with the same conditions, so a condition means the same thing wherever it is written.

Conditions (all must hold; results are net.http / net.ws results or the checks' HTTP answers):
  status          int or list of ints
  headers         {Name: regex | true | false}: the name case-insensitive; a string is a regex
                  searched (case-insensitively) in the value, true/false ask for presence/absence
  body_contains   a substring or a list of substrings, all present
  body_regex      a regex searched in the body
  json            {dotted.path: value | {exists, equals, pattern}}: `a.b.0.c` (a number indexes a
                  list); values compare as JSON values (YAML true equals JSON true, never 1 or
                  "True"); `pattern` is searched in the value's JSON text (true -> "true")
  ws_accepted, ws_status, subprotocol, close_code, frame_contains|_regex|_json (the server's
  first frame), reply_contains|_regex|_json (the frame answering `send`): WebSocket results only.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from .fingerprints import Extractor

# the conditions an HTTP answer can satisfy: what a check's open/closed rule may use
HTTP_CONDITIONS = ("status", "headers", "body_contains", "body_regex", "json")
_REGEX_KEYS = ("body_regex", "frame_regex", "reply_regex")
_JSON_KEYS = ("json", "frame_json", "reply_json")


class RuleError(ValueError):
    """A condition that cannot be tested (an invalid regex), with where it sits."""

    def __init__(self, where: str, reason: str):
        self.where, self.reason = where, reason
        super().__init__(f"{where}: {reason}")


def check_regex(where: str, pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise RuleError(where, f"invalid regex {pattern!r}: {exc}") from None


def validate(conditions: Mapping[str, Any], where: str) -> None:
    """Raise RuleError for a condition whose regex does not compile (the schema checks the shape)."""
    for key in _REGEX_KEYS:
        if key in conditions:
            check_regex(f"{where}.{key}", conditions[key])
    for name, pattern in (conditions.get("headers") or {}).items():
        if isinstance(pattern, str):
            check_regex(f"{where}.headers.{name}", pattern)
    for key in _JSON_KEYS:
        for jpath, spec in (conditions.get(key) or {}).items():
            if isinstance(spec, dict) and "pattern" in spec:
                check_regex(f"{where}.{key}.{jpath}.pattern", spec["pattern"])


# ---------------------------------------------------------------- JSON


def json_get(doc: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at a dotted path (`a.b.0.c`)."""
    cur = doc
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        # isdecimal, not isdigit: int() refuses digits such as "¹" that isdigit accepts
        elif isinstance(cur, list) and part.removeprefix("-").isdecimal() and -len(cur) <= int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return False, None
    return True, cur


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: a boolean equals only a boolean (Python's True == 1 does not
    hold here), numbers compare by value, containers element by element."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _json_holds(doc: Any, spec: Mapping[str, Any]) -> str | None:
    """The observed fragment when every JSON condition holds, else None."""
    if doc is None:
        return None
    seen = []
    for jpath, want in spec.items():
        found, value = json_get(doc, jpath)
        if not isinstance(want, dict):
            want = {"equals": want}
        if "exists" in want and found != want["exists"]:
            return None
        if "equals" in want and (not found or not json_equal(value, want["equals"])):
            return None
        if "pattern" in want and (not found or re.search(want["pattern"], _text(value)) is None):
            return None
        seen.append(f"{jpath}={_text(value)[:80]}" if found else f"{jpath} absent")
    return ", ".join(seen)


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


# ---------------------------------------------------------------- conditions


def _contains(text: str | None, want: str | list[str]) -> str | None:
    if text is None:
        return None
    wants = [want] if isinstance(want, str) else want
    if all(w in text for w in wants):
        return " & ".join(wants)
    return None


def _regex(text: str | None, pattern: str) -> str | None:
    if text is None:
        return None
    m = re.search(pattern, text)
    return m.group(0)[:200] if m else None


def condition(result: Any, key: str, want: Any) -> str | None:
    """Test one condition against a probe result; the observed fragment (evidence) when it
    holds, None when it does not."""
    get = lambda name: getattr(result, name, None)  # noqa: E731
    if key == "status":
        status = get("status")
        wants = want if isinstance(want, list) else [want]
        return f"status {status}" if status is not None and status in wants else None
    if key == "headers":
        headers = get("headers") or {}
        seen = []
        for name, pattern in want.items():
            value = headers.get(name.lower())
            if pattern is False:
                if value is not None:
                    return None
                seen.append(f"no {name}")
                continue
            if value is None or (isinstance(pattern, str) and re.search(pattern, value, re.I) is None):
                return None
            seen.append(f"{name}: {value[:120]}")
        return "; ".join(seen)
    if key == "body_contains":
        return _contains(get("text"), want)
    if key == "body_regex":
        return _regex(get("text"), want)
    if key == "json":
        return _json_holds(result.json() if hasattr(result, "json") else None, want)
    if key == "ws_accepted":
        return f"websocket {'accepted' if want else 'refused'}" if bool(get("accepted")) == want else None
    if key == "ws_status":
        return f"upgrade status {want}" if get("status") == want else None
    if key == "subprotocol":
        return f"subprotocol {want}" if get("subprotocol") == want else None
    if key == "close_code":
        return f"close {want} {get('close_reason') or ''}".strip() if get("close_code") == want else None
    for prefix in ("frame", "reply"):
        if key.startswith(prefix + "_"):
            text = get(prefix)
            kind = key[len(prefix) + 1:]
            if kind == "contains":
                return _contains(text, want)
            if kind == "regex":
                return _regex(text, want)
            if kind == "json":
                return _json_holds(_loads(text), want)
    raise KeyError(f"unknown matcher condition {key!r}")


def holds(conditions: Mapping[str, Any], result: Any,
          negated: Mapping[str, Any] | None = None) -> list[str] | None:
    """The observed fragments when every condition holds on `result` and none of `negated`
    does, else None. No conditions prove nothing (None)."""
    if result is None or not conditions:
        return None
    seen = []
    for key, want in conditions.items():
        observed = condition(result, key, want)
        if observed is None:
            return None
        seen.append(observed)
    for key, want in (negated or {}).items():
        if condition(result, key, want) is not None:
            return None
    return seen


def extract(extractor: "Extractor", result: Any) -> str | None:
    """The value an extractor reads from a probe result (version, protocol, ...), or None."""
    if result is None:
        return None
    if extractor.header:
        text = (getattr(result, "headers", None) or {}).get(extractor.header.lower())
    else:
        text = getattr(result, {"body": "text"}.get(extractor.source, extractor.source), None)
    if text is None:
        return None
    if extractor.json:
        found, value = json_get(_loads(text), extractor.json)
        if not found or value is None or isinstance(value, (dict, list)):
            return None
        text = _text(value)
    if extractor.regex:
        m = re.search(extractor.regex, text)
        if not m:
            return None
        text = m.groupdict().get("version") or (m.group(1) if m.groups() else m.group(0))
    if extractor.decode == "base64" and text:
        # a value the product ships encoded (n8n's index.html config meta tags): decode, then read
        try:
            text = base64.b64decode(text[:16384], validate=True).decode("utf-8", "replace")
        except (ValueError, binascii.Error):
            return None
        m = re.search(extractor.decoded_regex or r"(?s).+", text)
        if not m:
            return None
        text = m.group(1) if m.groups() else m.group(0)
    text = (text or "").strip()  # an optional group that took no part in the match is None
    return text[:100] if text else None
