"""text-generation-webui: both API twins named `text-generation-webui` with no version (none is
shown), the hardened one through FastAPI's open schema; and the API's Host check without
--listen, which a lab address cannot host, checked on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("text_generation_webui")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_without_a_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("text-generation-webui", None)
    assert any("/v1/internal/" in e.observed for e in service.evidence)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.25", svc.port)
    assert service.product == "text-generation-webui"


@pytest.mark.parametrize("path,vulnerable,hardened", [
    ("/v1/internal/model/info", 200, 401),
    ("/v1/models", 200, 401),
    ("/openapi.json", 200, 200),  # FastAPI's schema route has no key dependency
])
async def test_twins_answer_as_the_api_does(path, vulnerable, hardened):
    for svc, want in ((BY_TWIN["vulnerable"], vulnerable), (BY_TWIN["hardened"], hardened)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, "GET", path, {"Origin": "http://scanner.invalid"})
        assert status == want, (svc.key, path)
        # CORSMiddleware(allow_origins=["*"], allow_credentials=True), hard-coded
        assert got["access-control-allow-origin"] == "*" and got["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("host,want", [("127.0.0.1:{port}", 200), ("localhost:{port}", 200),
                                       ("rebind.test:{port}", 400), ("10.1.2.3:{port}", 400)])
async def test_without_listen_only_a_loopback_host_passes(host, want):
    import importlib

    tgw = importlib.import_module("gatescan.lab.text_generation_webui")
    base = importlib.import_module("gatescan.lab.base")
    handle = await base.serve_app(tgw.app(None, listen=False), "127.0.0.1", 0)
    try:
        status, _ = await exchange("127.0.0.1", handle.port, "GET", "/v1/internal/model/info",
                                   {"Host": host.format(port=handle.port)})
    finally:
        await handle.close()
    assert status == want  # validate_host_header: {"detail": "Invalid host header"}
