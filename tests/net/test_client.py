"""The network client against raw recording servers: the recorder's exchange is exactly what went
on the wire (every header the libraries added included), every probe is counted once, and every
WebSocket rides on the client's one TLS context."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import struct
from urllib.parse import urlsplit

import pytest

from gatescan.net.client import Client
from gatescan.net.limits import Limits

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def parse_head(raw: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    lines = raw.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if line]
    return method, target, headers  # type: ignore[return-value]


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """One masked client frame's payload (RFC 6455 §5.2)."""
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    mask = await reader.readexactly(4)
    payload = await reader.readexactly(size)
    return bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@contextlib.asynccontextmanager
async def recording_server(*, tls=None):
    """A raw TCP server that keeps every request's bytes as received. Plain requests get
    `200 ok`; a WebSocket upgrade gets 101, then its first client frame is kept and echoed."""
    seen: list[dict] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, target, headers = parse_head(head[:-4])
                named = {k.lower(): v for k, v in headers}
                body = await reader.readexactly(int(named.get("content-length", "0")))
                record = {"method": method, "target": target, "headers": headers, "body": body}
                seen.append(record)
                if named.get("upgrade", "").lower() != "websocket":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
                    await writer.drain()
                    continue
                accept = base64.b64encode(hashlib.sha1((named["sec-websocket-key"] + GUID).encode()).digest())
                writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
                await writer.drain()
                record["frame"] = await read_frame(reader)
                writer.write(struct.pack("!BB", 0x81, len(record["frame"])) + record["frame"])
                await writer.drain()
                await reader.read(1024)  # the client's close
                return
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1], seen
    finally:
        server.close()
        await server.wait_closed()


def on_the_wire(record: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in record["headers"]:
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


async def test_http_exchange_is_what_went_on_the_wire():
    async with recording_server() as (port, seen), Client() as client:
        url = f"http://127.0.0.1:{port}/api/list?x=1"
        answer = await client.http("POST", url, headers={"X-Probe": "one"}, json_body={"q": 1}, note="why")
    (wire,) = seen
    request = answer.exchange["request"]
    split = urlsplit(request["url"])
    assert (request["method"], f"{split.path}?{split.query}") == (wire["method"], wire["target"])
    assert request["headers"] == on_the_wire(wire)  # every name and value, in the case sent
    assert request["body"] == wire["body"].decode() == '{"q": 1}'
    # what aiohttp added is there; what we turned off is not
    names = {k.lower() for k in request["headers"]}
    assert {"host", "content-length", "content-type", "user-agent", "x-probe"} <= names
    assert "accept-encoding" not in names
    assert request["note"] == "why"
    assert answer.exchange["response"] == {"status": 200, "headers": {"content-type": "text/plain",
                                                                      "content-length": "2"}, "body": "ok"}


async def test_websocket_exchange_is_what_went_on_the_wire():
    async with recording_server() as (port, seen), Client() as client:
        async with client.websocket(f"ws://127.0.0.1:{port}/socket", origin="http://page.invalid",
                                    subprotocols=["mcp"], headers={"X-Probe": "two"}) as ws:
            assert ws.accepted
            await ws.send("hello")
            assert await ws.recv() == "hello"
    (wire,) = seen
    request = ws.exchange["request"]
    assert (request["method"], urlsplit(request["url"]).path) == (wire["method"], wire["target"])
    assert request["headers"] == on_the_wire(wire)
    names = {k.lower() for k in request["headers"]}
    assert {"host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
            "sec-websocket-protocol", "origin", "user-agent", "x-probe"} <= names
    assert request["frames"] == [wire["frame"].decode()] == ["hello"]
    assert ws.exchange["response"]["status"] == 101 and ws.exchange["response"]["frames"] == ["hello"]


async def test_every_probe_is_counted_once_and_per_scope():
    async with recording_server() as (port, seen), Client() as client:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(5):
            await client.http("GET", url)
        service = client.scope()
        await service.http("GET", url)
        async with service.websocket(f"ws://127.0.0.1:{port}/") as ws:
            await ws.send("x")
        assert service.session is client.session
    assert len(seen) == 7
    assert service.probes == 2 and client.probes == 7


async def test_a_refused_connect_is_counted_and_recorded_without_request_headers():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with Client(Limits(connect_timeout=1, read_timeout=1)) as client:
        answer = await client.http("GET", f"http://127.0.0.1:{port}/")
        async with client.websocket(f"ws://127.0.0.1:{port}/") as ws:
            pass
    assert client.probes == 2
    assert answer.status is None and answer.error.startswith("connect")
    assert "headers" not in answer.exchange["request"] and answer.exchange["response"]["error"]
    assert not ws.accepted and "headers" not in ws.exchange["request"] and ws.exchange["response"]["error"]


async def test_every_websocket_uses_the_clients_one_tls_context():
    from gatescan._paths import import_lab

    import_lab()
    from gatescan.lab.decoys import self_signed_context

    try:
        server_tls = self_signed_context()
    except RuntimeError as exc:  # no openssl CLI
        pytest.skip(str(exc))
    async with recording_server(tls=server_tls) as (port, seen), Client() as client:
        contexts = []
        for _ in range(2):
            async with client.websocket(f"wss://127.0.0.1:{port}/") as ws:
                assert ws.accepted and len(ws.cert["sha256"]) == 64
                contexts.append(ws._conn.transport.get_extra_info("ssl_object").context)
                await ws.send("x")
    assert contexts[0] is contexts[1] is client.tls_context
