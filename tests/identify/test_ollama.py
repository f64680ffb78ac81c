"""Ollama: both lab twins are named `ollama` with their version, on a free port and on 11434."""

from __future__ import annotations

import pytest

from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("ollama")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("ollama", svc.identified_version)
    assert any("Ollama is running" in e.observed for e in service.evidence)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.11", svc.port)
    assert (service.product, service.version) == ("ollama", svc.identified_version)


def test_twins_differ_where_the_checks_look():
    vulnerable, hardened = (next(s for s in TWINS if s.twin == t) for t in ("vulnerable", "hardened"))
    assert {"auth.missing", "http.cors.permissive", "http.host.unchecked"} <= set(vulnerable.expected)
    # No auth exists in Ollama: even the hardened twin answers /api/tags to anyone.
    assert hardened.expected == ("auth.missing",)


# What the twins answer to the requests the checks send, as products.md §1.2 describes Ollama
# (no real Ollama is installable from a package registry, so the facts are checked here).

from tests.identify._real import exchange  # noqa: E402

CASES = [
    # (request headers, vulnerable 0.1.28 with OLLAMA_ORIGINS=*, hardened 0.17.1 defaults)
    ({}, 200, 200),
    ({"Origin": "http://scanner.invalid"}, 200, 403),  # gin-contrib/cors aborts a foreign Origin
    ({"Origin": "http://localhost:3000"}, 200, 200),  # the default allowlist
    ({"Origin": "vscode-webview://abc"}, 200, 200),
    ({"Host": "rebind.test:{port}"}, 200, 403),  # allowedHostsMiddleware (>= 0.1.29, loopback bind)
    ({"Host": "ollama.internal:{port}"}, 200, 200),
    ({"Host": "10.1.2.3:{port}"}, 200, 200),
]


@pytest.mark.parametrize("headers,vulnerable,hardened", CASES)
async def test_twins_answer_api_tags_as_ollama_does(headers, vulnerable, hardened):
    by_twin = {s.twin: s for s in TWINS}
    for svc, want in ((by_twin["vulnerable"], vulnerable), (by_twin["hardened"], hardened)):
        async with started(svc) as handle:
            sent = {k: v.format(port=handle.port) for k, v in headers.items()}
            status, got = await exchange("127.0.0.1", handle.port, "GET", "/api/tags", sent)
        assert status == want, (svc.key, headers)
        if "Origin" in headers and status == 200:
            assert got.get("access-control-allow-origin") == headers["Origin"]
        assert "server" not in got  # Go's net/http names no server
