"""Codex app-server: both twins are named; the version shows only without --ws-auth; the twins
answer the listener's requests as the real 0.171.0 did (lab/codex_app_server.py)."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import get as fingerprint
from gatescan.model import CheckStatus, Endpoint
from gatescan.net.client import Client
from tests.identify._real import UPGRADE, exchange
from tests.identify._twins import identify_twin, lab_twins, started

TWINS = lab_twins("codex_app_server")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("codex-app-server", svc.identified_version)


CASES = [
    # (path, headers, vulnerable status, hardened status)
    ("/readyz", {}, 200, 200),
    ("/", {}, 400, 400),
    ("/anything", {}, 400, 400),
    ("/", UPGRADE, 101, 401),
    ("/", {**UPGRADE, "Authorization": "Bearer wrong"}, 101, 401),
    ("/", {**UPGRADE, "Origin": "http://127.0.0.1"}, 403, 403),  # any Origin, its own too
]


@pytest.mark.parametrize("path,headers,vulnerable,hardened", CASES)
async def test_twins_answer_as_the_real_listener(path, headers, vulnerable, hardened):
    for svc, want in zip(TWINS, (vulnerable, hardened)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, "GET", path, headers)
        assert status == want, (svc.key, path, headers)
        assert "server" not in got


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_checks(svc):
    async with started(svc) as handle, Client() as client:
        service = await identify(Endpoint("127.0.0.1", handle.port), client)
        findings = await run_checks(service, fingerprint("codex-app-server"), client)
    assert {f.check for f in findings} == set(svc.expected)
    origin = next(c for c in service.checks if c.check == "ws.origin.unchecked")
    assert origin.result is not CheckStatus.FINDING
