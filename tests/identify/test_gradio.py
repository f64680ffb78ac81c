"""Gradio: both twins are named `gradio` (the version only without auth), and they answer the
API and CORS requests as the real gradio 6.31.0 did (lab/gradio.py)."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import get as fingerprint
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("gradio")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("gradio", svc.identified_version)


CASES = [
    # (host to call, headers, vulnerable (status, ACAO), hardened (status, ACAO))
    ("127.0.0.1", {"Origin": "http://evil.example"}, (200, None), (401, None)),
    ("127.0.0.1", {"Origin": "http://localhost:3000"}, (200, "http://localhost:3000"), (401, "http://localhost:3000")),
    ("127.0.0.1", {"Origin": "null"}, (200, None), (401, None)),  # strict CORS: null is not local
    ("127.0.0.1", {"Host": "rebind.test:{port}", "Origin": "http://rebind.test:{port}"},
     (200, "http://rebind.test:{port}"), (401, "http://rebind.test:{port}")),
]


@pytest.mark.parametrize("host,headers,vulnerable,hardened", CASES)
async def test_twins_answer_as_gradio_does(host, headers, vulnerable, hardened):
    for svc, (want, acao) in zip(TWINS, (vulnerable, hardened)):
        async with started(svc) as handle:
            sent = {k: v.format(port=handle.port) for k, v in headers.items()}
            port = handle.port
            status, got = await exchange(host, port, "GET", "/gradio_api/info", sent)
        assert status == want, (svc.key, headers)
        assert got.get("access-control-allow-origin") == (acao.format(port=port) if acao else None)
        assert got.get("access-control-allow-credentials") == "true"
        assert got.get("server") == "uvicorn"


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_checks_on_a_lab_address(svc):
    # 127.0.10.x is not one of Gradio's localhost names: every Origin is reflected there.
    async with started(svc, "127.0.10.12", 0) as handle, Client() as client:
        service = await identify(Endpoint("127.0.10.12", handle.port), client)
        findings = await run_checks(service, fingerprint("gradio"), client)
    assert {f.check for f in findings} == set(svc.expected)
