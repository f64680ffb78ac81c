"""The exchange recorder: exactly what went on the wire and what came back, trimmed, secrets masked.

Request headers are read from aiohttp's `on_request_headers_sent` trace (and from the handshake
websockets serialised), so evidence shows the headers the library added too, not the dict we
passed. Every request and WebSocket connect is counted here; a child recorder counts one
service's probes and adds them to its parent's. Every exchange kept passes `redact_exchange`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

import aiohttp

from .limits import Limits
from .redact import redact_exchange

if TYPE_CHECKING:
    from .http import HttpResult
    from .ws import WebSocket

# Response headers a reader of the evidence needs; everything else is noise.
KEPT_HEADERS = frozenset({
    "server", "content-type", "content-length", "location", "allow", "vary", "www-authenticate",
    "x-powered-by", "mcp-session-id", "sec-websocket-protocol",
    "access-control-allow-origin", "access-control-allow-credentials",
    "access-control-allow-methods", "access-control-allow-headers",
})
_WIRE_BODY = 64 * 1024  # request bytes remembered (we only send small bodies)


def excerpt(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"


def header_dict(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as sent, names as spelt on the wire; a repeated name's values joined."""
    out: dict[str, str] = {}
    for name, value in items:
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v[:200] for k, v in headers.items() if k in KEPT_HEADERS}


@dataclass
class Wire:
    """What one HTTP request put on the wire, filled in by the trace hooks (nothing: not sent)."""

    method: str | None = None
    path: str | None = None
    headers: list[tuple[str, str]] | None = None
    body: bytearray = field(default_factory=bytearray)


async def _headers_sent(session, ctx, params: aiohttp.TraceRequestHeadersSentParams) -> None:
    wire = ctx.trace_request_ctx
    if isinstance(wire, Wire):
        wire.method, wire.path = params.method, params.url.raw_path_qs
        wire.headers = list(params.headers.items())


async def _chunk_sent(session, ctx, params: aiohttp.TraceRequestChunkSentParams) -> None:
    wire = ctx.trace_request_ctx
    if isinstance(wire, Wire) and len(wire.body) < _WIRE_BODY:
        wire.body += params.chunk[: _WIRE_BODY - len(wire.body)]


def trace_config() -> aiohttp.TraceConfig:
    """The session's trace hooks; each request passes its `Wire` as `trace_request_ctx`."""
    config = aiohttp.TraceConfig()
    config.on_request_headers_sent.append(_headers_sent)
    config.on_request_chunk_sent.append(_chunk_sent)
    return config


class Recorder:
    """Counts probes and turns what was sent and received into redacted evidence exchanges."""

    def __init__(self, limits: Limits, parent: Recorder | None = None):
        self.limits = limits
        self.parent = parent
        self.probes = 0  # requests and WebSocket connects sent through this recorder

    def child(self) -> Recorder:
        """A recorder for one part of the scan (one service): counts its own, and adds to ours."""
        return Recorder(self.limits, self)

    def count(self) -> None:
        recorder: Recorder | None = self
        while recorder is not None:
            recorder.probes += 1
            recorder = recorder.parent

    def keep(self, exchange: dict[str, Any]) -> dict[str, Any]:
        return redact_exchange(exchange)

    def http(self, result: HttpResult, wire: Wire, note: str | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {"method": wire.method or result.method, "url": result.url}
        if wire.headers is not None:
            request["headers"] = header_dict(wire.headers)
        if wire.body:
            request["body"] = excerpt(bytes(wire.body).decode("utf-8", "replace"), self.limits.excerpt)
        if note:
            request["note"] = note
        response: dict[str, Any] | None
        if result.status is None:
            response = {"error": result.error} if result.error else None
        else:
            response = {"status": result.status, "headers": kept_headers(result.headers),
                        "body": excerpt(result.body.decode("utf-8", "replace"), self.limits.excerpt)}
            if result.truncated:
                response["truncated"] = True
            if result.error:
                response["error"] = result.error
        return self.keep({"request": request, "response": response})

    def websocket(self, ws: WebSocket, note: str | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {"method": "GET", "url": ws.url}
        if ws.request_headers is not None:
            request["headers"] = ws.request_headers
        if ws.frames_sent:
            request["frames"] = list(ws.frames_sent)
        if note:
            request["note"] = note
        response: dict[str, Any] = {}
        if ws.status is not None:
            response["status"] = ws.status
            response["headers"] = kept_headers(ws.headers)
        if ws.subprotocol:
            response["subprotocol"] = ws.subprotocol
        if ws.frames_received:
            response["frames"] = list(ws.frames_received)
        if ws.close_code is not None:
            response["close"] = {"code": ws.close_code, "reason": (ws.close_reason or "")[:120]}
        if not ws.accepted and ws.body:
            response["body"] = excerpt(ws.body.decode("utf-8", "replace"), self.limits.excerpt)
        if ws.error:
            response["error"] = ws.error
        return self.keep({"request": request, "response": response or None})


__all__ = ["Recorder", "Wire", "KEPT_HEADERS", "excerpt", "header_dict", "kept_headers", "trace_config"]
