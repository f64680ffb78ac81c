"""The real OpenClaw gateway (openclaw@2026.9.6 by default) is named with its version in auth
`none` and `token` modes: the Control UI build id and, under auth none, the config leak."""

from __future__ import annotations

import pytest

from gatescan.identify.engine import identify
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.netns import requires_netns
from tests.openclaw_real import real_openclaw_factory  # noqa: F401 - fixture

pytestmark = [requires_netns, pytest.mark.real]


@pytest.mark.parametrize("mode", ["none", "token"])
async def test_real_gateway_is_named_with_its_version(real_openclaw_factory, mode):  # noqa: F811
    gw = real_openclaw_factory(mode)
    errors = []
    async with Client() as client:
        service = await identify(Endpoint(gw.host, gw.port), client, on_error=errors.append)
    assert service.product == "openclaw-gateway", (service.to_dict(), gw.log_tail())
    assert service.version == gw.version
    assert service.confidence >= 0.9
    assert service.extra["attributes"]["protocol"] == "4"
    observed = " | ".join(e.observed for e in service.evidence)
    assert "data-openclaw-control-ui-build-id" in observed and "connect.challenge" in observed
    assert "status 405" in observed  # GET /tools/invoke before any auth check
    assert not errors
