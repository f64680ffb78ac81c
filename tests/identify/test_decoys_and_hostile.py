"""Decoys are never named as an agent product, and hostile servers cost the scanner at most its
per-endpoint deadline and bounded memory: an `unknown` service or an error record, never a crash."""

from __future__ import annotations

import asyncio
import tracemalloc

import pytest

from gatescan._paths import import_lab
from gatescan.identify.engine import identify, identify_all
from gatescan.labrun import running_lab
from gatescan.model import Endpoint
from gatescan.net.client import Client
from gatescan.net.limits import Limits
from tests.identify._twins import started
from tests.netns import requires_netns

DEADLINE = 6.0
HANG = 20 * DEADLINE  # not a timing claim: only a server the deadline does not end gets near it
HOSTILE = [s.key for s in import_lab().services(include_hostile=True) if s.twin == "decoy"]


async def test_decoys_on_free_ports_are_unknown():
    errors = []
    for svc in [s for s in import_lab().services() if s.twin == "decoy"]:
        async with started(svc) as handle:
            async with Client(Limits(endpoint_deadline=DEADLINE)) as client:
                service = await identify(Endpoint("127.0.0.1", handle.port), client, on_error=errors.append)
        assert service.product == "unknown", svc.key
        assert service.version is None


@requires_netns
async def test_hostile_servers_finish_within_the_deadline_with_bounded_memory():
    errors = []
    tracemalloc.start()
    try:
        async with running_lab(HOSTILE, base="127.0.40.0") as lab, \
                Client(Limits(endpoint_deadline=DEADLINE)) as client:
            by_key = {e["key"]: e for e in lab.entries}
            endpoints = [Endpoint(e["host"], e["port"]) for e in lab.entries]
            # a tarpit or drip the per-endpoint deadline failed to end would hold the batch for
            # ever: a hard bound far past any deadline turns that into a failure, not a hang
            async with asyncio.timeout(HANG):
                services = [s async for s in identify_all(endpoints, client, concurrency=64, on_error=errors.append)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, peak
    assert len(services) == len(HOSTILE)
    assert {s.product for s in services} == {"unknown"}
    found = {(s.host, s.port): s for s in services}
    banner = found[(by_key["hostile-banner"]["host"], by_key["hostile-banner"]["port"])]
    assert banner.banner.startswith("SSH-2.0-OpenSSH")
    tls = found[(by_key["hostile-tls-only"]["host"], by_key["hostile-tls-only"]["port"])]
    assert tls.tls is True and "TLS only" in tls.banner
    assert len(tls.extra["tls_cert"]["sha256"]) == 64 and tls.extra["tls_cert"]["tls_version"].startswith("TLS")
    for key in ("decoy-tarpit", "decoy-drip", "hostile-garbage", "hostile-huge-header", "hostile-many-headers"):
        entry = by_key[key]
        svc = found[(entry["host"], entry["port"])]
        assert any("no HTTP response" in e.observed for e in svc.evidence), key
        assert any(err.where.endswith(f"{entry['host']}:{entry['port']}") for err in errors), key
    for key in ("hostile-bad-ws-frame", "hostile-huge-ws-frame", "hostile-endless-body"):
        entry = by_key[key]
        assert found[(entry["host"], entry["port"])].banner.startswith("HTTP 200"), key


async def test_closed_port_is_unknown_with_an_error():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    errors = []
    async with Client() as client:
        service = await identify(Endpoint("127.0.0.1", port), client, on_error=errors.append)
    assert service.product == "unknown" and errors and "connect" in errors[0].message


async def test_identify_all_streams_and_stops_early():
    svc = import_lab().get("decoy-web")
    handles = [await svc.start("127.0.0.1", 0) for _ in range(5)]

    async def endpoints():
        for h in handles:
            yield Endpoint("127.0.0.1", h.port)
            await asyncio.sleep(0)

    try:
        async with Client() as client:
            stream = identify_all(endpoints(), client, concurrency=2)
            first = await stream.__anext__()
            assert first.product == "unknown"
            await stream.aclose()  # leaves no task behind
            rest = [s async for s in identify_all(endpoints(), client, concurrency=2)]
            assert len(rest) == 5
    finally:
        for h in handles:
            await h.close()


async def test_a_failing_endpoint_stream_fails_identify_all_as_itself_and_leaves_no_task():
    svc = import_lab().get("decoy-web")
    handle = await svc.start("127.0.0.1", 0)

    class SweepBroke(RuntimeError):
        pass

    async def endpoints():
        yield Endpoint("127.0.0.1", handle.port)
        raise SweepBroke("the sweep failed")

    try:
        async with Client() as client:
            with pytest.raises(SweepBroke):  # not an ExceptionGroup: the pipeline reports it as is
                async for _ in identify_all(endpoints(), client, concurrency=2):
                    pass
            assert not _identify_tasks()  # the feeder and every identification were waited for
    finally:
        await handle.close()


def _identify_tasks() -> list[asyncio.Task]:
    """Live tasks running code of the identify engine (the lab's own server tasks aside)."""
    return [t for t in asyncio.all_tasks()
            if getattr(getattr(t.get_coro(), "cr_code", None), "co_filename", "").endswith("identify/engine.py")]
