"""anythingllm: both twins are named `anythingllm` (the version where the product shows one without
credentials), and auth.missing tells the open twin from the hardened one (lab/anythingllm.py)."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import get as fingerprint
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._twins import identify_twin, lab_twins, started

TWINS = lab_twins("anythingllm")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("anythingllm", svc.identified_version)


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_checks(svc):
    async with started(svc) as handle, Client() as client:
        service = await identify(Endpoint("127.0.0.1", handle.port), client)
        findings = await run_checks(service, fingerprint("anythingllm"), client)
    assert {f.check for f in findings} == set(svc.expected)
    assert next(c for c in service.checks if c.check == "auth.missing").result.value == (
        "finding" if svc.expected else "passed")
