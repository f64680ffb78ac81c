"""Decoys (things that are not agents and must never be named as one) and hostile servers.

Decoys run in `gatescan lab up`; hostile servers (hostile=True) exist for the tests that prove
a broken or malicious endpoint costs the scanner its deadline and nothing more.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import shutil
import ssl
import subprocess
import tempfile
from functools import lru_cache

from aiohttp import WSMsgType, web

from .base import LabService, app_service, raw_service, serve_app

# ------------------------------------------------------------------ helpers


async def read_request_head(reader: asyncio.StreamReader, limit: int = 16 * 1024) -> bytes:
    """The request line and headers (bounded), or what arrived before the client stopped."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = await reader.read(limit - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _ws_key(head: bytes) -> str | None:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            return value.strip().decode("latin-1")
    return None


def _ws_accept(key: str) -> str:
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode()


@lru_cache(maxsize=1)
def self_signed_context() -> ssl.SSLContext:
    """A server TLS context with a throwaway self-signed certificate (openssl CLI)."""
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl is needed for the TLS lab servers")
    tmp = tempfile.mkdtemp(prefix="gatescan-lab-tls-")
    key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=gatescan-lab.invalid", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


# ------------------------------------------------------------------ decoys


def _plain_web() -> web.Application:
    app = web.Application()
    page = ("<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n"
            "<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed.</p>\n"
            "</body>\n</html>\n")

    async def prepare(request, response):
        response.headers["Server"] = "nginx/1.24.0"

    async def handler(request: web.Request) -> web.Response:
        if request.path == "/" and request.method in ("GET", "HEAD"):
            return web.Response(text=page, content_type="text/html")
        return web.Response(status=404, text="<html><head><title>404 Not Found</title></head></html>",
                            content_type="text/html")

    app.on_response_prepare.append(prepare)
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


def _json_api() -> web.Application:
    """A JSON API that is not Jupyter (uvicorn, no Tornado): `/api` names a version, as many do.
    A Jupyter matcher that takes any JSON `/api` answer with a version would name it."""
    app = web.Application()

    async def prepare(request, response):
        response.headers["Server"] = "uvicorn"

    async def api(request: web.Request) -> web.Response:
        return web.json_response({"version": "2.4.1", "name": "inventory-service", "status": "ok"})

    async def other(request: web.Request) -> web.Response:
        return web.json_response({"detail": "Not Found"}, status=404)

    app.on_response_prepare.append(prepare)
    app.router.add_get("/api", api)
    app.router.add_get("/api/", api)
    app.router.add_route("*", "/{tail:.*}", other)
    return app


def _ws_echo() -> web.Application:
    """Accepts a WebSocket from any Origin on any path and echoes every frame back."""
    app = web.Application()

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(text="echo server: connect with a WebSocket\n")
        ws = web.WebSocketResponse(max_msg_size=64 * 1024, protocols=("mcp", "chat"))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
            else:
                break
        return ws

    app.router.add_route("GET", "/{tail:.*}", handler)
    return app


async def _tarpit(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts and never answers (reads and drops what the client sends, bounded)."""
    while await reader.read(4096):
        pass
    await asyncio.sleep(3600)


async def _drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One byte per second of a plausible HTTP response, forever."""
    await read_request_head(reader)
    text = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Slow: " + b"z" * 100000
    for i in range(len(text)):
        writer.write(text[i:i + 1])
        await writer.drain()
        await asyncio.sleep(1.0)


# ------------------------------------------------------------------ hostile servers


async def _garbage(reader, writer) -> None:
    await read_request_head(reader)
    writer.write(os.urandom(8192).replace(b"HTTP", b"xxxx"))
    await writer.drain()


async def _huge_header(reader, writer) -> None:
    """A header line that never ends (megabytes of it)."""
    await read_request_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nX-Huge: ")
    chunk = b"a" * 65536
    for _ in range(1024):  # up to 64 MiB, as fast as the client takes it
        writer.write(chunk)
        await writer.drain()


async def _many_headers(reader, writer) -> None:
    """Endless small header lines."""
    await read_request_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\n")
    for i in range(1_000_000):
        writer.write(b"X-H%d: v\r\n" % i)
        if i % 256 == 0:
            await writer.drain()


async def _endless_body(reader, writer) -> None:
    """Valid headers, then a chunked body that never ends, at full speed."""
    await read_request_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"<p>" + b"A" * 65530 + b"</p>"
    frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    while True:
        writer.write(frame)
        await writer.drain()


async def _banner(reader, writer) -> None:
    """A non-HTTP service that speaks first (an SSH banner)."""
    writer.write(b"SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n")
    await writer.drain()
    await reader.read(4096)
    writer.write(b"Protocol mismatch.\r\n")
    await writer.drain()


async def _tls_junk(reader, writer) -> None:
    """Answers anything with a broken TLS record: TLS-looking garbage on a port HTTP expects."""
    await reader.read(4096)
    writer.write(b"\x15\x03\x03\x00\x02\x02\x28" + b"\x16\x03\x03\xff\xff" + os.urandom(512))
    await writer.drain()


async def _switch_to_ws(reader, writer, otherwise: bytes) -> bool:
    """A correct 101 answer to a WebSocket upgrade (True); any other request gets `otherwise`."""
    key = _ws_key(await read_request_head(reader))
    if key is None:
        writer.write(otherwise)
        await writer.drain()
        return False
    writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + _ws_accept(key).encode() + b"\r\n\r\n")
    return True


async def _bad_ws_frame(reader, writer) -> None:
    """A correct 101 upgrade followed by an invalid frame (reserved opcode, RSV bits set)."""
    if not await _switch_to_ws(reader, writer, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                               b"Content-Length: 11\r\n\r\nhello world"):
        return
    writer.write(b"\xf3\x05hello")  # FIN + RSV1-3 + opcode 3 (reserved)
    await writer.drain()
    await asyncio.sleep(5)


async def _huge_ws_frame(reader, writer) -> None:
    """A 101 upgrade, then a frame announcing 2**62 bytes and dripping them."""
    if not await _switch_to_ws(reader, writer, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"):
        return
    writer.write(b"\x81\x7f" + (2**62).to_bytes(8, "big"))
    while True:
        writer.write(b"x" * 65536)
        await writer.drain()


def _tls_http() -> web.Application:
    app = web.Application()
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<title>TLS only</title>", content_type="text/html")

    app.router.add_get("/{tail:.*}", page)
    return app


async def _start_tls_web(host: str, port: int):
    return await serve_app(_tls_http(), host, port, ssl_context=self_signed_context())


async def _confused(reader, writer) -> None:
    """Looks like TLS to a plaintext client and answers plaintext to a TLS ClientHello."""
    first = await reader.read(4096)
    if first.startswith(b"\x16\x03"):
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 27\r\n\r\nThis port speaks plain HTTP")
    else:
        writer.write(b"\x15\x03\x03\x00\x02\x02\x46")
    await writer.drain()


def _decoy(key: str, port: int, start, notes: str, hostile: bool = False) -> LabService:
    return LabService(key=key, product=None, version=None, twin="decoy", port=port, expected=(), start=start,
                      notes=notes, hostile=hostile)


SERVICES = [
    # decoys sit on agent ports on purpose: a claimed port must not be enough to name a product
    _decoy("decoy-web", 18789, app_service(_plain_web), "plain web server (nginx welcome page)"),
    _decoy("decoy-json-api", 8888, app_service(_json_api), "JSON API on uvicorn: /api names a version"),
    _decoy("decoy-ws-echo", 8000, app_service(_ws_echo), "WebSocket echo server, any Origin"),
    _decoy("decoy-tarpit", 11434, raw_service(_tarpit), "TCP tarpit: accepts, never answers"),
    _decoy("decoy-drip", 9222, raw_service(_drip), "drips one byte per second"),
    # hostile servers for the bad-input tests (not started by `lab up`)
    _decoy("hostile-garbage", 8080, raw_service(_garbage), "answers with random bytes", hostile=True),
    _decoy("hostile-huge-header", 8080, raw_service(_huge_header), "a header line of 64 MiB", hostile=True),
    _decoy("hostile-many-headers", 8080, raw_service(_many_headers), "a million header lines", hostile=True),
    _decoy("hostile-endless-body", 8080, raw_service(_endless_body), "an endless chunked body", hostile=True),
    _decoy("hostile-banner", 8080, raw_service(_banner), "SSH banner (not HTTP)", hostile=True),
    _decoy("hostile-tls-only", 8080, _start_tls_web, "HTTPS only, self-signed", hostile=True),
    _decoy("hostile-tls-junk", 8080, raw_service(_tls_junk), "broken TLS records", hostile=True),
    _decoy("hostile-tls-confused", 8443, raw_service(_confused), "TLS alert to HTTP, plain HTTP to TLS", hostile=True),
    _decoy("hostile-bad-ws-frame", 8080, raw_service(_bad_ws_frame), "101 then an invalid frame", hostile=True),
    _decoy("hostile-huge-ws-frame", 8080, raw_service(_huge_ws_frame), "101 then a 2**62-byte frame", hostile=True),
]
