"""The product's privileged request, as a fingerprint's `checks:` parameters describe it.

A spec is `request` (method, path, json, headers) plus `open` (what an answer given without
credentials looks like) and `closed` (what a refusal looks like). auth.missing sends it as is;
http.host.unchecked and http.cors.permissive replay it the way a browser page would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..catalog import RequestParams
from ..identify.matcher import holds
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
        if holds(self.open, answer) is not None:
            return Access.OPEN
        if holds(self.closed, answer) is not None:
            return Access.CLOSED
        return Access.UNDECIDED

    def describe(self) -> str:
        return f"{self.method} {self.path}"


def from_params(params: RequestParams, *, mcp_era: str | None = None) -> PrivilegedRequest | None:
    """The spec in one check's parameters, or None when they name none.

    `open` and `closed` are rules in the matcher language (identify/matcher.py), checked when
    the fingerprint loads. MCP's privileged request is the era's own: a modern server
    (`mcp_era`, attributes.mcp_era) gets tools/list with its request metadata, a legacy one
    initialize.
    """
    if params.protocol == "mcp" and params.transport == "streamable" and mcp_era == mcp.MODERN:
        listing = mcp.modern_request("tools/list", mcp.MODERN_LIST_ID)
        return PrivilegedRequest(
            "POST", params.path or "/mcp", headers={**mcp.POST_HEADERS, **mcp.modern_headers(listing)},
            json_body=listing, open={"status": [200], "body_contains": ['"tools"']},
            closed={"status": [401, 403]}, stop=mcp.reply_arrived(listing["id"]),
        )
    if params.protocol == "mcp" and params.transport == "streamable":
        init = mcp.initialize_request()
        return PrivilegedRequest(
            "POST", params.path or "/mcp", headers=dict(mcp.POST_HEADERS), json_body=init,
            open={"status": [200], "body_contains": ['"protocolVersion"']},
            closed={"status": [401, 403]}, stop=mcp.reply_arrived(init["id"]),
        )
    req = params.request
    if req is None:
        return None
    return PrivilegedRequest(
        method=req.method,
        path=_fill(req.path),
        headers=dict(req.headers),
        json_body=_fill(req.json),
        open=params.open or {"status": [200]},
        closed=params.closed or {"status": [401, 403]},
    )


def _fill(value: Any) -> Any:
    """Replace `{random}` with a fresh random name (a tool, a session: one that exists nowhere)."""
    if isinstance(value, str):
        return value.replace("{random}", random_token("gatescan-probe")) if "{random}" in value else value
    if isinstance(value, dict):
        return {k: _fill(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v) for v in value]
    return value
