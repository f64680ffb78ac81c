"""The one WebSocket connect: never follows a redirect, bounded, recorded frame by frame.

`open_websocket` (Client.websocket) yields a `WebSocket` whether or not the upgrade was
accepted; a refused upgrade, a handshake error or a timeout are its status and error, never an
exception. Inside the block `send` and `recv` are recorded; `recv` raises TimeoutError after
`read_timeout` (or its own timeout) and ConnectionClosed like websockets does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, AsyncIterator

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from .http import cert_record
from .recorder import header_dict

if TYPE_CHECKING:
    from .client import Client


class connect_here(connect):
    """websockets' `connect` that never follows a redirect: a 3xx stays a refused upgrade
    (InvalidStatus). websockets follows cross-origin redirects by default, which would let a
    scanned server send our next handshake to any address, outside the scope (docs/architecture.md, Safety).
    It also keeps the connection it opened, so a refused handshake's request can be recorded."""

    opened: ClientConnection | None = None

    def process_redirect(self, exc: Exception) -> Exception:
        return exc

    async def open_tcp_connection(self) -> ClientConnection:
        self.opened = await super().open_tcp_connection()
        return self.opened


def frame_text(message: str | bytes) -> str:
    """A frame as text: UTF-8 as is, anything else as `binary:` and hex."""
    if isinstance(message, bytes):
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            return "binary:" + message[:512].hex()
    return message


@dataclass
class WebSocket:
    """One connect: the upgrade's answer, then (when accepted) the recorded conversation.
    `exchange` is complete once the `async with` block has left."""

    url: str
    accepted: bool = False  # 101 received
    status: int | None = None  # upgrade status (101 when accepted)
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""  # refusal body
    subprotocol: str | None = None
    close_code: int | None = None  # the close frame the server sent
    close_reason: str | None = None
    close_sent: int | None = None  # the close code we sent (1009: a frame over the size cap)
    error: str | None = None  # "timeout", or why the handshake or the socket failed
    cert: dict[str, Any] | None = None
    elapsed: float = 0.0
    request_headers: dict[str, str] | None = None  # the handshake as serialised (None: not sent)
    frames_sent: list[str] = field(default_factory=list)
    frames_received: list[str] = field(default_factory=list)
    exchange: dict[str, Any] = field(default_factory=dict)
    _conn: ClientConnection | None = field(default=None, repr=False)
    _read_timeout: float = field(default=5.0, repr=False)
    _excerpt: int = field(default=400, repr=False)

    def _note(self, into: list[str], message: str | bytes) -> None:
        text = frame_text(message)
        into.append(text if len(text) <= self._excerpt else text[: self._excerpt] + "...")

    def _closed(self, exc: ConnectionClosed) -> None:
        if exc.rcvd is not None:
            self.close_code, self.close_reason = exc.rcvd.code, exc.rcvd.reason
        if exc.sent is not None:
            self.close_sent = exc.sent.code
        if exc.rcvd is None and exc.sent is None:
            self.error = self.error or "the connection dropped without a close frame"

    async def send(self, message: str) -> None:
        if self._conn is None:
            raise ConnectionError("the WebSocket upgrade was not accepted")
        self._note(self.frames_sent, message)
        try:
            await self._conn.send(message)
        except ConnectionClosed as exc:
            self._closed(exc)
            raise

    async def recv(self, timeout: float | None = None) -> str | bytes:
        """The next frame within `timeout` (default: the read timeout)."""
        if self._conn is None:
            raise ConnectionError("the WebSocket upgrade was not accepted")
        try:
            async with asyncio.timeout(self._read_timeout if timeout is None else timeout):
                message = await self._conn.recv()
        except ConnectionClosed as exc:
            self._closed(exc)
            raise
        self._note(self.frames_received, message)
        return message


@contextlib.asynccontextmanager
async def open_websocket(client: Client, url: str, *, origin: str | None = None,
                         subprotocols: tuple[str, ...] | list[str] = (), headers: dict[str, str] | None = None,
                         note: str | None = None) -> AsyncIterator[WebSocket]:
    lim = client.limits
    ws = WebSocket(url=url, _read_timeout=lim.read_timeout, _excerpt=lim.excerpt)
    extra = dict(headers or {})
    if origin is not None:
        extra["Origin"] = origin
    opener = connect_here(
        url, additional_headers=extra or None, subprotocols=list(subprotocols) or None,
        user_agent_header=lim.user_agent, compression=None, proxy=None, open_timeout=None,
        ping_interval=None, close_timeout=1, max_size=lim.max_frame, max_queue=4,
        ssl=client.tls_context if url.startswith("wss:") else None,
    )
    client.recorder.count()
    start = time.monotonic()
    conn: ClientConnection | None = None
    try:
        async with asyncio.timeout(lim.request_timeout):
            conn = await opener
    except InvalidStatus as exc:
        ws.status = exc.response.status_code
        ws.headers = {k.lower(): v for k, v in exc.response.headers.raw_items()}
        ws.body = bytes(exc.response.body or b"")[: lim.max_body]
    except (TimeoutError, asyncio.TimeoutError):
        ws.error = "timeout"
    except (InvalidHandshake, ConnectionClosed, OSError, EOFError, ValueError, UnicodeError,
            websockets.exceptions.WebSocketException) as exc:
        ws.error = f"{exc.__class__.__name__}: {exc}"[:300]
    else:
        ws._conn = conn
        ws.accepted, ws.status, ws.subprotocol = True, 101, conn.subprotocol
        ws.headers = {k.lower(): v for k, v in conn.response.headers.raw_items()}
        if url.startswith("wss:"):
            ws.cert = cert_record(conn.transport.get_extra_info("ssl_object"))
    sent = conn.request if conn is not None else getattr(opener.opened, "request", None)
    if sent is not None:
        ws.request_headers = header_dict(sent.headers.raw_items())
    ws.exchange.update(client.recorder.websocket(ws, note))
    try:
        yield ws
    finally:
        if conn is not None:
            rcvd = conn.protocol.close_rcvd  # the server closed first (not the echo of our close)
            if ws.close_code is None and rcvd is not None:
                ws.close_code, ws.close_reason = rcvd.code, rcvd.reason
            try:
                async with asyncio.timeout(1.5):
                    await conn.close()
            except Exception:  # noqa: BLE001 - closing a hostile socket must not raise
                conn.transport.abort()
        ws.elapsed = time.monotonic() - start
        ws.exchange.clear()
        ws.exchange.update(client.recorder.websocket(ws, note))


__all__ = ["WebSocket", "open_websocket", "connect_here", "frame_text"]
