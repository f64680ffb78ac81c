"""Bounded WebSocket probes on `websockets`: open, read the first frame, optionally send one.

`ws_probe` never raises for anything the server does; a refused upgrade, an invalid frame or a
close are all part of the `WsResult` (status, close code and reason, error).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from ..model import Endpoint
from .http import ProbeContext, cert_record


class connect_here(connect):
    """websockets' `connect` that never follows a redirect: a 3xx stays a refused upgrade
    (InvalidStatus). websockets follows cross-origin redirects by default, which would let a
    scanned server send our next handshake to any address, outside the scope (DESIGN.md, Safety)."""

    def process_redirect(self, exc: Exception) -> Exception:
        return exc


@dataclass
class WsResult:
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    subprotocols: tuple[str, ...] = ()
    accepted: bool = False
    status: int | None = None  # upgrade status when refused (101 when accepted)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""  # refusal body, trimmed
    subprotocol: str | None = None
    frame: str | None = None  # first server frame (text; binary shown as hex)
    sent: str | None = None
    reply: str | None = None  # the frame answering `sent`
    close_code: int | None = None
    close_reason: str | None = None
    error: str | None = None
    tls: bool = False
    cert: dict[str, Any] | None = None
    elapsed: float = 0.0

    kind = "ws"

    @property
    def ok(self) -> bool:
        return self.accepted or self.status is not None

    @property
    def text(self) -> str | None:
        return self.body.decode("utf-8", "replace") if self.status is not None else None

    def describe(self) -> str:
        return f"WS {self.url}"

    def exchange(self, excerpt: int = 300) -> dict[str, Any]:
        request: dict[str, Any] = {"method": "WS", "url": self.url}
        if self.request_headers:
            request["headers"] = dict(self.request_headers)
        if self.subprotocols:
            request["subprotocols"] = list(self.subprotocols)
        if self.sent:
            request["frame"] = self.sent[:excerpt]
        response: dict[str, Any] = {}
        if self.status is not None:
            response["status"] = self.status
        if self.subprotocol:
            response["subprotocol"] = self.subprotocol
        if self.frame is not None:
            response["frame"] = self.frame[:excerpt]
        if self.reply is not None:
            response["reply"] = self.reply[:excerpt]
        if self.close_code is not None:
            response["close"] = {"code": self.close_code, "reason": (self.close_reason or "")[:120]}
        if not self.accepted and self.body:
            response["body"] = self.body[:excerpt].decode("utf-8", "replace")
        if self.error:
            response["error"] = self.error
        return {"request": request, "response": response}


def _frame_text(message: str | bytes) -> str:
    if isinstance(message, bytes):
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            return "binary:" + message[:512].hex()
    return message


async def ws_probe(
    ctx: ProbeContext,
    endpoint: Endpoint,
    path: str = "/",
    *,
    origin: str | None = None,
    subprotocols: tuple[str, ...] | list[str] = (),
    headers: dict[str, str] | None = None,
    read_first_frame: bool = True,
    send: str | None = None,
    tls: bool = False,
    first_frame_wait: float | None = None,
    timeout: float | None = None,
) -> WsResult:
    """Open a WebSocket on `endpoint`, read its first frame, optionally send `send` and read the reply."""
    lim = ctx.limits
    url = endpoint.url("wss" if tls else "ws") + path
    extra = dict(headers or {})
    shown = dict(extra)
    if origin is not None:
        shown["Origin"] = origin
    result = WsResult(url=url, request_headers=shown, subprotocols=tuple(subprotocols), tls=tls)
    start = time.monotonic()
    wait = first_frame_wait if first_frame_wait is not None else min(lim.read_timeout, 2.0)
    try:
        async with asyncio.timeout(timeout or lim.request_timeout):
            async with connect_here(
                url,
                origin=origin,
                subprotocols=list(subprotocols) or None,
                additional_headers=extra or None,
                user_agent_header=lim.user_agent,
                open_timeout=lim.connect_timeout + lim.read_timeout,
                close_timeout=1.0,
                ping_interval=None,
                max_size=lim.max_frame,
                max_queue=4,
                compression=None,
                proxy=None,
                ssl=ctx.tls_context if tls else None,
            ) as ws:
                result.accepted, result.status = True, 101
                result.headers = {k.lower(): v for k, v in ws.response.headers.raw_items()}
                result.subprotocol = ws.subprotocol
                if tls:
                    result.cert = cert_record(ws.transport.get_extra_info("ssl_object"))
                try:
                    if read_first_frame:
                        try:
                            result.frame = _frame_text(await asyncio.wait_for(ws.recv(), wait))
                        except (TimeoutError, asyncio.TimeoutError):
                            pass  # silent server: fine, the frame stays None
                    if send is not None:
                        result.sent = send
                        await ws.send(send)
                        result.reply = _frame_text(await asyncio.wait_for(ws.recv(), lim.read_timeout))
                        # the close that often follows a refusal carries the reason
                        try:
                            await asyncio.wait_for(ws.recv(), 0.5)
                        except (TimeoutError, asyncio.TimeoutError):
                            pass
                except (TimeoutError, asyncio.TimeoutError):
                    result.error = "no reply before the read timeout"
                except ConnectionClosed as closed:
                    rcvd = closed.rcvd
                    if rcvd is not None:
                        result.close_code, result.close_reason = rcvd.code, rcvd.reason
                    elif closed.sent is None:
                        result.error = f"connection closed abnormally: {closed}"[:300]
                if ws.close_code is not None and result.close_code is None and ws.close_rcvd is not None:
                    result.close_code, result.close_reason = ws.close_code, ws.close_reason
    except InvalidStatus as exc:
        resp = exc.response
        result.status = resp.status_code
        result.headers = {k.lower(): v for k, v in resp.headers.raw_items()}
        result.body = (resp.body or b"")[: lim.max_body]
    except (TimeoutError, asyncio.TimeoutError):
        result.error = result.error or "timeout"
    except InvalidHandshake as exc:
        result.error = f"handshake: {exc.__class__.__name__}: {exc}"[:300]
    except ConnectionClosed as exc:
        result.error = f"closed: {exc}"[:300]
    except (OSError, EOFError, ValueError, UnicodeError, websockets.exceptions.WebSocketException) as exc:
        result.error = f"{exc.__class__.__name__}: {exc}"[:300]
    result.elapsed = time.monotonic() - start
    return result


__all__ = ["WsResult", "ws_probe", "connect_here"]
