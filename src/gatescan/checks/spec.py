"""The product's privileged request, as a fingerprint's `checks:` parameters describe it.

A spec is `request` (method, path, json, headers) plus `open` (what an answer given without
credentials looks like) and `closed` (what a refusal looks like). auth.missing sends it as is;
http.host.unchecked and http.cors.permissive replay it the way a browser page would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..identify.fingerprints import json_get
from ..model import Access
from ..net.http import HttpResult
from ..protocols import mcp
from .context import random_token


@dataclass
class PrivilegedRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    open: dict[str, Any] = field(default_factory=lambda: {"status": [200]})
    closed: dict[str, Any] = field(default_factory=lambda: {"status": [401, 403]})
    stop: Callable[[bytes], bool] | None = None

    def classify(self, answer: HttpResult) -> Access:
        """OPEN: answered without credentials; CLOSED: authentication refused it."""
        if answer.status is None or answer.error:
            return Access.UNDECIDED
        if matches(self.open, answer):
            return Access.OPEN
        if matches(self.closed, answer):
            return Access.CLOSED
        return Access.UNDECIDED

    def describe(self) -> str:
        return f"{self.method} {self.path}"


def from_params(params: dict[str, Any]) -> PrivilegedRequest | None:
    """The spec in one check's parameters, or None when they name none.

    `open` (alias `expect`) and `closed` are match rules: status (int or list), body /
    body_contains (substrings), body_re / body_regex, json_type (list|object), json_keys, headers.
    """
    if params.get("protocol") == "mcp" and params.get("transport", "streamable") == "streamable":
        init = mcp.initialize_request()
        return PrivilegedRequest(
            "POST", params.get("path", "/mcp"), headers=dict(mcp.POST_HEADERS), json_body=init,
            open={"status": [200], "body": ['"protocolVersion"']},
            closed={"status": [401, 403]}, stop=mcp.reply_arrived(init["id"]),
        )
    req = params.get("request")
    if not isinstance(req, dict) or "path" not in req:
        return None
    return PrivilegedRequest(
        method=str(req.get("method", "GET")).upper(),
        path=_fill(req["path"]),
        headers={str(k): str(v) for k, v in (req.get("headers") or {}).items()},
        json_body=_fill(req.get("json")),
        open=params.get("open") or params.get("expect") or {"status": [200]},
        closed=params.get("closed") or {"status": [401, 403]},
    )


def _json_ok(doc: Any, conditions: dict[str, Any]) -> bool:
    """Fingerprint-style JSON conditions: {dotted.path: value | {exists, equals, pattern}}."""
    for path, want in conditions.items():
        found, value = json_get(doc, str(path))
        if isinstance(want, dict):
            if "exists" in want and found != bool(want["exists"]):
                return False
            if "equals" in want and (not found or value != want["equals"]):
                return False
            if "pattern" in want and (not found or not re.search(str(want["pattern"]), str(value))):
                return False
        elif not found or value != want:
            return False
    return True


def _fill(value: Any) -> Any:
    """Replace `{random}` with a fresh random name (a tool, a session: one that exists nowhere)."""
    if isinstance(value, str):
        return value.replace("{random}", random_token("gatescan-probe")) if "{random}" in value else value
    if isinstance(value, dict):
        return {k: _fill(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v) for v in value]
    return value


def matches(rule: dict[str, Any], answer: HttpResult) -> bool:
    """All given conditions hold: status, body (substrings), body_re, json_type, json_keys, headers."""
    if not rule:
        return False
    status = rule.get("status")
    if status is not None:
        allowed = status if isinstance(status, list) else [status]
        if answer.status not in allowed:
            return False
    text = answer.text or ""
    for key in ("body", "body_contains"):
        body = rule.get(key)
        for needle in ([body] if isinstance(body, str) else body or []):
            if needle not in text:
                return False
    pattern = rule.get("body_re") or rule.get("body_regex")
    if pattern and not re.search(pattern, text):
        return False
    kind = rule.get("json_type")  # "list" or "object": the body parses as that JSON type
    if kind:
        doc = answer.json()
        if not isinstance(doc, list if kind == "list" else dict):
            return False
    if isinstance(rule.get("json"), dict) and not _json_ok(answer.json(), rule["json"]):
        return False
    keys = rule.get("json_keys")
    if keys:
        doc = answer.json()
        if not isinstance(doc, dict) or any(k not in doc for k in keys):
            return False
    for name, needle in (rule.get("headers") or {}).items():
        if needle not in answer.headers.get(name.lower(), ""):
            return False
    return True
