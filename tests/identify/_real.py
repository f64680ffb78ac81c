"""Helpers for the tests that run a real product next to its lab twin (identify-B's products).

`running()` starts a real product and waits for its port; `exchange()` sends one raw request
(any Host header, or a WebSocket upgrade) and returns the status line and headers, so a twin
and the real thing can be compared request by request.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import AsyncIterator

UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def running(argv: list[str], host: str, port: int, *, deadline: float = 60.0, **kw) -> AsyncIterator:
    """Start `argv`, wait until (host, port) accepts, stop it on exit (terminate, then kill)."""
    proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL, **kw)
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        while True:
            if proc.returncode is not None:
                raise AssertionError(f"{argv[0]} exited with {proc.returncode}")
            try:
                _, writer = await asyncio.open_connection(host, port)
                writer.close()
                break
            except OSError:
                if loop.time() > end:
                    raise AssertionError(f"{argv[0]} did not listen on {host}:{port} within {deadline:g} s")
                await asyncio.sleep(0.2)
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()


async def exchange(host: str, port: int, method: str, path: str, headers: dict[str, str] | None = None,
                   body: bytes = b"", timeout: float = 5.0) -> tuple[int, dict[str, str]]:
    """One raw HTTP/1.1 request; the status and the (lower-cased) response headers."""
    head = {"Host": f"{host}:{port}", "User-Agent": "gatescan-test", "Connection": "close"}
    head.update(headers or {})
    if body:
        head["Content-Length"] = str(len(body))
    text = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n"
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(text.encode() + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    finally:
        writer.close()
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    found = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            found[name.strip().lower()] = value.strip()
    return status, found
