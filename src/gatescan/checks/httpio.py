"""One bounded HTTP exchange for checks, recorded as trimmed evidence.

Checks never follow redirects, never read more than `max_body` bytes, and never wait past
`read_timeout`; what was sent and what came back is kept as a DESIGN.md `exchange`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Callable

import aiohttp

from ..net.client import insecure_tls_context
from .context import CheckContext

# Response headers a reader of the evidence needs; everything else is noise.
KEPT_HEADERS = (
    "content-type", "content-length", "www-authenticate", "location", "server", "vary",
    "access-control-allow-origin", "access-control-allow-credentials",
    "access-control-allow-methods", "access-control-allow-headers", "mcp-session-id", "allow",
)


@dataclass
class HttpAnswer:
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    error: str | None = None  # set when no complete answer came (timeout, reset, ...)
    exchange: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def excerpt(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"


def new_session(ctx: CheckContext) -> aiohttp.ClientSession:
    """A session that never decompresses (no gzip bombs), trusts no proxy env, keeps no cookies."""
    connector = aiohttp.TCPConnector(limit=8, force_close=True, ssl=insecure_tls_context())
    return aiohttp.ClientSession(
        connector=connector, auto_decompress=False, trust_env=False,
        cookie_jar=aiohttp.DummyCookieJar(), max_line_size=16384, max_field_size=16384,
        skip_auto_headers=("Accept-Encoding",),
    )


async def request(
    session: aiohttp.ClientSession, ctx: CheckContext, method: str, url: str, *,
    headers: dict[str, str] | None = None, json_body: Any = None, note: str | None = None,
    stop: Callable[[bytes], bool] | None = None,
) -> HttpAnswer:
    """Send one request and read at most `ctx.max_body` bytes of the answer.

    `stop(body_so_far)` ends the read early: streamed answers (SSE, streamable HTTP) may never
    end, so a caller stops once the reply it waits for has arrived.
    """
    sent = {"User-Agent": ctx.user_agent, **(headers or {})}
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        sent.setdefault("Content-Type", "application/json")
    record: dict[str, Any] = {"method": method, "url": url, "headers": dict(sent)}
    if data is not None:
        record["body"] = excerpt(data.decode(), ctx.excerpt)
    if note:
        record["note"] = note
    ctx.count()
    answer = HttpAnswer(status=None)
    try:
        async with asyncio.timeout(ctx.connect_timeout + ctx.read_timeout):
            async with session.request(
                method, url, headers=sent, data=data, allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=ctx.connect_timeout),
            ) as resp:
                answer.status = resp.status
                answer.headers = {k.lower(): v for k, v in resp.headers.items()}
                answer.body = await _read_bounded(resp, ctx.max_body, stop)
    except TimeoutError:
        answer.error = "timed out" if answer.status is None else "timed out reading the body"
    except aiohttp.ClientError as exc:
        answer.error = f"{type(exc).__name__}: {exc}"[:200]
    except (OSError, ValueError) as exc:
        answer.error = f"{type(exc).__name__}: {exc}"[:200]
    answer.exchange = {"request": record, "response": _response_record(answer, ctx)}
    return answer


async def _read_bounded(resp: aiohttp.ClientResponse, limit: int, stop=None) -> bytes:
    body = b""
    while len(body) < limit:
        chunk = await resp.content.read(limit - len(body))
        if not chunk:
            break
        body += chunk
        if stop is not None and stop(body):
            break
    return body


def _response_record(answer: HttpAnswer, ctx: CheckContext) -> dict[str, Any] | None:
    if answer.status is None:
        return {"error": answer.error} if answer.error else None
    out: dict[str, Any] = {
        "status": answer.status,
        "headers": {k: v for k, v in answer.headers.items() if k in KEPT_HEADERS},
        "body": excerpt(answer.text, ctx.excerpt),
    }
    if answer.error:
        out["error"] = answer.error
    return out
