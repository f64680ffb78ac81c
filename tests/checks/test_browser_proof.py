"""--browser-proof with a real headless Chromium: a vulnerable twin is driven from a page and its
hardened twin refuses it, the real OpenClaw gateway refuses it, and Local Network Access is told
apart (a loopback page is exempt, a public page and a rebinding page are blocked). Bad input:
no Chromium, and a target that never answers, cost the proof's deadline and nothing more."""

from __future__ import annotations

import asyncio

import pytest

from gatescan.checks import browser as proofs
from gatescan.checks.registry import Outcome
from gatescan.checks.runner import ServiceRun, fingerprint_checks, run_checks
from gatescan.identify import fingerprints as fpmod
from gatescan.model import Report, Service
from gatescan.net.cdp import find_chromium
from tests.identify._twins import lab_twins, started
from tests.netns import requires_netns

# Chromium phones home at start and resolves names: only inside the private namespace.
pytestmark = [requires_netns, pytest.mark.slow,
              pytest.mark.skipif(find_chromium() is None, reason="no chromium on PATH")]


def _twin(module: str, key: str):
    return next(s for s in lab_twins(module) if s.key == key)


async def _scan(client, svc, product: str, prover, validate_report):
    """run_checks on a started twin with the proof on; the report validates against the schema."""
    async with started(svc) as handle:
        service = Service(host="127.0.0.1", port=handle.port, product=product)
        findings = await run_checks(service, fpmod.get(product), client, proof=prover.prove)
    report = Report(services=[service], findings=findings)
    report.finish()
    validate_report(report.to_dict())
    return {f.check: f for f in findings}


async def _prove(client, prover, host: str, port: int, product: str, check_id: str, target: str | None = None,
                 data: dict | None = None):
    """The proof of `check_id` on a service that passed the check (a hardened twin, the real
    gateway): what a browser page gets there."""
    service = Service(host=host, port=port, product=product)
    params = fingerprint_checks(fpmod.get(product))
    run = ServiceRun(service, params, client)
    outcome = Outcome.finding("as if found", "", [], target=target, data=data or {})
    return await prover.prove(run, check_id, params[check_id], outcome)


async def test_ws_origin_vulnerable_twin_is_driven_and_hardened_twin_refuses(client, validate_report):
    async with proofs.BrowserProof() as prover:
        found = await _scan(client, _twin("openclaw", "openclaw-gateway-2026.2.24"), "openclaw-gateway",
                            prover, validate_report)
        browser = found["ws.origin.unchecked"].evidence.browser
        local, public = browser["runs"]
        assert browser["connected"] and browser["result"] == "confirmed"
        assert browser["chromium"].split(".")[0].isdigit()
        # the loopback page's connect frame reached the token check; the public page was stopped by LNA
        assert local["connected"] and "credential/device gate" in local["note"]
        assert not public["connected"] and public["blocked_by_local_network_access"]
        assert browser["verdict"] == proofs.LNA_BLOCKED
        assert browser["page_origin"] == local["page_origin"] != public["page_origin"]

        hardened = _twin("openclaw", "openclaw-gateway-2026.9.6")
        async with started(hardened) as handle:
            refused = await _prove(client, prover, "127.0.0.1", handle.port, "openclaw-gateway",
                                   "ws.origin.unchecked", target=f"ws://127.0.0.1:{handle.port}/")
        assert refused["result"] == "not_confirmed" and not refused["connected"]
        assert "Origin" in refused["runs"][0]["note"]  # refused on Origin, not by LNA
        assert len(prover._browsers) == 1  # one browser for every proof of the scan


async def test_cors_and_rebinding_on_ollama_and_the_lna_pair(client, validate_report):
    async with proofs.BrowserProof() as prover:
        found = await _scan(client, _twin("ollama", "ollama-vulnerable"), "ollama", prover, validate_report)
        cors = found["http.cors.permissive"].evidence.browser
        assert [r["connected"] for r in cors["runs"]] == [True, False]
        assert cors["runs"][1]["blocked_by_local_network_access"] and cors["verdict"] == proofs.LNA_BLOCKED
        assert '"models"' in cors["read"]["body"]

        rebind = found["http.host.unchecked"].evidence.browser
        attack, without = rebind["runs"]
        assert rebind["page_origin"].startswith("http://rebind.test:")
        assert not attack["connected"] and attack["blocked_by_local_network_access"]
        assert without["connected"] and '"models"' in without["read"]["body"]
        assert rebind["verdict"] == proofs.LNA_BLOCKED_REBIND

        async with started(_twin("ollama", "ollama-hardened")) as handle:
            for check_id in ("http.cors.permissive", "http.host.unchecked"):
                refused = await _prove(client, prover, "127.0.0.1", handle.port, "ollama", check_id)
                assert not refused["connected"] and refused["result"] == "not_confirmed", check_id
                assert not any(r["connected"] for r in refused["runs"]), check_id


@pytest.mark.real
async def test_real_openclaw_gateway_refuses_the_page(client, real_openclaw_token):
    gateway = real_openclaw_token
    async with proofs.BrowserProof() as prover:
        refused = await _prove(client, prover, gateway.host, gateway.port, "openclaw-gateway",
                               "ws.origin.unchecked", target=gateway.ws_url)
    assert refused["result"] == "not_confirmed"
    local = refused["runs"][0]
    assert not local["connected"] and "origin not allowed" in local["note"].lower()


@pytest.mark.parametrize("broken", ["missing", "crashing"])
async def test_no_chromium_is_inconclusive_and_the_scan_goes_on(client, validate_report, tmp_path, broken):
    executable = "/nonexistent/chromium"
    if broken == "crashing":  # starts, then dies before it opens its DevTools port
        executable = str(tmp_path / "chromium")
        (tmp_path / "chromium").write_text("#!/bin/sh\nexit 3\n")
        (tmp_path / "chromium").chmod(0o755)
    async with proofs.BrowserProof(executable=executable) as prover:
        found = await _scan(client, _twin("ollama", "ollama-vulnerable"), "ollama", prover, validate_report)
    assert {"auth.missing", "http.cors.permissive", "http.host.unchecked"} <= set(found)
    for check_id in ("http.cors.permissive", "http.host.unchecked"):
        browser = found[check_id].evidence.browser
        assert browser["result"] == "inconclusive" and not browser["connected"]
        assert ("no Chromium" if broken == "missing" else "exited at start (status 3)") in browser["reason"]
    assert found["auth.missing"].evidence.browser is None


async def test_a_target_that_never_answers_costs_the_deadline(client):
    held: list[asyncio.StreamWriter] = []

    async def silent(reader, writer):  # accepts, reads, never answers
        held.append(writer)
        await reader.read(1 << 16)

    async def garbage(reader, writer):
        await reader.read(1024)
        writer.write(b"\x00\xffnot http at all\r\n\r\n" * 50)
        await writer.drain()
        writer.close()

    servers = [await asyncio.start_server(h, "127.0.0.1", 0) for h in (silent, garbage)]
    try:
        async with proofs.BrowserProof(deadline=12.0) as prover:
            for server in servers:
                port = server.sockets[0].getsockname()[1]
                ws = await _prove(client, prover, "127.0.0.1", port, "openclaw-gateway", "ws.origin.unchecked",
                                  target=f"ws://127.0.0.1:{port}/")
                cors = await _prove(client, prover, "127.0.0.1", port, "ollama", "http.cors.permissive")
                for result in (ws, cors):
                    # it returns (the proof's own deadline bounds it) and proves nothing
                    assert not result["connected"] and result["result"] in ("not_confirmed", "inconclusive")
    finally:
        for writer in held:
            writer.close()
        for server in servers:
            server.close()


async def test_an_ipv6_loopback_target_is_reached(client, validate_report):
    """`[::1]` is let through the resolver rules, and `rebind.test` maps to it."""
    svc = _twin("ollama", "ollama-vulnerable")
    async with proofs.BrowserProof() as prover:
        async with started(svc, "::1") as handle:
            service = Service(host="::1", port=handle.port, product="ollama")
            findings = {f.check: f for f in await run_checks(service, fpmod.get("ollama"), client, proof=prover.prove)}
    cors = findings["http.cors.permissive"].evidence.browser
    assert cors["runs"][0]["connected"] and cors["verdict"] == proofs.LNA_BLOCKED
    rebind = findings["http.host.unchecked"].evidence.browser
    assert rebind["runs"][1]["connected"] and rebind["verdict"] == proofs.LNA_BLOCKED_REBIND
