"""Goose `goose serve`: both twins are named `goose` (the version only without the token
requirement), and the ACP endpoint's preflight, token and Origin rules hold (lab/goose.py)."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import get as fingerprint
from gatescan.model import CheckStatus, Endpoint
from gatescan.net.client import Client
from tests.identify._real import UPGRADE, exchange
from tests.identify._twins import identify_twin, lab_twins, started

TWINS = lab_twins("goose")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("goose", svc.identified_version)


CASES = [
    # (method, path, headers, vulnerable, hardened)
    ("GET", "/status", {}, 200, 200),
    ("OPTIONS", "/acp", {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"}, 200, 200),
    ("GET", "/acp", {**UPGRADE, "Origin": "http://attacker.invalid"}, 403, 401),  # token first, then Origin
    ("GET", "/acp", {**UPGRADE, "Origin": "http://localhost:5173"}, 101, 401),
    ("GET", "/acp", {**UPGRADE, "X-Secret-Key": "goose-acp-local"}, 101, 401),  # no fixed default secret
]


@pytest.mark.parametrize("method,path,headers,vulnerable,hardened", CASES)
async def test_twins_answer_as_goose_serve(method, path, headers, vulnerable, hardened):
    for svc, want in zip(TWINS, (vulnerable, hardened)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, method, path, headers)
        assert status == want, (svc.key, method, path, headers)


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_checks(svc):
    async with started(svc) as handle, Client() as client:
        service = await identify(Endpoint("127.0.0.1", handle.port), client)
        findings = await run_checks(service, fingerprint("goose"), client)
    assert {f.check for f in findings} == set(svc.expected)
    origin = next(c for c in service.checks if c.check == "ws.origin.unchecked")
    assert origin.result is not CheckStatus.FINDING
