"""LocalAI: both twins named `localai` with their version (from /version, or the public
discovery document when a key guards /version), answering as LocalAI's auth middleware does."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("localai")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("localai", svc.version)
    assert any('alt="LocalAI Logo"' in e.observed for e in service.evidence)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.23", svc.port)
    assert (service.product, service.version) == ("localai", svc.version)


CASES = [
    # (path, vulnerable (no key), hardened (LOCALAI_API_KEY))
    ("/v1/models", 200, 401),
    ("/version", 200, 401),
    ("/system", 200, 401),
    ("/", 200, 200),  # the UI shell is public
    ("/readyz", 200, 200),
    ("/.well-known/localai.json", 404, 200),  # newer releases only; public by design
]


@pytest.mark.parametrize("path,vulnerable,hardened", CASES)
async def test_twins_answer_as_localai_does(path, vulnerable, hardened):
    for svc, want in ((BY_TWIN["vulnerable"], vulnerable), (BY_TWIN["hardened"], hardened)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, "GET", path, {"Origin": "http://scanner.invalid"})
        assert status == want, (svc.key, path)
        assert "access-control-allow-origin" not in got  # CORS is off by default
        if status == 401:
            assert got["www-authenticate"] == "Bearer"
