"""exposure.network and tls.missing inside the suite's private namespace, where 10.99.0.1 is a
real non-loopback address (an alias on lo): lab twins served there are exposed, the same twins on
127.x are not (or cannot be told), a listen address local mode saw decides a loopback scan, TLS
passes tls.missing. Also auth.ratelimit.missing off loopback, rated without the loopback cap."""

from __future__ import annotations

import contextlib
import re

import pytest
from aiohttp import web

import lab as labpkg
from gatescan.checks import run_checks
from gatescan.identify import engine as identify
from gatescan.identify.fingerprints import get
from gatescan.model import Endpoint, Service
from gatescan.net.client import Client
from tests.netns import requires_netns

EXPOSED = "10.99.0.1"  # the suite's namespace aliases it on lo (docs/architecture.md, Safety)


@contextlib.asynccontextmanager
async def served(key: str, host: str):
    svc = labpkg.get(key)
    handle = await svc.start(host, svc.port)
    try:
        yield svc.port
    finally:
        await handle.close()


async def scan(key: str, host: str, *, intrusive: bool = False):
    async with served(key, host) as port, Client() as client:
        service = await identify.identify(Endpoint(host, port), client)
        findings = await run_checks(service, get(service.product), client, intrusive=intrusive)
    return service, {c.check: c for c in service.checks}, {f.check: f for f in findings}


@requires_netns
async def test_an_unauthenticated_service_on_a_private_address_is_exposed_at_its_impact_class():
    service, results, found = await scan("ollama-vulnerable", EXPOSED)
    assert service.product == "ollama" and not service.tls
    exposure, tls = found["exposure.network"], found["tls.missing"]
    assert exposure.severity.value == "medium"  # inference class, auth missing: not lowered
    assert f"{EXPOSED}:11434" in exposure.evidence.summary
    assert "other machines on this private network" in exposure.evidence.summary
    assert "without authentication" in exposure.evidence.summary
    assert "not from the internet" in exposure.evidence.summary
    assert exposure.evidence.exchanges and exposure.remediation.startswith("Set OLLAMA_HOST=127.0.0.1")
    assert tls.severity.value == "low"  # a step below inference's medium
    assert "plaintext" in tls.evidence.summary


@requires_netns
async def test_authentication_lowers_exposure_and_plaintext_carries_the_credential():
    _, results, found = await scan("openclaw-gateway-2026.9.6", EXPOSED)
    assert results["auth.missing"].result.value == "passed"
    exposure, tls = found["exposure.network"], found["tls.missing"]
    assert exposure.severity.value == "medium"  # control (critical), two steps: auth enforced
    assert "does require authentication" in exposure.evidence.summary
    assert tls.severity.value == "high"
    assert "its credential (token or password)" in tls.evidence.summary


@requires_netns
async def test_the_same_twin_on_loopback_is_not_judged_exposed():
    _, results, found = await scan("ollama-vulnerable", "127.0.0.1")
    assert "exposure.network" not in found and "tls.missing" not in found
    assert results["exposure.network"].result.value == "not_applicable"
    assert "scanned over loopback" in results["exposure.network"].reason
    assert results["tls.missing"].result.value == "not_applicable"


@pytest.mark.parametrize("bind, result", [("0.0.0.0", "finding"), ("::", "finding"), ("127.0.0.1", "passed"),
                                          ("::1", "passed"), (None, "not_applicable")])
async def test_a_listen_address_seen_locally_decides_a_loopback_scan(bind, result):
    service = Service(host="127.0.0.1", port=8888, product="jupyter-server", product_name="Jupyter Server", bind=bind)
    async with Client() as client:
        findings = await run_checks(service, {"checks": {"exposure.network": None}}, client)
        assert client.probes == 0
    assert service.checks[0].result.value == result, service.checks[0].reason
    if result == "finding":
        assert "every interface" in findings[0].evidence.summary


@requires_netns
async def test_tls_on_a_non_loopback_address_passes_tls_missing():
    from lab.decoys import self_signed_context

    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="Ollama is running"))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, EXPOSED, 11434, ssl_context=self_signed_context())
    await site.start()
    try:
        async with Client() as client:
            service = await identify.identify(Endpoint(EXPOSED, 11434), client)
            findings = await run_checks(service, {"checks": {"exposure.network": None, "tls.missing": None}}, client)
    finally:
        await runner.cleanup()
    assert service.product == "ollama" and service.tls
    results = {c.check: c for c in service.checks}
    assert results["tls.missing"].result.value == "passed"
    assert {f.check for f in findings} == {"exposure.network"}


@requires_netns
async def test_no_throttling_off_loopback_is_rated_without_the_loopback_cap():
    _, results, found = await scan("openclaw-gateway-2026.2.24", EXPOSED, intrusive=True)
    finding = found["auth.ratelimit.missing"]
    assert finding.severity.value == "high"  # control, a step lower; no loopback cap
    assert "over loopback" not in finding.evidence.summary
    # the hardened twin throttles a non-loopback client without an Origin (its own Origin,
    # 10.99.0.1, is no loopback one, so the check falls back to none)
    _, results, found = await scan("openclaw-gateway-2026.9.6", EXPOSED, intrusive=True)
    assert "auth.ratelimit.missing" not in found
    assert results["auth.ratelimit.missing"].result.value == "passed"
    assert re.search(r"throttled after 1\d random wrong tokens", results["auth.ratelimit.missing"].reason)
