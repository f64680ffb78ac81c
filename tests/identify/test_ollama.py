"""Ollama: both lab twins are named `ollama` with their version, on a free port and on 11434."""

from __future__ import annotations

import importlib

import pytest

from gatescan._paths import import_lab
from gatescan.identify import identify
from gatescan.model import Endpoint
from gatescan.probes.http import ProbeContext
from tests.netns import requires_netns

import_lab()
TWINS = importlib.import_module("gatescan.lab.ollama").SERVICES


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
    assert (service.product, service.version) == ("ollama", svc.identified_version)
    assert any("Ollama is running" in e.observed for e in service.evidence)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await _identify(svc, "127.0.10.11", svc.port)
    assert (service.product, service.version) == ("ollama", svc.identified_version)


def test_twins_differ_where_the_checks_look():
    vulnerable, hardened = (next(s for s in TWINS if s.twin == t) for t in ("vulnerable", "hardened"))
    assert {"auth.missing", "http.cors.permissive", "http.host.unchecked"} <= set(vulnerable.expected)
    # No auth exists in Ollama: even the hardened twin answers /api/tags to anyone.
    assert hardened.expected == ("auth.missing",)
