"""Flowise: both twins named `flowise` with the version /api/v1/version shows without a login,
and the twins answer as flowise@3.1.4's API middleware and CORS options do (2.x: no login)."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("flowise")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("flowise", svc.version)
    assert any("<title>Flowise - " in e.observed for e in service.evidence)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.27", svc.port)
    assert (service.product, service.version) == ("flowise", svc.version)


CASES = [
    # (path, vulnerable 2.2.6 without FLOWISE_USERNAME, hardened 3.1.4)
    ("/api/v1/chatflows", 200, 401),
    ("/API/V1/chatflows", 200, 401),  # a case variant is refused too (CVE-2024-31621's fix)
    ("/api/v1/ping", 200, 200),  # whitelisted
    ("/api/v1/version", 200, 200),
    ("/canvas", 200, 200),  # the UI for any other path
]


@pytest.mark.parametrize("path,vulnerable,hardened", CASES)
async def test_twins_answer_as_flowise_does(path, vulnerable, hardened):
    for svc, want in ((BY_TWIN["vulnerable"], vulnerable), (BY_TWIN["hardened"], hardened)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, "GET", path, {"Origin": "http://scanner.invalid"})
        assert status == want, (svc.key, path)
        assert "x-powered-by" not in got and got["x-frame-options"] == "SAMEORIGIN"  # as the real 3.1.4
        # CORS_ORIGINS=* reflects the Origin; the 3.x default (empty) grants none
        assert got.get("access-control-allow-origin") == ("http://scanner.invalid" if svc.twin == "vulnerable" else None)


async def test_a_null_origin_is_never_granted():
    """3.1.4's XSS.js blocks `null` even with CORS_ORIGINS=* (the twins use its CORS rules)."""
    async with started(BY_TWIN["vulnerable"]) as handle:
        _, got = await exchange("127.0.0.1", handle.port, "GET", "/api/v1/chatflows", {"Origin": "null"})
    assert "access-control-allow-origin" not in got
