"""The one event-stream reader: GET a `text/event-stream` and read it until a reply arrives.

Streams never end by themselves, so reading is bounded three ways: `max_body` bytes, the stream's
deadline, and the caller's predicate. MCP's legacy transport names its POST endpoint in the first
`event: endpoint` (the MCP 2024-11-05 HTTP+SSE transport); `endpoint_event` reads it and `same_endpoint` keeps the
POST on the endpoint the scope allowed. Identification and the MCP client both read streams here.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from typing import TYPE_CHECKING, AsyncIterator, Callable, TypeVar
from urllib.parse import urlsplit

import aiohttp

from .http import HttpResult, failure, flatten
from .recorder import Wire

if TYPE_CHECKING:
    from .client import Client

T = TypeVar("T")


class EventStream:
    """An open stream: `result` holds its status, headers and the body read so far."""

    def __init__(self, result: HttpResult, cap: int):
        self.result = result
        self._cap = cap
        self._resp: aiohttp.ClientResponse | None = None
        self._seen = bytearray()

    @property
    def status(self) -> int | None:
        return self.result.status

    @property
    def body(self) -> bytes:
        return bytes(self._seen)

    async def read_until(self, found: Callable[[bytes], T | None]) -> T | None:
        """Read until `found(body so far)` returns something (returned), the cap, the end or an
        error (None: the reason is on `result.error`)."""
        while True:
            value = found(bytes(self._seen))
            if value or self._resp is None or len(self._seen) >= self._cap:
                return value or None
            try:
                chunk = await self._resp.content.readany()
            except (aiohttp.ClientError, ssl.SSLError, OSError, ValueError) as exc:
                self.result.error = failure(exc, True)
                self._resp = None
                continue
            if not chunk:
                self._resp = None
                continue
            self._seen += chunk[: self._cap - len(self._seen)]


@contextlib.asynccontextmanager
async def open_stream(client: Client, url: str, *, headers: dict[str, str] | None = None,
                      timeout: float | None = None, note: str | None = None) -> AsyncIterator[EventStream]:
    """GET `url` as an event stream for the block. The block runs under the stream's deadline
    (`timeout`, default the request timeout): when it runs out the block is cut short and the
    stream's `result.error` says so; nothing is raised for anything the server does."""
    lim = client.limits
    sent = {"Accept": "text/event-stream", **(headers or {})}
    result = HttpResult(method="GET", url=url, tls=url.startswith("https:"))
    stream = EventStream(result, lim.max_body)
    wire = Wire()
    client.recorder.count()
    start = time.monotonic()
    deadline = asyncio.timeout(timeout or lim.request_timeout)
    resp: aiohttp.ClientResponse | None = None
    try:
        async with deadline:
            try:
                resp = await client.session.get(url, headers=sent, allow_redirects=False, trace_request_ctx=wire)
            except (aiohttp.ClientError, ssl.SSLError, OSError, ValueError, UnicodeError) as exc:
                result.error = failure(exc, False)
            else:
                stream._resp = resp
                result.status, result.reason = resp.status, resp.reason
                result.headers = flatten(resp.headers)
            try:
                yield stream
            finally:
                stream._resp = None
                if resp is not None:
                    resp.close()  # the stream never ends by itself
    except TimeoutError:
        if not deadline.expired():
            raise
        result.error = failure(TimeoutError(), result.status is not None)
        result.truncated = result.status is not None
    finally:
        result.body = bytes(stream._seen)
        result.elapsed = time.monotonic() - start
        result.exchange = client.recorder.http(result, wire, note)


def endpoint_event(body: bytes) -> str | None:
    """The data of the first complete `endpoint` event in a stream, if one has arrived."""
    text = body.decode("utf-8", "replace").replace("\r\n", "\n")
    for event in text.split("\n\n")[:-1]:  # complete events only
        lines = event.split("\n")
        if any(line.strip() in ("event: endpoint", "event:endpoint") for line in lines):
            for line in lines:
                if line.startswith("data:"):
                    return line[5:].strip()[:500]
    return None


def same_endpoint(base: str, target: str) -> bool:
    """`target` is on the endpoint of `base` (scheme, host, port): the only place we may post."""
    here, there = urlsplit(base), urlsplit(target)
    try:
        return (there.scheme, there.hostname, there.port) == (here.scheme, here.hostname, here.port)
    except ValueError:  # an invalid port in what the server sent
        return False


__all__ = ["EventStream", "open_stream", "endpoint_event", "same_endpoint"]
