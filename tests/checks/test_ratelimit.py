"""auth.ratelimit.missing on the lab's OpenClaw twins over loopback: only with --intrusive; no
limiter (2026.2.24, Moltbot) is a finding capped at info that says what it left behind; the
current twin's browser-origin limiter throttles it; password mode is found from the refusal; a
gateway without authentication has nothing to throttle."""

from __future__ import annotations

import contextlib
import re

import lab as labpkg
from gatescan.checks import run_checks
from gatescan.identify import engine as identify
from gatescan.identify.fingerprints import get
from gatescan.model import Endpoint
from gatescan.net.client import Client
from lab.base import app_service
from lab.openclaw import OPENCLAW_2026_2_24, Gateway
from tests.netns import requires_netns

pytestmark = requires_netns


@contextlib.asynccontextmanager
async def running(start, port=18789, host="127.0.0.1"):
    handle = await start(host, port)
    try:
        yield host, port
    finally:
        await handle.close()


async def check(start, *, intrusive=True, port=18789):
    async with running(start, port) as (host, port), Client() as client:
        service = await identify.identify(Endpoint(host, port), client)
        scope = client.scope()
        findings = await run_checks(service, get("openclaw-gateway"), scope, intrusive=intrusive)
    results = {c.check: c for c in service.checks}
    return results["auth.ratelimit.missing"], {f.check: f for f in findings}.get("auth.ratelimit.missing"), scope


async def test_without_intrusive_it_sends_nothing_and_says_why():
    result, finding, _ = await check(labpkg.get("openclaw-gateway-2026.2.24").start, intrusive=False)
    assert finding is None and result.result.value == "not_applicable"
    assert "--intrusive" in result.reason and "failed-login" in result.reason


async def test_no_limiter_over_loopback_is_an_info_finding_that_says_what_it_left():
    result, finding, scope = await check(labpkg.get("openclaw-gateway-2026.2.24").start)
    assert result.result.value == "finding"
    assert finding.severity.value == "info"  # over loopback: at most info
    summary = finding.evidence.summary
    assert "20 connects" in summary and "left 20 failed-login entries" in summary
    assert "over loopback" in summary and "exempt loopback" in summary
    assert "own Origin (http://127.0.0.1:18789)" in summary
    assert len(finding.evidence.exchanges) == 2


async def test_the_current_limiter_throttles_a_browser_origin_even_over_loopback():
    result, finding, _ = await check(labpkg.get("openclaw-gateway-2026.9.6").start)
    assert finding is None and result.result.value == "passed", result.reason
    assert re.search(r"throttled after 1\d random wrong tokens", result.reason)
    assert "too many failed authentication attempts" in result.reason


async def test_password_mode_is_read_from_the_refusal():
    start = app_service(lambda: Gateway(OPENCLAW_2026_2_24, "password", "lab-password-not-secret").app())
    result, finding, _ = await check(start)
    assert result.result.value == "finding", result.reason
    assert "wrong password" in finding.evidence.summary


async def test_nothing_to_throttle_without_authentication():
    result, finding, scope = await check(labpkg.get("openclaw-gateway-clawdbot-2026.1.24").start)
    assert finding is None and result.result.value == "not_applicable"
    assert "no login to throttle" in result.reason


async def test_the_scan_api_runs_it_only_with_intrusive():
    """ScanRequest.intrusive (gatescan scan --intrusive) reaches the checks; without it the result
    says why it did not run."""
    from gatescan import app

    async with running(labpkg.get("openclaw-gateway-2026.2.24").start) as (host, port):
        reports = {}
        for intrusive in (False, True):
            request = app.ScanRequest(targets=(host,), ports=str(port), intrusive=intrusive)
            reports[intrusive] = await app.scan_async(request)
    for intrusive, report in reports.items():
        (service,) = report.services
        result = {c.check: c for c in service.checks}["auth.ratelimit.missing"]
        assert result.result.value == ("finding" if intrusive else "not_applicable"), result.reason
        assert ("auth.ratelimit.missing" in {f.check for f in report.findings}) is intrusive
