"""Langflow: both twins named `langflow` with the version /api/v1/version shows without a login;
the old AUTO_LOGIN default answers the API to anyone, 1.13's refuses. The twins' answers follow
langflow 1.13.0 as run here (main.py, the auth dependency) and the older defaults."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("langflow")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("langflow", svc.version)
    assert any("package=Langflow" in e.observed for e in service.evidence)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.28", svc.port)
    assert (service.product, service.version) == ("langflow", svc.version)


@pytest.mark.parametrize("path,vulnerable,hardened", [
    ("/api/v1/flows/", 200, 403),
    ("/api/v1/version", 200, 200),  # public
    ("/health", 200, 200),
    ("/flows", 200, 200),  # the UI
])
async def test_twins_answer_as_langflow_does(path, vulnerable, hardened):
    for svc, want in ((BY_TWIN["vulnerable"], vulnerable), (BY_TWIN["hardened"], hardened)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, "GET", path, {"Origin": "http://scanner.invalid"})
        assert status == want, (svc.key, path)
        # LANGFLOW_CORS_ORIGINS "*": every page; credentials only before the wildcard override
        assert got["access-control-allow-origin"] == "*"
        assert got.get("access-control-allow-credentials") == ("true" if svc.twin == "vulnerable" else None)
