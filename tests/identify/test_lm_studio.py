"""LM Studio: both twins named `lm-studio` with no version (none is shown without credentials),
and the twins answer as LM Studio's server does (the greeting, 200 for unknown paths, the token)."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("lm_studio")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_without_a_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("lm-studio", None)
    assert not svc.version_observable
    assert any("lmstudio=true" in e.observed for e in service.evidence)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.24", svc.port)
    assert service.product == "lm-studio"


CASES = [
    # (path, vulnerable (no token, CORS on), hardened (Require Authentication))
    ("/lmstudio-greeting", 200, 200),  # the SDK asks it before sending a token
    ("/v1/models", 200, 401),
    ("/api/v0/models", 200, 401),
    ("/", 200, 200),  # "Unexpected endpoint or method. (GET /)", 200 anyway
    ("/props", 200, 200),
]


@pytest.mark.parametrize("path,vulnerable,hardened", CASES)
async def test_twins_answer_as_lm_studio_does(path, vulnerable, hardened):
    for svc, want in ((BY_TWIN["vulnerable"], vulnerable), (BY_TWIN["hardened"], hardened)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, "GET", path, {"Origin": "http://scanner.invalid"})
        assert status == want, (svc.key, path)
        assert got.get("access-control-allow-origin") == ("*" if svc.twin == "vulnerable" else None)
