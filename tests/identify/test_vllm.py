"""vLLM: both twins named `vllm` with the version /version shows even behind --api-key, and the
twins answer as vLLM's API server and its key middleware do."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("vllm")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("vllm", svc.version)
    assert any("vllm:num_requests" in e.observed for e in service.evidence)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.22", svc.port)
    assert (service.product, service.version) == ("vllm", svc.version)


CASES = [
    # (path, vulnerable (no key), hardened (--api-key)): the key guards /v1 only
    ("/v1/models", 200, 401),
    ("/version", 200, 200),
    ("/metrics", 200, 200),
    ("/health", 200, 200),
]


@pytest.mark.parametrize("path,vulnerable,hardened", CASES)
async def test_twins_answer_as_vllm_does(path, vulnerable, hardened):
    for svc, want in ((BY_TWIN["vulnerable"], vulnerable), (BY_TWIN["hardened"], hardened)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, "GET", path, {"Origin": "http://scanner.invalid"})
        assert status == want, (svc.key, path)
        assert got["server"] == "uvicorn"
        # --allowed-origins ["*"] by default; an explicit list sends nothing to a foreign page
        assert got.get("access-control-allow-origin") == ("*" if svc.twin == "vulnerable" else None)
