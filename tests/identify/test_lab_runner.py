"""`gatescan lab up` logic: distinct loopback addresses, manifest, clean stop; compose matches."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest
import yaml

from gatescan._paths import data_dir, import_lab
from gatescan.labrun import DEFAULT_BASE, LabError, addresses, lab_table, plan, run_lab, running_lab, start_lab
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


def _listeners_by_pid(pids: list[int]) -> dict[tuple[str, int], int]:
    """(host, port) of every IPv4 listener in this namespace -> the pid (of `pids`) holding it."""
    import os
    import socket
    import struct

    inodes = {}
    for line in Path("/proc/self/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A":  # LISTEN
            addr, port = fields[1].split(":")
            host = socket.inet_ntoa(struct.pack("<I", int(addr, 16)))
            inodes[fields[9]] = (host, int(port, 16))
    owners = {}
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    owners[inodes[link[8:-1]]] = pid
    return owners


@requires_netns
async def test_procs_deals_disjoint_shares_to_processes_and_keeps_one_manifest():
    import os

    only = ["openclaw-gateway", "ollama", "decoys"]
    want = [svc.manifest_entry(host, port) for svc, host, port in plan(only, count=2, base="127.0.30.1")]
    async with running_lab(only, count=2, base="127.0.30.1", procs=3) as lab:
        assert lab.entries == want  # one manifest, in plan order, whichever process serves it
        children = [h.proc.pid for h in lab.handles if hasattr(h, "proc")]
        assert len(children) == 2
        owners = _listeners_by_pid([os.getpid(), *children])
        served = [owners.get((e["host"], e["port"])) for e in lab.entries]
        # round-robin: entry i is served by process i % 3, each listener by exactly one process
        assert served == [[os.getpid(), *children][i % 3] for i in range(len(want))]
        for e in lab.entries:  # every share answers
            _, writer = await asyncio.wait_for(asyncio.open_connection(e["host"], e["port"]), 5)
            writer.close()
    for pid in children:  # closing the lab ends its share processes and frees their ports
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    with pytest.raises(OSError):
        await asyncio.wait_for(asyncio.open_connection(want[1]["host"], want[1]["port"]), 2)


@requires_netns
async def test_procs_a_share_that_cannot_start_stops_the_whole_lab():
    import socket

    placed = plan(["openclaw-gateway"], count=1, base="127.0.31.1")
    _, host, port = placed[1]  # share 1 of 2: a child process's
    taken = socket.socket()
    taken.bind((host, port))
    taken.listen()
    try:
        with pytest.raises(LabError, match=f"{host}:{port}"):
            await start_lab(["openclaw-gateway"], base="127.0.31.1", procs=2)
        with pytest.raises(OSError):  # the parent's own share was stopped too
            await asyncio.wait_for(asyncio.open_connection(placed[0][1], placed[0][2]), 2)
    finally:
        taken.close()
    with pytest.raises(LabError, match="--procs"):
        await start_lab(["openclaw-gateway"], procs=0)
