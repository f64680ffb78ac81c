"""A legacy HTTP+SSE conversation as one probe: open the stream, post one message, read the reply.

MCP's legacy transport answers a POST to the session endpoint (named by the stream's first
`event: endpoint`) on the still-open GET stream, so serverInfo is only visible that way
(products.md §1.5). Bounded like every probe; the result is one HttpResult whose body is the
stream as read (endpoint event, then the reply), so fingerprints match it with plain regexes.
"""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import urljoin, urlsplit

import aiohttp

from ..model import Endpoint
from .http import HttpResult, ProbeContext, _flatten

_ENDPOINT = re.compile(rb"event: endpoint\r?\ndata: ([^\r\n]+)\r?\n")


async def _read_until(resp: aiohttp.ClientResponse, chunks: list[bytes], pattern: re.Pattern, cap: int,
                      since: int = 0) -> re.Match | None:
    """Read into `chunks` until `pattern` matches past byte `since`, or `cap` bytes, or the end."""
    while True:
        found = pattern.search(b"".join(chunks), since)
        size = sum(map(len, chunks))
        if found or size >= cap:
            return found
        chunk = await resp.content.readany()
        if not chunk:
            return None
        chunks.append(chunk[: cap - size])


async def sse_exchange(ctx: ProbeContext, endpoint: Endpoint, path: str, post: bytes, *,
                       headers: dict[str, str] | None = None, read_until: str | None = None,
                       tls: bool = False) -> HttpResult:
    """GET `path` as an event stream, POST `post` to its endpoint event's URL, read the reply.

    The posted URL must stay on this endpoint (a relative path, or this host and port); the
    reply is awaited until `read_until` (default: a complete `data:` line after the endpoint
    event) or the request timeout. Never raises for the server.
    """
    lim = ctx.limits
    base = endpoint.url("https" if tls else "http")
    sent = {"User-Agent": lim.user_agent, "Accept": "text/event-stream", **(headers or {})}
    result = HttpResult(method="GET", url=base + path, request_headers=sent, request_body=post, tls=tls)
    reply = re.compile(read_until.encode() if read_until else rb"event: message\r?\ndata: [^\r\n]+\r?\n")
    start = time.monotonic()
    chunks: list[bytes] = []
    try:
        async with asyncio.timeout(lim.request_timeout):
            async with ctx.session.get(base + path, headers=sent, allow_redirects=False,
                                       ssl=ctx.tls_context if tls else False) as resp:
                result.status, result.reason = resp.status, resp.reason
                result.headers = _flatten(resp.headers)
                found = await _read_until(resp, chunks, _ENDPOINT, lim.max_body) if resp.status == 200 else None
                if found:
                    target = urljoin(base + path, found.group(1).decode("latin-1").strip())
                    here, there = urlsplit(base), urlsplit(target)
                    if (there.scheme, there.hostname, there.port) == (here.scheme, here.hostname, here.port):
                        async with ctx.session.post(target, data=post, allow_redirects=False,
                                                    headers={"User-Agent": lim.user_agent,
                                                             "Content-Type": "application/json"},
                                                    ssl=ctx.tls_context if tls else False) as posted:
                            await posted.content.read(4096)
                        await _read_until(resp, chunks, reply, lim.max_body, since=found.end())
                resp.close()  # the stream never ends by itself
    except (TimeoutError, asyncio.TimeoutError):
        result.error = "timeout" if result.status is None else None
        result.truncated = result.status is not None
    except (aiohttp.ClientError, OSError, ValueError, UnicodeError) as exc:
        msg = f"{exc.__class__.__name__}: {exc}"[:300]
        if result.status is None:
            result.error = msg
        else:
            result.truncated = True
    result.body = b"".join(chunks)[: lim.max_body]
    result.elapsed = time.monotonic() - start
    return result
