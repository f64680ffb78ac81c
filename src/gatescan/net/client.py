"""The scan's one network client: one aiohttp session, one TLS context, the limits, the recorder.

    async with Client(limits) as client:
        answer = await client.http("GET", url)            # HttpResult, never raises for the server
        async with client.websocket(url, origin=...) as ws:  # WebSocket; ws.accepted, ws.recv()
        async with client.sse(url) as stream:             # EventStream; stream.read_until(...)
        banner = await client.banner(host, port)

Identification, every check and the protocol clients talk through it, so every probe is
bounded the same way, counted once (`client.probes`; `client.scope()` counts one service) and
recorded as exactly what went on the wire.
"""

from __future__ import annotations

import ssl
from typing import Any, AsyncContextManager

import aiohttp

from . import http as _http
from . import sse as _sse
from . import tcp as _tcp
from . import ws as _ws
from .limits import Limits
from .recorder import Recorder, trace_config


def insecure_tls_context() -> ssl.SSLContext:
    """TLS that completes with any certificate (we record it, we do not trust it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Client:
    """Use as `async with Client(limits) as client:`; the session lives as long as the block."""

    def __init__(self, limits: Limits | None = None, *, verify_tls: bool = False):
        self.limits = limits or Limits()
        # a scan records any certificate; a client that trusts the answer (a registry) verifies it
        self.tls_context = ssl.create_default_context() if verify_tls else insecure_tls_context()
        self.recorder = Recorder(self.limits)
        self._root: Client = self
        self._session: aiohttp.ClientSession | None = None

    def scope(self) -> Client:
        """The same client with a recorder of its own (one service's probes), adding to ours."""
        child = Client.__new__(Client)
        child.limits, child.tls_context, child._root = self.limits, self.tls_context, self._root
        child.recorder = self.recorder.child()
        child._session = None
        return child

    @property
    def probes(self) -> int:
        """Requests, WebSocket connects and banner grabs sent through this client (or scope)."""
        return self.recorder.probes

    async def __aenter__(self) -> Client:
        self.session  # noqa: B018 - created inside the running loop
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        root = self._root
        if root._session is None or root._session.closed:
            lim = self.limits
            connector = aiohttp.TCPConnector(
                limit=lim.connections, limit_per_host=lim.per_endpoint * 2, ssl=self.tls_context,
                use_dns_cache=False, keepalive_timeout=5,
            )
            root._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": lim.user_agent},
                cookie_jar=aiohttp.DummyCookieJar(),
                # totals are asyncio deadlines in http/sse; aiohttp bounds the connect and each read
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=lim.connect_timeout,
                                              sock_read=lim.read_timeout),
                max_line_size=lim.max_header_line, max_field_size=lim.max_header_line,
                max_headers=lim.max_headers, trust_env=False, read_bufsize=64 * 1024,
                # no Accept-Encoding and no decompression: a body is read as sent (no gzip bombs)
                auto_decompress=False, skip_auto_headers=("Accept-Encoding",),
                trace_configs=[trace_config()],
            )
        return root._session

    async def close(self) -> None:
        if self._root is self and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def http(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                   body: bytes | None = None, json_body: Any = None, stop: _http.Stop | None = None,
                   max_body: int | None = None, timeout: float | None = None,
                   note: str | None = None) -> _http.HttpResult:
        """One request, no redirect followed, at most `max_body` (default limits.max_body) bytes read,
        ending early once `stop(body so far)` holds (streams that never end). `note` says in the
        evidence why it was sent."""
        return await _http.request(self, method, url, headers=headers, body=body, json_body=json_body,
                                   stop=stop, max_body=max_body, timeout=timeout, note=note)

    def websocket(self, url: str, *, origin: str | None = None, subprotocols: tuple[str, ...] | list[str] = (),
                  headers: dict[str, str] | None = None, note: str | None = None) -> AsyncContextManager[_ws.WebSocket]:
        """The one WebSocket connect (never follows a redirect); see net/ws.py."""
        return _ws.open_websocket(self, url, origin=origin, subprotocols=subprotocols, headers=headers, note=note)

    def sse(self, url: str, *, headers: dict[str, str] | None = None, timeout: float | None = None,
            note: str | None = None) -> AsyncContextManager[_sse.EventStream]:
        """The one event-stream reader; see net/sse.py."""
        return _sse.open_stream(self, url, headers=headers, timeout=timeout, note=note)

    async def banner(self, host: str, port: int, *, wait: float = 1.0) -> tuple[bytes | None, str | None]:
        """What a server says first within `wait` (bytes, error); sends nothing."""
        self.recorder.count()
        return await _tcp.grab_banner(host, port, wait=wait, connect_timeout=self.limits.connect_timeout)


__all__ = ["Client", "Limits", "insecure_tls_context"]
