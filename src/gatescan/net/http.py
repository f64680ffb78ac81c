"""One bounded HTTP request on the scan's session: no redirects, a capped body, a stop predicate
for streams that never end, and an `HttpResult` that never raises for anything the server does.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import ssl
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import aiohttp

from .recorder import Wire

if TYPE_CHECKING:
    from .client import Client

Stop = Callable[[bytes], bool]  # body so far -> the awaited reply has arrived


def cert_record(ssl_object: Any) -> dict[str, Any] | None:
    """What we keep of a peer certificate: its SHA-256, TLS version and cipher."""
    if ssl_object is None:
        return None
    try:
        der = ssl_object.getpeercert(binary_form=True)
        cipher = ssl_object.cipher()
        return {
            "sha256": hashlib.sha256(der).hexdigest() if der else None,
            "tls_version": ssl_object.version(),
            "cipher": cipher[0] if cipher else None,
        }
    except (ValueError, OSError, AttributeError):
        return None


@dataclass
class HttpResult:
    """One request and what came back (or why nothing did); `exchange` is its evidence."""

    method: str
    url: str
    status: int | None = None
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    truncated: bool = False
    error: str | None = None  # no complete answer: why (a status may still have come)
    tls: bool = False
    cert: dict[str, Any] | None = None
    elapsed: float = 0.0
    exchange: dict[str, Any] = field(default_factory=dict)
    _json: Any = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)

    kind = "http"

    @property
    def ok(self) -> bool:
        return self.status is not None

    @property
    def text(self) -> str | None:
        if self.status is None:
            return None
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        if not self._json_done:
            self._json_done = True
            try:
                self._json = json.loads(self.body) if self.body else None
            except ValueError:
                self._json = None
        return self._json

    def describe(self) -> str:
        return f"{self.method} {self.url}"


def flatten(headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def failure(exc: BaseException, got_status: bool) -> str:
    """One line saying why a request got no (complete) answer; identify reads its wording."""
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "timed out reading the body" if got_status else "timeout"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"tls: {exc}"[:300]
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"tls: {exc.__class__.__name__}: {exc}"[:300]
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"connect: {exc.os_error or exc}"[:300]
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server closed the connection" + ("" if got_status else " without a response")
    if isinstance(exc, aiohttp.ClientResponseError):
        # BadStatusLine, header too large, invalid chunking: the server spoke, just not HTTP.
        return f"bad response: {exc.message}"[:300]
    return f"{exc.__class__.__name__}: {exc}"[:300]


def _peer_cert(resp: aiohttp.ClientResponse) -> dict[str, Any] | None:
    # a small response may already have released its connection: fall back to the response's
    # protocol (aiohttp keeps no public handle on it then)
    proto = resp.connection.protocol if resp.connection else getattr(resp, "_protocol", None)
    transport = getattr(proto, "transport", None)
    return cert_record(transport.get_extra_info("ssl_object") if transport else None)


async def read_capped(resp: aiohttp.ClientResponse, cap: int, stop: Stop | None = None) -> tuple[bytes, bool]:
    """(body, truncated): at most `cap` bytes, ending early once `stop(body)` holds."""
    chunks, size = [], 0
    while size < cap:
        chunk = await resp.content.read(min(64 * 1024, cap - size))
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
        if stop is not None and stop(b"".join(chunks)):
            return b"".join(chunks), False
    return b"".join(chunks), not resp.content.at_eof()


async def request(client: Client, method: str, url: str, *, headers: dict[str, str] | None = None,
                  body: bytes | None = None, json_body: Any = None, stop: Stop | None = None,
                  max_body: int | None = None, timeout: float | None = None,
                  note: str | None = None) -> HttpResult:
    """Send one request and read a bounded answer (see Client.http)."""
    lim = client.limits
    sent = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        if not any(k.lower() == "content-type" for k in sent):
            sent["Content-Type"] = "application/json"
    tls = url.startswith("https:")
    result = HttpResult(method=method, url=url, tls=tls)
    wire = Wire()
    client.recorder.count()
    start = time.monotonic()
    try:
        async with asyncio.timeout(timeout or lim.request_timeout):
            async with client.session.request(method, url, headers=sent, data=body, allow_redirects=False,
                                              trace_request_ctx=wire) as resp:
                result.status, result.reason = resp.status, resp.reason
                result.headers = flatten(resp.headers)
                if tls:
                    result.cert = _peer_cert(resp)
                result.body, result.truncated = await read_capped(resp, max_body or lim.max_body, stop)
                if not resp.content.at_eof():
                    resp.close()  # never drain an endless body (a complete one keeps its connection)
    except (aiohttp.ClientError, ssl.SSLError, OSError, ValueError, UnicodeError, TimeoutError) as exc:
        result.error = failure(exc, result.status is not None)
        result.truncated = result.status is not None
    result.elapsed = time.monotonic() - start
    result.exchange = client.recorder.http(result, wire, note)
    return result


def looks_like_tls_failure(result: HttpResult) -> bool:
    """A plaintext request that failed the way a TLS-only port fails it."""
    err = result.error or ""
    return result.status is None and any(
        s in err for s in ("\\x15\\x03", "closed the connection", "bad response", "reset", "Invalid method", "BadStatusLine")
    )


__all__ = ["HttpResult", "request", "cert_record", "looks_like_tls_failure", "flatten", "failure", "read_capped"]
