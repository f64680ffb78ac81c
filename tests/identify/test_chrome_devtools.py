"""Chrome DevTools Protocol: both lab twins are named with their version; real Chromium too."""

from __future__ import annotations

import importlib

import pytest

from gatescan._paths import import_lab
from gatescan.identify import identify
from gatescan.model import Endpoint
from gatescan.probes.http import ProbeContext
from tests.netns import requires_netns

import_lab()
TWINS = importlib.import_module("gatescan.lab.chrome_devtools").SERVICES


async def _identify(svc, host: str = "127.0.0.1", port: int = 0):
    handle = await svc.start(host, port)
    try:
        async with ProbeContext() as ctx:
            return await identify(Endpoint(host, handle.port if port == 0 else port), ctx)
    finally:
        await handle.close()


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await _identify(svc)
    assert (service.product, service.version) == ("chrome-devtools", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await _identify(svc, "127.0.10.13", svc.port)
    assert (service.product, service.version) == ("chrome-devtools", svc.identified_version)


# ---------------------------------------------------------------- a real Chromium

import asyncio  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@requires_netns  # the browser phones home; inside the namespace that fails harmlessly
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium/google-chrome on PATH")
async def test_real_chromium_is_named_with_its_version(tmp_path):
    banner = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout
    expected = re.search(r"(\d+(?:\.\d+){3})", banner)
    host, port = "127.0.0.1", _free_port("127.0.0.1")
    # DESIGN.md's Chromium flags, plus the debugging port.
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", f"--remote-debugging-port={port}",
        "--remote-debugging-address=127.0.0.1", "about:blank",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + 60
        while True:
            assert proc.returncode is None, f"chromium exited with {proc.returncode}"
            try:
                _, writer = await asyncio.open_connection(host, port)
                writer.close()
                break
            except OSError:
                assert loop.time() < end, "chromium did not open its debugging port in 60 s"
                await asyncio.sleep(0.2)
        async with ProbeContext() as ctx:
            service = await identify(Endpoint(host, port), ctx)
        assert service.product == "chrome-devtools"
        if expected:
            assert service.version == expected.group(1)
        else:
            assert service.version
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
