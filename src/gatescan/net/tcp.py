"""Raw TCP banner grab for ports that do not speak HTTP: what the server says first, bounded.

Used by identify for `unknown` services, so an SSH or SMTP banner is reported, not dropped.
"""

from __future__ import annotations

import asyncio


async def grab_banner(host: str, port: int, *, wait: float = 1.0, connect_timeout: float = 3.0,
                      max_bytes: int = 512) -> tuple[bytes | None, str | None]:
    """(bytes the server sent within `wait`, error). Sends nothing."""
    writer = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=max_bytes), connect_timeout)
        try:
            data = await asyncio.wait_for(reader.read(max_bytes), wait)
        except (TimeoutError, asyncio.TimeoutError):
            data = b""
        return data, None
    except (TimeoutError, asyncio.TimeoutError):
        return None, "connect timeout"
    except OSError as exc:
        return None, f"{exc.__class__.__name__}: {exc}"[:200]
    finally:
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 0.5)
            except (TimeoutError, asyncio.TimeoutError, OSError):
                pass


def printable(data: bytes, limit: int = 200) -> str:
    """A banner as readable text: printable ASCII kept, the rest escaped."""
    text = data[:limit].decode("latin-1")
    return "".join(c if 32 <= ord(c) < 127 else f"\\x{ord(c):02x}" for c in text).strip()
