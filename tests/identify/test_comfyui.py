"""ComfyUI: both twins are named with their version; the default Origin check (ComfyUI's
origin_only_middleware) refuses foreign Origins and cross-site fetches but lets `Origin: null`
and any non-loopback Host through, exactly as the source does."""

from __future__ import annotations

import pytest

from tests.identify._real import UPGRADE, exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("comfyui")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("comfyui", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.17.2", svc.port)
    assert (service.product, service.version) == ("comfyui", svc.identified_version)


CASES = [
    # (headers, --enable-cors-header '*', defaults)
    ({}, 200, 200),
    ({"Origin": "http://scanner.invalid"}, 200, 403),
    ({"Origin": "http://127.0.0.1:{port}"}, 200, 200),
    ({"Origin": "http://127.0.0.1.attacker.invalid:{port}"}, 200, 403),
    ({"Origin": "null"}, 200, 200),  # no host in the Origin: the comparison is skipped
    ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, 200, 403),  # ...but a browser also says cross-site
    ({"Host": "rebind.test:{port}", "Origin": "http://rebind.test:{port}"}, 200, 200),  # Host not loopback
]


@pytest.mark.parametrize("headers,cors,default", CASES)
async def test_queue_and_ws_answer_as_comfyui_does(headers, cors, default):
    for svc, want in ((BY_TWIN["vulnerable"], cors), (BY_TWIN["hardened"], default)):
        async with started(svc) as handle:
            sent = {k: v.format(port=handle.port) for k, v in headers.items()}
            status, got = await exchange("127.0.0.1", handle.port, "GET", "/queue", sent)
            ws_status, _ = await exchange("127.0.0.1", handle.port, "GET", "/ws?clientId=t", {**UPGRADE, **sent})
        assert status == want, (svc.key, headers)
        assert ws_status == (101 if want == 200 else 403), (svc.key, headers)
        assert ("access-control-allow-origin" in got) == (svc.twin == "vulnerable")
