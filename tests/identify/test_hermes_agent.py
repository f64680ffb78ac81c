"""Hermes Agent: the API server twins and the dashboard are named `hermes-agent` with their
version and variant; the API key and dashboard token decide auth.missing (lab/hermes_agent.py)."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import get as fingerprint
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started

TWINS = lab_twins("hermes_agent")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("hermes-agent", svc.identified_version)
    assert service.extra["attributes"]["variant"] == ("dashboard" if "dashboard" in svc.key else "API server")


async def test_dashboard_refuses_a_rebinding_host():
    svc = next(s for s in TWINS if "dashboard" in s.key)
    async with started(svc) as handle:
        status, _ = await exchange("127.0.0.1", handle.port, "GET", "/api/status", {"Host": f"rebind.test:{handle.port}"})
    assert status == 400  # GHSA-ppp5-vxwm-4cf7's Host check


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_checks(svc):
    async with started(svc) as handle, Client() as client:
        service = await identify(Endpoint("127.0.0.1", handle.port), client)
        findings = await run_checks(service, fingerprint("hermes-agent"), client)
    assert {f.check for f in findings} == set(svc.expected)
    assert next(c for c in service.checks if c.check == "auth.missing").result.value == (
        "finding" if svc.expected else "passed")
