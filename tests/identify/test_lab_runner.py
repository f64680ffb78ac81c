"""`gatescan lab up` logic: distinct loopback addresses, manifest, clean stop; compose matches."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from gatescan._paths import data_dir, import_lab
from gatescan.labrun import DEFAULT_BASE, LabError, addresses, lab_table, plan, run_lab, running_lab
from tests.netns import requires_netns

REPO = Path(__file__).resolve().parents[2]


def test_every_compose_service_is_a_lab_service():
    compose = yaml.safe_load((data_dir("lab") / "compose.yaml").read_text())
    keys = {s.key for s in import_lab().services(include_hostile=True)}
    assert compose["services"]
    for name, spec in compose["services"].items():
        assert spec["x-lab-key"] == name and name in keys, name
        assert spec["command"][0] == name
        for mapping in spec["ports"]:
            host = mapping.split(":")[0]
            assert host.startswith("127."), mapping  # published on loopback only
    assert (data_dir("lab") / "Dockerfile").exists()


def test_plan_places_each_service_on_its_own_address():
    placed = plan(["openclaw-gateway", "decoys"], count=2, base="127.0.10.250")
    hosts = [h for _, h, _ in placed]
    assert len(hosts) == len(set(hosts))
    assert "127.0.10.255" not in hosts and "127.0.11.0" not in hosts
    assert all(port == svc.port for svc, _, port in placed)
    assert {svc.twin for svc, _, _ in placed} == {"vulnerable", "hardened", "decoy"}
    assert not any(svc.hostile for svc, _, _ in plan())


def test_base_is_the_first_address_used():
    # `lab up --base 127.0.0.1` started at 127.0.0.2 while --help says "first address to use"
    assert [h for _, h, _ in plan(["openclaw-gateway", "ollama"], base="127.0.0.1")][:2] == ["127.0.0.1", "127.0.0.2"]
    assert next(addresses("127.0.0.0")) == "127.0.0.1"  # .0 and .255 are skipped
    assert [h for _, h, _ in plan()][0] == DEFAULT_BASE


@requires_netns
def test_the_lab_declares_what_a_scan_of_it_identifies():
    # Twins declared a version the scan could not see (Clawdbot, Moltbot and the Inspector
    # proxies showed `-`): every twin's manifest product/version is what a scan reports.
    from gatescan import app

    async def go():
        async with running_lab() as lab:
            hosts = sorted({e["host"] for e in lab.entries}, key=lambda h: tuple(map(int, h.split("."))))
            ports = ",".join(str(p) for p in sorted({e["port"] for e in lab.entries}))
            request = app.ScanRequest(targets=(f"{hosts[0]}-{hosts[-1].rsplit('.', 1)[1]}",), ports=ports,
                                      checks=False)
            return lab.entries, await app.scan_async(request)

    entries, report = asyncio.run(go())
    scanned = {(s.host, s.port): (s.product, s.version) for s in report.services}
    declared = {(e["host"], e["port"]): (e["product"] or "unknown", e["version"]) for e in entries}
    assert scanned == declared
    hidden = {e["key"]: e["release"] for e in entries if e["product"] and e["version"] is None}
    assert hidden["openclaw-gateway-clawdbot-2026.1.24"] == "2026.1.24"  # the release it imitates stays


@pytest.mark.parametrize("base", ["10.0.0.1", "0.0.0.0", "::1", "not-an-ip"])
def test_lab_refuses_non_loopback_bases(base):
    with pytest.raises(LabError):
        next(addresses(base))


def test_unknown_selection_is_refused():
    with pytest.raises(LabError, match="no-such-product"):
        plan(["no-such-product"])


@requires_netns
async def test_run_lab_writes_the_manifest_then_stops(tmp_path):
    manifest = tmp_path / "lab.json"
    stop = asyncio.Event()
    seen = {}

    def ready(lab):
        seen["manifest"] = json.loads(manifest.read_text())
        seen["table"] = lab_table(lab)
        stop.set()

    await asyncio.wait_for(run_lab(["openclaw-gateway-2026.9.6"], base="127.0.0.0", manifest=manifest,
                                   on_ready=ready, stop=stop), 20)
    [entry] = seen["manifest"]["endpoints"]
    assert entry["host"] == "127.0.0.1" and entry["port"] == 18789
    assert {k: entry[k] for k in ("product", "version", "twin", "expected")} == {
        "product": "openclaw-gateway", "version": "2026.9.6", "twin": "hardened", "expected": []}
    assert seen["table"].row_count == 1
    # stopped: the port is free again
    reader_writer = asyncio.open_connection("127.0.0.1", 18789)
    with pytest.raises(OSError):
        await asyncio.wait_for(reader_writer, 2)
