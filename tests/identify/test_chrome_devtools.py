"""Chrome DevTools Protocol: both lab twins are named with their version; real Chromium too."""

from __future__ import annotations

import pytest

from gatescan.identify.engine import identify
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("chrome_devtools")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("chrome-devtools", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.13", svc.port)
    assert (service.product, service.version) == ("chrome-devtools", svc.identified_version)


# ---------------------------------------------------------------- a real Chromium

import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

from tests.identify._real import UPGRADE, exchange, free_port, running  # noqa: E402

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium/google-chrome on PATH")

# The flags each twin stands for: the default, and --remote-allow-origins=* (products.md §1.7).
REAL_ARGS = {"chrome-devtools-hardened": [], "chrome-devtools-vulnerable": ["--remote-allow-origins=*"]}


def _chromium(tmp_path, host: str, port: int, extra: list[str]):
    # DESIGN.md's Chromium flags, plus the debugging port.
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", f"--remote-debugging-port={port}",
            f"--remote-debugging-address={host}", *extra, "about:blank"]
    return running(argv, host, port)


@requires_netns  # the browser phones home; inside the namespace that fails harmlessly
@needs_chromium
async def test_real_chromium_is_named_with_its_version(tmp_path):
    banner = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout
    expected = re.search(r"(\d+(?:\.\d+){3})", banner)
    host, port = "127.0.0.1", free_port()
    async with _chromium(tmp_path, host, port, []):
        async with Client() as client:
            service = await identify(Endpoint(host, port), client)
    assert service.product == "chrome-devtools"
    assert service.version == (expected.group(1) if expected else service.version) and service.version


async def _answers(host: str, port: int) -> list[tuple]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://{host}:{port}/json/version") as r:
            ws_path = "/" + json.loads(await r.text())["webSocketDebuggerUrl"].split("://", 1)[1].split("/", 1)[1]
    requests = [
        ("/json/version", {}),
        ("/json/list", {}),
        ("/json/version", {"Host": f"rebind.test:{port}"}),
        ("/json/version", {"Origin": "http://scanner.invalid"}),
        (ws_path, {**UPGRADE, "Origin": "http://scanner.invalid"}),
        (ws_path, {**UPGRADE, "Origin": "null"}),
        (ws_path, dict(UPGRADE)),
        ("/devtools/browser/00000000-0000-0000-0000-000000000000", dict(UPGRADE)),
    ]
    out = []
    for path, headers in requests:
        status, got = await exchange(host, port, "GET", path, headers)
        out.append((path.split("/")[1], sorted(headers), status, got.get("content-type", "").split(";")[0]))
    return out


@requires_netns
@needs_chromium
@pytest.mark.parametrize("twin", sorted(REAL_ARGS))
async def test_twin_answers_like_the_real_browser(tmp_path, twin):
    """Status and content type of every request identification and the checks send: twin == real."""
    svc = next(s for s in TWINS if s.key == twin)
    host, port = "127.0.0.1", free_port()
    async with _chromium(tmp_path, host, port, REAL_ARGS[twin]):
        real = await _answers(host, port)
    async with started(svc, host) as handle:
        lab = await _answers(host, handle.port)
    assert lab == real
