"""A small Chrome DevTools Protocol client: launch a headless Chromium kept off the network, talk
to it over its browser WebSocket (flat sessions), and stop it.

Used by the browser proof (checks/browser.py). The flags are the safety ones of
docs/architecture.md (Safety): a fresh profile, no background networking, every name but
`rebind.test` unresolvable, every non-bypassed request sent to a dead proxy. The debugging port
is `--remote-debugging-port=0`: Chromium picks it and writes it to `DevToolsActivePort` in the
profile, so no port is guessed and none is shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import websockets

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SAFE_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync")
# gatescan's own pages are served on loopback under this name, so their Origin is foreign to any
# target (a loopback Origin such as http://127.0.0.1:<port> is trusted by design by some products).
PAGE_HOST = "proof.test"
MAX_MESSAGE = 8 * 1024 * 1024  # CDP answers we ask for are small; a page's result is capped in JS


class BrowserError(RuntimeError):
    """Chromium is missing, would not start, crashed, or stopped answering."""


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium executable: `explicit` (GATESCAN_CHROMIUM), else the first on PATH."""
    explicit = explicit if explicit is not None else os.environ.get("GATESCAN_CHROMIUM")
    if explicit:
        return shutil.which(explicit) or (explicit if Path(explicit).is_file() else None)
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


@dataclass(frozen=True)
class LaunchConfig:
    """What one browser is started with: where `rebind.test` points, the addresses it may reach
    directly (besides loopback names), and the `ip:port` pairs it is told are public."""

    rebind_ip: str = "127.0.0.1"
    direct: tuple[str, ...] = ()  # non-loopback target addresses (exposure scans)
    public: tuple[str, ...] = ()  # "ip:port" for --ip-address-space-overrides
    features_off: tuple[str, ...] = ()  # --disable-features (LocalNetworkAccessChecks)

    def argv(self, executable: str, profile: Path) -> list[str]:
        # an IPv6 literal is matched without its brackets
        excludes = ", ".join(f"EXCLUDE {a.strip('[]')}" for a in ("localhost", "127.*", "::1", *self.direct))
        argv = [executable, *SAFE_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                f"--host-resolver-rules=MAP rebind.test {self.rebind_ip}, MAP {PAGE_HOST} 127.0.0.1, "
                f"MAP * ~NOTFOUND, {excludes}",
                "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=" + ";".join(("rebind.test", PAGE_HOST, *self.direct))]
        if self.public:
            argv.append("--ip-address-space-overrides=" + ",".join(f"{p}=public" for p in self.public))
        if self.features_off:
            argv.append("--disable-features=" + ",".join(self.features_off))
        return argv + ["about:blank"]


class Browser:
    """One running Chromium and its browser-level CDP connection."""

    def __init__(self, process: asyncio.subprocess.Process, profile: Path, ws, version: str):
        self.process, self.profile, self._ws, self.version = process, profile, ws, version
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._listeners: list[tuple[str | None, asyncio.Queue]] = []
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self.dead: str | None = None

    @classmethod
    async def launch(cls, executable: str, config: LaunchConfig, *, timeout: float = 20.0) -> "Browser":
        profile = Path(tempfile.mkdtemp(prefix="gatescan-chromium-"))
        try:
            process = await asyncio.create_subprocess_exec(
                *config.argv(executable, profile), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            shutil.rmtree(profile, ignore_errors=True)
            raise BrowserError(f"Chromium would not start: {exc}") from None
        try:
            ws_url = await _devtools_url(process, profile, timeout)
            ws = await websockets.connect(ws_url, max_size=MAX_MESSAGE, open_timeout=timeout, ping_interval=None)
        except BaseException:
            await _stop(process)
            shutil.rmtree(profile, ignore_errors=True)
            raise
        browser = cls(process, profile, ws, "")
        try:
            info = await browser.send("Browser.getVersion", timeout=timeout)
        except BaseException:
            await browser.close()
            raise
        browser.version = str(info.get("product", "")).split("/", 1)[-1]
        return browser

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                message = json.loads(raw)
                if "id" in message:
                    future = self._waiting.pop(message["id"], None)
                    if future is not None and not future.done():
                        future.set_result(message)
                    continue
                for session, queue in list(self._listeners):
                    if session is None or session == message.get("sessionId"):
                        queue.put_nowait(message)
        except (websockets.ConnectionClosed, OSError, ValueError) as exc:
            self.dead = f"the DevTools connection dropped ({type(exc).__name__})"
        finally:
            self.dead = self.dead or "the DevTools connection closed"
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(BrowserError(f"Chromium stopped answering: {self.dead}"))
            for _, queue in self._listeners:
                queue.put_nowait({"method": "gatescan.dead"})

    async def send(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None,
                   timeout: float = 10.0) -> dict[str, Any]:
        """One command; its `result`, or BrowserError (a CDP error, a dead browser, a timeout)."""
        if self.dead:
            raise BrowserError(f"Chromium stopped answering: {self.dead}")
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        try:
            await self._ws.send(json.dumps(message))
            async with asyncio.timeout(timeout):
                answer = await future
        except TimeoutError:
            raise BrowserError(f"Chromium did not answer {method} within {timeout:g} s") from None
        except websockets.ConnectionClosed:
            raise BrowserError("Chromium closed the DevTools connection") from None
        finally:
            self._waiting.pop(ident, None)
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error'].get('message', answer['error'])}")
        return answer.get("result", {})

    @contextlib.contextmanager
    def events(self, session: str | None = None):
        """A queue of the events of one session (None: all) while the block runs."""
        entry = (session, asyncio.Queue())
        self._listeners.append(entry)
        try:
            yield entry[1]
        finally:
            self._listeners.remove(entry)

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(Exception):
            await self._ws.close()
        await _stop(self.process)
        shutil.rmtree(self.profile, ignore_errors=True)


async def _devtools_url(process: asyncio.subprocess.Process, profile: Path, timeout: float) -> str:
    """The browser WebSocket URL from `DevToolsActivePort` (port, then path), once Chromium wrote it."""
    marker = profile / "DevToolsActivePort"
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if process.returncode is not None:
            raise BrowserError(f"Chromium exited at start (status {process.returncode})")
        try:
            lines = marker.read_text().split()
        except OSError:
            lines = []
        if len(lines) >= 2 and lines[0].isdigit():
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        await asyncio.sleep(0.05)
    raise BrowserError(f"Chromium did not open its DevTools port within {timeout:g} s")


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM Chromium's process group (it has helpers), SIGKILL what lingers."""
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        if process.returncode is not None:
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await process.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
