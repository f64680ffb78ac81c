"""The lab service interface: one `LabService` per twin, plus helpers to serve it on (host, port).

Every lab/<module>.py exposes `SERVICES: list[LabService]`; lab/__init__.py collects them.
A service's `start(host, port)` returns a handle whose `close()` stops it cleanly.
"""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Literal, Protocol

from aiohttp import web

Twin = Literal["vulnerable", "hardened", "decoy"]


class Handle(Protocol):
    async def close(self) -> None: ...


Starter = Callable[[str, int], Awaitable[Handle]]


@dataclass(frozen=True)
class LabService:
    """One lab listener: a product twin or a decoy.

    key       unique, stable id (compose service names and `--only` use it)
    product   fingerprint id it imitates (None for decoys)
    version   the version it imitates (None for decoys)
    twin      vulnerable | hardened | decoy
    port      the product's default port (the runner binds a distinct 127.x address per service)
    expected  check ids a `--intrusive` scan reports on it (without it the intrusive ones, such as
              auth.ratelimit.missing, are not_applicable): only checks this build runs (tests hold it so)
    start     async (host, port) -> Handle
    notes     one line for humans (the table `gatescan lab up` prints)
    hostile   True for servers that exist only to break the scanner (not in `lab up` by default)
    version_observable  False when the product does not reveal its version without credentials
              (identification then reports version null; tests expect that)
    loopback_only  True when it refuses every request whose Host is not loopback, as the product
              does, so nothing identifies it from another address (bench/checks.py's exposed lab)
    """

    key: str
    product: str | None
    version: str | None
    twin: Twin
    port: int
    expected: tuple[str, ...]
    start: Starter = field(compare=False, repr=False)
    notes: str = ""
    hostile: bool = False
    tls: bool = False
    version_observable: bool = True
    loopback_only: bool = False

    @property
    def identified_version(self) -> str | None:
        """The version identification should report for this twin."""
        return self.version if self.version_observable else None

    def manifest_entry(self, host: str, port: int) -> dict[str, Any]:
        """`version` is what a scan reports (null where the product hides it); `release` is
        the version the twin imitates."""
        return {"host": host, "port": port, "product": self.product, "version": self.identified_version,
                "release": self.version, "twin": self.twin, "expected": list(self.expected), "key": self.key}


# ------------------------------------------------------------------ serving helpers


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket bound to (host, port), SO_REUSEADDR, ready for aiohttp or asyncio."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(256)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class AppHandle:
    """A running aiohttp application."""

    def __init__(self, runner: web.AppRunner, sock: socket.socket):
        self._runner, self.sock = runner, sock

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    async def close(self) -> None:
        await self._runner.cleanup()


async def serve_app(app: web.Application, host: str, port: int, *, ssl_context=None) -> AppHandle:
    """Serve an aiohttp application on (host, port); port 0 picks a free one."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    sock = _bind(host, port)
    try:
        site = web.SockSite(runner, sock, ssl_context=ssl_context)
        await site.start()
    except BaseException:
        await runner.cleanup()
        sock.close()
        raise
    return AppHandle(runner, sock)


Connection = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawHandle:
    """A running asyncio stream server; close() also cancels open connection handlers."""

    def __init__(self, server: asyncio.base_events.Server, tasks: set[asyncio.Task]):
        self._server, self._tasks = server, tasks

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await asyncio.wait_for(self._server.wait_closed(), 2.0)
        except (asyncio.TimeoutError, Exception):
            pass


async def serve_raw(handler: Connection, host: str, port: int, *, ssl_context=None) -> RawHandle:
    """Serve a raw TCP handler on (host, port); each connection runs `handler(reader, writer)`."""
    tasks: set[asyncio.Task] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            tasks.discard(task)
            writer.close()

    sock = _bind(host, port)
    server = await asyncio.start_server(on_connect, sock=sock, ssl=ssl_context, backlog=256)
    return RawHandle(server, tasks)


class MultiHandle:
    """Several handles closed together (a service with more than one listener)."""

    def __init__(self, *handles: Handle):
        self._handles = handles

    async def close(self) -> None:
        for h in reversed(self._handles):
            await h.close()


def app_service(factory: Callable[[], web.Application]) -> Starter:
    """A `start` for LabService from a function building the aiohttp application."""

    async def start(host: str, port: int) -> AppHandle:
        return await serve_app(factory(), host, port)

    return start


def raw_service(handler: Connection) -> Starter:
    async def start(host: str, port: int) -> RawHandle:
        return await serve_raw(handler, host, port)

    return start


async def answer_jsonrpc_frames(ws: web.WebSocketResponse, answer: Callable[[Any], dict | None],
                                parse_error: dict) -> None:
    """JSON-RPC over a WebSocket: each text frame gets `answer(message)` (None: no reply), a frame
    that is not JSON gets `parse_error`; the first non-text frame ends the loop."""
    async for message in ws:
        if message.type != web.WSMsgType.TEXT:
            break
        try:
            reply = answer(json.loads(message.data))
        except ValueError:
            reply = parse_error
        if reply is not None:
            await ws.send_str(json.dumps(reply, separators=(",", ":")))


def strip_server_header(app: web.Application, replace: dict[str, str] | None = None) -> web.Application:
    """Drop aiohttp's `Server` header (Node's http server sends none) and add `replace` headers."""

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.popall("Server", None)
        for name, value in (replace or {}).items():
            response.headers.setdefault(name, value)

    app.on_response_prepare.append(on_prepare)
    return app


def is_loopback_name(host: str | None) -> bool:
    """True for localhost, 127/8 and ::1 (a Host or Origin hostname, brackets allowed)."""
    if not host:
        return False
    h = host.strip("[]").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    # a parsed address, not a prefix: "127.0.0.1.attacker.invalid" is not loopback (the
    # real 2026.9.6 gateway refuses that suffix-trick Origin; checks issue)
    import ipaddress

    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def host_only(value: str | None) -> str:
    """The hostname of a Host header value (`[::1]:80`, `a:80`, `a`)."""
    if not value:
        return ""
    value = value.strip()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value
