"""Open WebUI: every twin is named with its version from the public /api/config; an instance
whose admin account is still unclaimed is told apart (variant `first run`) and reported with
that proof, one with WEBUI_AUTH=False with its own."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.identify.fingerprints import get
from gatescan.model import Endpoint
from gatescan.net.client import Client
from gatescan.identify.engine import identify
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("open_webui")
BY_KEY = {s.key: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("open-webui", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.17.3", svc.port)
    assert (service.product, service.version) == ("open-webui", svc.identified_version)


async def _scan(svc):
    async with started(svc) as handle, Client() as client:
        service = await identify(Endpoint("127.0.0.1", handle.port), client)
        findings = await run_checks(service, get("open-webui"), client)
    return service, findings


async def test_unclaimed_admin_is_a_finding_with_evidence():
    service, findings = await _scan(BY_KEY["open-webui-first-run"])
    assert service.extra["attributes"]["variant"] == "first run"
    auth = next(f for f in findings if f.check == "auth.missing" and not f.extra)
    assert "first visitor to sign up becomes the admin" in auth.evidence.summary
    assert '"onboarding":true' in auth.evidence.exchanges[0].response["body"].replace(" ", "")
    assert auth.severity.value == "critical"  # its admin runs Python on the server


async def test_auth_off_is_a_finding_and_a_claimed_instance_is_not():
    service, findings = await _scan(BY_KEY["open-webui-vulnerable"])
    assert "variant" not in service.extra["attributes"]
    auth = next(f for f in findings if f.check == "auth.missing" and not f.extra)
    assert "features.auth is false" in auth.evidence.summary
    service, findings = await _scan(BY_KEY["open-webui-hardened"])
    assert findings == []
    assert {c.check: c.result.value for c in service.checks if not c.extra} == {"auth.missing": "passed"}
