"""Bounded, read-only HTTP probes on aiohttp: one session per scan, every read capped.

`ProbeContext` owns the scan's ClientSession and its limits; `http_probe` sends one request
and returns an `HttpResult` (never raises for anything the server does).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ..model import Endpoint

# Some deployments filter scanner-looking User-Agents (products.md, corrections): send a plain
# one, and record it in the evidence.
DEFAULT_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64)"


@dataclass(frozen=True)
class ProbeLimits:
    """Every bound a probe honours (seconds, bytes, counts)."""

    connect_timeout: float = 3.0
    read_timeout: float = 3.0  # between two reads
    request_timeout: float = 6.0  # one request, end to end
    endpoint_deadline: float = 12.0  # everything identify does on one endpoint
    max_body: int = 256 * 1024
    max_frame: int = 256 * 1024
    max_header_line: int = 16 * 1024
    max_headers: int = 128
    connections: int = 256  # sockets in flight across the scan
    per_endpoint: int = 4  # probes in flight on one endpoint
    user_agent: str = DEFAULT_USER_AGENT


def insecure_tls_context() -> ssl.SSLContext:
    """TLS that completes with any certificate (we record it, we do not trust it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


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
    """One request and what came back (or why nothing did)."""

    method: str
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes | None = None
    status: int | None = None
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    truncated: bool = False
    error: str | None = None
    tls: bool = False
    cert: dict[str, Any] | None = None
    elapsed: float = 0.0
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

    def exchange(self, excerpt: int = 300) -> dict[str, Any]:
        """The trimmed request/response pair findings and errors carry as evidence."""
        request: dict[str, Any] = {"method": self.method, "url": self.url}
        if self.request_headers:
            request["headers"] = dict(self.request_headers)
        if self.request_body:
            request["body"] = self.request_body[:excerpt].decode("utf-8", "replace")
        if self.status is None:
            return {"request": request, "response": {"error": self.error}}
        response: dict[str, Any] = {"status": self.status, "headers": _key_headers(self.headers)}
        if self.body:
            response["body"] = self.body[:excerpt].decode("utf-8", "replace")
        if self.truncated:
            response["truncated"] = True
        return {"request": request, "response": response}


_KEY_HEADERS = ("server", "content-type", "location", "allow", "www-authenticate",
                "access-control-allow-origin", "access-control-allow-credentials", "x-powered-by")


def _key_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v[:200] for k, v in headers.items() if k in _KEY_HEADERS}


class ProbeContext:
    """The scan's probing state: one aiohttp session, its connector limits and the limits.

    Use as `async with ProbeContext(limits) as ctx:`; the session is created on entry and
    closed on exit, so every identify and check of one scan shares it.
    """

    def __init__(self, limits: ProbeLimits | None = None, fingerprints: list | None = None):
        self.limits = limits or ProbeLimits()
        self._fingerprints = fingerprints
        self._session: aiohttp.ClientSession | None = None
        self.tls_context = insecure_tls_context()

    @property
    def fingerprints(self) -> list:
        if self._fingerprints is None:
            from ..identify.fingerprints import load_fingerprints

            self._fingerprints = load_fingerprints()
        return self._fingerprints

    async def __aenter__(self) -> "ProbeContext":
        self.session  # noqa: B018 - created inside the running loop
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            lim = self.limits
            connector = aiohttp.TCPConnector(
                limit=lim.connections, limit_per_host=lim.per_endpoint * 2, ssl=self.tls_context,
                use_dns_cache=False, enable_cleanup_closed=True, keepalive_timeout=5,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": lim.user_agent},
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=lim.request_timeout, sock_connect=lim.connect_timeout,
                                              sock_read=lim.read_timeout),
                max_line_size=lim.max_header_line, max_field_size=lim.max_header_line,
                max_headers=lim.max_headers, trust_env=False, read_bufsize=64 * 1024,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


async def http_probe(
    ctx: ProbeContext,
    endpoint: Endpoint,
    method: str = "GET",
    path: str = "/",
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    tls: bool = False,
    read_until: str | None = None,
    max_body: int | None = None,
    timeout: float | None = None,
) -> HttpResult:
    """Send one request to `endpoint` and read a bounded response. Never raises for the server.

    read_until: a regex; reading stops once the body matches it (SSE streams that never end).
    """
    lim = ctx.limits
    cap = max_body or lim.max_body
    url = endpoint.url("https" if tls else "http") + path
    sent = {"User-Agent": lim.user_agent, **(headers or {})}
    result = HttpResult(method=method, url=url, request_headers=sent, request_body=body, tls=tls)
    start = time.monotonic()
    until = re.compile(read_until.encode()) if read_until else None
    try:
        async with asyncio.timeout(timeout or lim.request_timeout):
            async with ctx.session.request(
                method, url, headers=sent, data=body, allow_redirects=False,
                ssl=ctx.tls_context if tls else False, auto_decompress=True,
            ) as resp:
                result.status, result.reason = resp.status, resp.reason
                result.headers = _flatten(resp.headers)
                if tls:
                    # a small response may already have released its connection: fall back to
                    # the response's protocol (aiohttp keeps no public handle on it then)
                    proto = resp.connection.protocol if resp.connection else getattr(resp, "_protocol", None)
                    transport = getattr(proto, "transport", None)
                    result.cert = cert_record(transport.get_extra_info("ssl_object") if transport else None)
                chunks, size = [], 0
                while size < cap:
                    chunk = await resp.content.read(min(64 * 1024, cap - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                    if until is not None and until.search(b"".join(chunks)):
                        resp.close()
                        break
                else:
                    result.truncated = not resp.content.at_eof()
                    resp.close()  # do not drain an endless body
                result.body = b"".join(chunks)
    except (TimeoutError, asyncio.TimeoutError):
        result.error = "timeout" if result.status is None else None
        result.truncated = result.status is not None
    except aiohttp.ClientConnectorCertificateError as exc:
        result.error = f"tls: {exc}"
    except aiohttp.ClientSSLError as exc:
        result.error = f"tls: {exc.__class__.__name__}: {exc}"[:300]
    except aiohttp.ClientConnectorError as exc:
        result.error = f"connect: {exc.os_error or exc}"[:300]
    except aiohttp.ServerDisconnectedError:
        result.error = "server closed the connection without a response" if result.status is None else None
    except aiohttp.ClientResponseError as exc:
        # BadStatusLine, header too large, invalid chunking: the server spoke, just not HTTP.
        result.error = f"bad response: {exc.message}"[:300] if result.status is None else None
        if result.status is not None:
            result.truncated = True
    except (aiohttp.ClientError, ssl.SSLError, OSError, ValueError, UnicodeError) as exc:
        msg = f"{exc.__class__.__name__}: {exc}"[:300]
        if result.status is None:
            result.error = msg
        else:
            result.truncated = True
    result.elapsed = time.monotonic() - start
    return result


def _flatten(headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def looks_like_tls_failure(result: HttpResult) -> bool:
    """A plaintext request that failed the way a TLS-only port fails it."""
    err = result.error or ""
    return result.status is None and any(
        s in err for s in ("\\x15\\x03", "closed the connection", "bad response", "reset", "Invalid method", "BadStatusLine")
    )


__all__ = ["ProbeLimits", "ProbeContext", "HttpResult", "http_probe", "insecure_tls_context", "cert_record",
           "looks_like_tls_failure", "DEFAULT_USER_AGENT"]
