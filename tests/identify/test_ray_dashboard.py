"""Ray dashboard: the open twin is named with its version; the token-auth twin (the 2.60.0
default) is named from its public SPA alone, with no version (the API needs the token)."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("ray")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("ray-dashboard", svc.identified_version)
    assert any("Ray Dashboard" in e.observed for e in service.evidence)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.17.1", svc.port)
    assert (service.product, service.version) == ("ray-dashboard", svc.identified_version)


def test_token_auth_hides_the_version():
    assert BY_TWIN["hardened"].version_observable is False and BY_TWIN["hardened"].identified_version is None


# What the twins answer, as the real ray 2.60.0 did (token auth on, then RAY_AUTH_MODE=disabled).
CASES = [
    # (method, path, headers, open twin, token twin)
    ("GET", "/", {}, 200, 200),  # the SPA needs no token
    ("GET", "/api/version", {}, 200, 401),
    ("GET", "/api/jobs/", {}, 200, 401),
    ("GET", "/api/jobs/", {"Host": "rebind.test:{port}", "Origin": "http://rebind.test:{port}"}, 200, 401),
    ("POST", "/api/jobs/", {"User-Agent": "Mozilla/5.0", "Content-Type": "application/json"}, 405, 401),
]


@pytest.mark.parametrize("method,path,headers,open_status,token_status", CASES)
async def test_twins_answer_as_ray_does(method, path, headers, open_status, token_status):
    for svc, want in ((BY_TWIN["vulnerable"], open_status), (BY_TWIN["hardened"], token_status)):
        async with started(svc) as handle:
            sent = {k: v.format(port=handle.port) for k, v in headers.items()}
            status, got = await exchange("127.0.0.1", handle.port, method, path, sent, b"{}" if method == "POST" else b"")
        assert status == want, (svc.key, method, path, headers)
        assert got["server"].startswith("Python/3") and "aiohttp/" in got["server"]
        assert "access-control-allow-origin" not in got
