"""Claude Code IDE WebSocket: the vulnerable twin (tools answered) and the hardened one (refused)."""

from __future__ import annotations

import importlib

import pytest

from gatescan._paths import import_lab
from gatescan.identify import identify
from gatescan.model import Endpoint
from gatescan.probes.http import ProbeContext
from tests.netns import requires_netns

import_lab()
TWINS = importlib.import_module("gatescan.lab.claude_ide").SERVICES


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
    assert (service.product, service.version) == ("claude-code-ide", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await _identify(svc, "127.0.10.16", svc.port)
    assert (service.product, service.version) == ("claude-code-ide", svc.identified_version)
