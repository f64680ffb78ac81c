"""Small hostile servers for the checks' bad-input tests: each misbehaves in one way on the
WebSocket upgrade and on plain HTTP (issue 13, Bad input). Raw asyncio, loopback only."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import struct

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MODES = ("close", "http200", "binary", "huge", "silent", "badjson")
HUGE = 10 * 1024 * 1024


def _frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


async def _read_head(reader: asyncio.StreamReader) -> dict[str, str] | None:
    try:
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
        return None
    lines = raw.decode("latin-1").split("\r\n")
    headers = {"_line": lines[0]}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader.readexactly(min(length, 65536)), 5)
    return headers


def _upgrade_reply(key: str) -> bytes:
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    return (f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode()


async def _huge_body(writer: asyncio.StreamWriter, head: bytes) -> None:
    writer.write(head)
    chunk = b"A" * 65536
    for _ in range(HUGE // len(chunk)):
        writer.write(chunk)
        await writer.drain()


async def handle(mode: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()

    async def linger() -> None:  # keep the socket open until the test ends
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 60)

    try:
        head = await _read_head(reader)
        if head is None or mode == "close":
            return
        upgrade = head.get("upgrade", "").lower() == "websocket"
        if mode == "http200":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK")
            await writer.drain()
            return
        if not upgrade:
            if mode == "silent":
                await linger()
            elif mode == "huge":
                await _huge_body(writer, f"HTTP/1.1 200 OK\r\nContent-Length: {HUGE}\r\n\r\n".encode())
            elif mode == "badjson":
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 9\r\n\r\n{not json")
            else:
                writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return
        writer.write(_upgrade_reply(head.get("sec-websocket-key", "")))
        challenge = json.dumps({"type": "event", "event": "connect.challenge",
                                "payload": {"nonce": "00000000-0000-0000-0000-000000000000", "ts": 0}})
        if mode == "binary":
            writer.write(_frame(0x2, b"\x00\x01\x02binary"))
        elif mode == "huge":
            writer.write(struct.pack("!BBQ", 0x81, 127, HUGE))
            chunk = b"A" * 65536
            for _ in range(HUGE // len(chunk)):
                writer.write(chunk)
                await writer.drain()
        elif mode == "silent":
            writer.write(_frame(0x1, challenge.encode()))
        elif mode == "badjson":
            writer.write(_frame(0x1, b"{this is not json"))
        await writer.drain()
        await linger()  # the client must time out or give up
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def hostile_server(mode: str, host: str = "127.0.0.1"):
    """Serve `mode` on (host, free port); yields the port."""
    stop = asyncio.Event()

    async def client(reader, writer):
        await handle(mode, reader, writer, stop)

    server = await asyncio.start_server(client, host, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        stop.set()
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


class Hits(list):
    """What the second listener received, one item per connection, appended when it is accepted
    (its first bytes filled in once read); `settled()` is the deterministic end of a test."""

    port: int = 0

    async def settled(self) -> "Hits":
        """Connect to the second listener ourselves and wait until that connection is recorded:
        the listener accepts in order, so any connection a client made before is recorded too.
        The barrier's own entry is removed; a bounded wait fails as a hang."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(BARRIER)
        await writer.drain()
        async with asyncio.timeout(30):
            while BARRIER not in self:
                await asyncio.sleep(0)
        writer.close()
        self.remove(BARRIER)
        return self


BARRIER = b"GATESCAN-TEST-BARRIER"


@contextlib.asynccontextmanager
async def pointing_server(reply, *, hold: float = 0.0):
    """A server that answers the first request with `reply(other_port)` (a redirect, an SSE
    `endpoint` event) naming a second listener; yields (port, what that listener received).
    A client that stays on its endpoint leaves the list empty (after `await hits.settled()`)."""
    hits = Hits()

    async def elsewhere(reader, writer):
        at = len(hits)
        hits.append(b"")  # recorded on accept, before any bytes arrive
        hits[at] = await reader.read(64)
        writer.close()

    async def pointing(reader, writer):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            writer.write(reply(other_port))
            await writer.drain()
            await asyncio.sleep(hold)  # a stream stays open while the client reads it
        writer.close()

    other = await asyncio.start_server(elsewhere, "127.0.0.1", 0)
    other_port = hits.port = other.sockets[0].getsockname()[1]
    server = await asyncio.start_server(pointing, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], hits
    finally:
        for s in (server, other):
            s.close()
            await s.wait_closed()
