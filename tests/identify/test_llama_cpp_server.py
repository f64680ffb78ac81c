"""llama.cpp server: both twins named `llama-cpp-server`, the version from /props where no key
hides it, and the twins answer as tools/server/server-http.cpp says llama-server does."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("llama_cpp")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("llama-cpp-server", svc.identified_version)
    assert any("Server: llama.cpp" in e.observed for e in service.evidence)


def test_a_key_hides_the_version():
    assert BY_TWIN["vulnerable"].identified_version == "b4500"
    assert BY_TWIN["hardened"].identified_version is None  # /props is behind --api-key


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.21", svc.port)
    assert (service.product, service.version) == ("llama-cpp-server", svc.identified_version)


CASES = [
    # (path, request headers, vulnerable (no key), hardened (--api-key))
    ("/props", {}, 200, 401),
    ("/props", {"Authorization": "Bearer wrong"}, 200, 401),
    ("/health", {}, 200, 200),  # public
    ("/v1/models", {}, 200, 200),  # public even with a key
    ("/no-such-path", {}, 404, 401),  # the key check runs before routing
]


@pytest.mark.parametrize("path,headers,vulnerable,hardened", CASES)
async def test_twins_answer_as_llama_server_does(path, headers, vulnerable, hardened):
    for svc, want in ((BY_TWIN["vulnerable"], vulnerable), (BY_TWIN["hardened"], hardened)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, "GET", path,
                                         {**headers, "Origin": "http://scanner.invalid"})
        assert status == want, (svc.key, path)
        assert got["server"] == "llama.cpp"
        # the pre-routing handler reflects any Origin, on refusals too
        assert got["access-control-allow-origin"] == "http://scanner.invalid"
