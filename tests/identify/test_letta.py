"""Letta server: both twins are named with the version its password-exempt health route shows."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("letta")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("letta", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.17.6", svc.port)
    assert (service.product, service.version) == ("letta", svc.identified_version)


CASES = [
    # (path, headers, default, --secure) as app.py's CheckPasswordMiddleware and CORS answer
    ("/v1/health/", {}, 200, 200),
    ("/v1/agents/", {}, 200, 401),
    ("/v1/agents/", {"X-BARE-PASSWORD": "password lab-letta-password-2b7e"}, 200, 200),
    ("/v1/tools/mcp/servers", {}, 200, 401),
]


@pytest.mark.parametrize("path,headers,default,secure", CASES)
async def test_twins_answer_as_letta_does(path, headers, default, secure):
    for svc, want in ((BY_TWIN["vulnerable"], default), (BY_TWIN["hardened"], secure)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, "GET", path,
                                         {**headers, "Origin": "http://scanner.invalid"})
            _, allowed = await exchange("127.0.0.1", handle.port, "GET", "/v1/health/",
                                        {"Origin": "http://localhost:3000"})
        assert status == want, (svc.key, path, headers)
        assert "access-control-allow-origin" not in got  # a foreign Origin is not on the allowlist
        assert allowed["access-control-allow-origin"] == "http://localhost:3000"
