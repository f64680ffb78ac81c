"""A bare WebSocket upgrade with a chosen Origin: did the server answer 101, and did it keep
the socket open? Generic products (CDP, Jupyter, the MCP WebSocket transport) are judged on this.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from ..net.client import insecure_tls_context
from ..net.ws import connect_here as ws_connect
from .context import CheckContext

# A server may accept the upgrade and then close at once on a bad Origin (n8n closes 1008
# "Invalid origin!"); a short grace read tells that from an accepted socket.
CLOSE_GRACE = 0.5


@dataclass
class Upgrade:
    accepted: bool | None  # True: 101 and the socket stayed open; False: refused; None: undecided
    status: int | None
    reason: str
    exchange: dict[str, Any]


async def upgrade(ctx: CheckContext, url: str, origin: str | None, *,
                  subprotocol: str | None = None, headers: dict[str, str] | None = None) -> Upgrade:
    sent = {"websocket": url, "origin": origin if origin is not None else "(none)"}
    if subprotocol:
        sent["subprotocol"] = subprotocol
    extra = dict(headers or {})
    if origin is not None:
        extra["Origin"] = origin
    ctx.count()

    def out(accepted, status, reason, response=None) -> Upgrade:
        return Upgrade(accepted, status, reason, {"request": sent, "response": response})

    try:
        async with asyncio.timeout(ctx.connect_timeout + ctx.read_timeout):
            ws = await ws_connect(
                url, additional_headers=extra or None, subprotocols=[subprotocol] if subprotocol else None,
                compression=None, proxy=None, open_timeout=None, ping_interval=None, close_timeout=1,
                max_size=ctx.max_frame, max_queue=4, user_agent_header=ctx.user_agent,
                ssl=insecure_tls_context() if url.startswith("wss:") else None,
            )
    except InvalidStatus as exc:
        status = exc.response.status_code
        body = bytes(exc.response.body or b"")[:ctx.excerpt].decode("utf-8", "replace")
        return out(False, status, f"upgrade refused with HTTP {status}", {"status": status, "body": body})
    except TimeoutError:
        return out(None, None, "the WebSocket upgrade timed out", {"error": "timed out"})
    except (InvalidHandshake, ConnectionClosed, OSError, EOFError, ValueError) as exc:
        return out(None, None, f"the WebSocket upgrade failed ({type(exc).__name__})",
                   {"error": type(exc).__name__})
    try:
        try:
            async with asyncio.timeout(CLOSE_GRACE):
                await ws.recv()  # any frame is fine; we only watch for an immediate close
        except TimeoutError:
            pass
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            reason = exc.rcvd.reason if exc.rcvd else ""
            if code == 1008:
                return out(False, 101, f"accepted, then closed 1008 {reason!r}",
                           {"status": 101, "close": {"code": code, "reason": reason}})
            return out(None, 101, f"accepted, then closed ({code} {reason!r})",
                       {"status": 101, "close": {"code": code, "reason": reason}})
        return out(True, 101, "upgrade accepted (101) and the socket stayed open",
                   {"status": 101, "subprotocol": ws.subprotocol})
    finally:
        try:
            async with asyncio.timeout(1.5):
                await ws.close()
        except Exception:  # noqa: BLE001
            ws.transport.abort()
