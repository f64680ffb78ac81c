#!/usr/bin/env python3
"""Identification benchmark (issue 17 Targets; run by hand, never in CI): a lab of ~500 services,
every product's twins and the decoys, scanned whole by the real `gatescan scan`, against nmap -sV
and a bare aiohttp GET loop, in a private network namespace.

    python bench/identify.py                   # re-runs itself under `unshare -rn` if not inside one
    python bench/identify.py --services 500 --subset 50 --lab-procs 4

What it does and prints (markdown):
- `gatescan lab up --count C --procs P` (P processes, each serving a disjoint share, so one
  event loop no longer caps the lab at its own rate) with C = ceil(services / lab size), so every product's twins and
  every decoy appear C times; the whole lab is scanned by `gatescan scan` (the CLI, whole
  process) once with --no-checks (identification throughput) and once with checks (a full scan);
  each must name every twin as the manifest says (product and the version a scan can see) and
  every decoy `unknown`.
- nmap -sV on a fixed 50-endpoint subset (the first copies, tarpit and drip decoys left out:
  nmap waits out each), and gatescan on the same subset, with what each named per endpoint.
- a bare aiohttp GET / loop over the whole lab (one session, same concurrency), the practical
  limit of any HTTP identification.
- a slow product (a twin whose first answer takes seconds, a cold start) named within the
  per-endpoint deadline, and what a tarpit and a drip decoy cost (at most that deadline).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]
BASE = "127.0.50.1"
NO_NMAP = {"decoy-tarpit", "decoy-drip"}


def _reexec_in_netns() -> None:
    if os.environ.get("GATESCAN_TEST_NETNS") == "1":
        return
    script = "ip link set lo up && ip addr add 10.99.0.1/32 dev lo && exec " + " ".join(
        [sys.executable, *map(_quote, sys.argv)])
    env = {**os.environ, "GATESCAN_TEST_NETNS": "1"}
    sys.exit(subprocess.call(["unshare", "-rn", "sh", "-c", script], env=env))


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def _gatescan(*args: str) -> list[str]:
    return [sys.executable, "-m", "gatescan.cli", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def _targets(entries: list[dict]) -> tuple[list[str], str]:
    """Every lab host (as one token each) and the union of their ports."""
    hosts = sorted({e["host"] for e in entries}, key=lambda h: tuple(map(int, h.split("."))))
    return hosts, ",".join(str(p) for p in sorted({e["port"] for e in entries}))


def run_scan(entries: list[dict], out: Path, *extra: str) -> tuple[float, dict]:
    hosts, ports = _targets(entries)
    target_file = out.with_suffix(".targets")
    target_file.write_text("\n".join(hosts) + "\n")
    started = time.perf_counter()
    done = subprocess.run(_gatescan("scan", f"@{target_file}", "-p", ports, "--json", str(out), "--quiet",
                                    "--fail-on", "critical", *extra), env=_env(), capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"gatescan scan failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, json.loads(out.read_text())


def judge(entries: list[dict], report: dict) -> tuple[int, list[str]]:
    """(services named right, what went wrong): twins by product and visible version, decoys unknown."""
    found = {(s["host"], s["port"]): s for s in report["services"]}
    wrong = []
    for e in entries:
        s = found.get((e["host"], e["port"]))
        want = (e["product"] or "unknown", e["version"] if e["product"] else None)
        got = (s["product"], s["version"]) if s else ("missing", None)
        if got != want:
            wrong.append(f"{e['key']} at {e['host']}:{e['port']}: want {want}, got {got}")
    return len(entries) - len(wrong), wrong


def nmap_sv(entries: list[dict]) -> tuple[float, dict]:
    hosts, ports = _targets(entries)
    wanted = {(e["host"], e["port"]) for e in entries}
    started = time.perf_counter()
    done = subprocess.run(["nmap", "-sV", "-n", "-Pn", "-T4", "-oX", "-", "-p", ports, *hosts],
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    named = {}
    for host in ET.fromstring(done.stdout).iter("host"):
        addr = host.find("address").get("addr")
        for port in host.iter("port"):
            key = (addr, int(port.get("portid")))
            svc = port.find("service")
            if key in wanted and svc is not None:
                named[key] = " ".join(v for v in (svc.get("name"), svc.get("product"), svc.get("version")) if v)
    return wall, named


async def bare_get_loop(entries: list[dict], concurrency: int, timeout: float) -> tuple[float, int]:
    import aiohttp

    gate = asyncio.Semaphore(concurrency)
    answered = 0

    async def one(session, e):
        nonlocal answered
        async with gate:
            try:
                async with session.get(f"http://{e['host']}:{e['port']}/", allow_redirects=False) as resp:
                    await resp.content.read(64 * 1024)
                    answered += 1
            except Exception:  # noqa: BLE001 - a decoy that never answers costs its timeout
                pass

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        await asyncio.gather(*(one(session, e) for e in entries))
    return time.perf_counter() - started, answered


async def slow_product_and_decoys(first_answer_s: float) -> list[str]:
    """A twin behind a proxy that holds every connection until `first_answer_s` after start
    (a UI's cold start), identified with the scan's default limits; and the tarpit and drip decoys."""
    from gatescan._paths import import_lab
    from gatescan.identify.engine import identify
    from gatescan.model import Endpoint
    from gatescan.net.client import Client
    from gatescan.net.limits import Limits

    lab = import_lab()
    rows = []
    twin = lab.get("openclaw-gateway-2026.9.6-authnone")
    backend = await twin.start("127.0.59.2", 18789)
    warm_at = time.monotonic() + first_answer_s

    async def cold(reader, writer):
        await asyncio.sleep(max(0.0, warm_at - time.monotonic()))
        up_r, up_w = await asyncio.open_connection("127.0.59.2", 18789)

        async def pipe(src, dst):
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))

    proxy = await asyncio.start_server(cold, "127.0.59.1", 18789)
    limits = Limits()
    try:
        async with Client(limits) as client:
            started = time.perf_counter()
            service = await identify(Endpoint("127.0.59.1", 18789), client)
            took = time.perf_counter() - started
        rows.append(f"| slow OpenClaw twin (first answer after {first_answer_s:g} s) | {service.product} "
                    f"{service.version or '-'} | {took:.1f} s | {limits.endpoint_deadline:g} s |")
    finally:
        proxy.close()
        await backend.close()
    for key in ("decoy-tarpit", "decoy-drip"):
        svc = lab.get(key)
        handle = await svc.start("127.0.59.3", svc.port)
        try:
            async with Client(limits) as client:
                started = time.perf_counter()
                service = await identify(Endpoint("127.0.59.3", svc.port), client)
                took = time.perf_counter() - started
            rows.append(f"| {key} | {service.product} | {took:.1f} s | {limits.endpoint_deadline:g} s |")
        finally:
            await handle.close()
    return rows


def start_lab(count: int, procs: int, manifest: Path) -> subprocess.Popen:
    proc = subprocess.Popen(_gatescan("lab", "up", "--count", str(count), "--procs", str(procs), "--base", BASE,
                                      "--manifest", str(manifest)),
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    while not manifest.exists():
        if proc.poll() is not None:
            raise SystemExit(f"gatescan lab up exited: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("gatescan lab up did not write its manifest in 300 s")
        time.sleep(0.2)
    return proc


def main(services: int, subset: int, skip_nmap: bool, first_answer_s: float, procs: int) -> None:
    from gatescan._paths import import_lab

    lab_size = len(import_lab().select(None))
    count = math.ceil(services / lab_size)
    tmp = Path(tempfile.mkdtemp(prefix="gatescan-bench-identify-"))
    manifest = tmp / "lab.json"
    lab = start_lab(count, procs, manifest)
    try:
        entries = json.loads(manifest.read_text())["endpoints"]
        print(f"## Identification on the lab: {len(entries)} services ({lab_size} lab services x {count};"
              f" {sum(e['twin'] == 'decoy' for e in entries)} decoys; served by {procs} lab processes;"
              f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average"
              f" {' '.join(f'{x:.1f}' for x in os.getloadavg())})\n")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        wall_id, report_id = run_scan(entries, tmp / "identify.json", "--no-checks")
        rss = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        right_id, wrong_id = judge(entries, report_id)
        wall_full, report_full = run_scan(entries, tmp / "full.json")
        right_full, wrong_full = judge(entries, report_full)
        decoys_named = [w for w in wrong_id + wrong_full if w.startswith("decoy")]
        ident_s = report_id["stats"]["phases"].get("identify_s") or wall_id
        n = len(entries)
        bare_wall, bare_answered = asyncio.run(bare_get_loop(entries, 64, 3.0))
        bare_twins = [e for e in entries if e["key"] not in NO_NMAP]
        bare_wall_t, _ = asyncio.run(bare_get_loop(bare_twins, 64, 3.0))

        print("| run | services | named right | wall s | services/s (wall) | identify phase s | services/s (identify) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        print(f"| `gatescan scan --no-checks` (whole process) | {n} | {right_id} | {wall_id:.2f} | {n / wall_id:.1f} |"
              f" {ident_s:.2f} | {n / ident_s:.1f} |")
        full_ident = report_full["stats"]["phases"].get("identify_s") or wall_full
        print(f"| `gatescan scan` with checks (whole process) | {n} | {right_full} | {wall_full:.2f} | {n / wall_full:.1f} |"
              f" {full_ident:.2f} | {n / full_ident:.1f} |")
        print(f"| bare aiohttp GET / loop, concurrency 64 | {n} | ({bare_answered} answered) | {bare_wall:.2f} |"
              f" {n / bare_wall:.1f} | | |")
        print(f"| bare loop without tarpit/drip decoys | {len(bare_twins)} | | {bare_wall_t:.2f} |"
              f" {len(bare_twins) / bare_wall_t:.1f} | | |")
        for name, rep in (("--no-checks", report_id), ("with checks", report_full)):
            phases = ", ".join(f"{k} {v:.2f}" for k, v in rep["stats"]["phases"].items())
            print(f"\nphases `gatescan scan {name}`: {phases}; probes {rep['stats']['probes_total']}", end="")
        print()
        print(f"\ngatescan peak RSS (identification run): {rss:.0f} MB; findings in the full scan: "
              f"{len(report_full['findings'])}; decoys named as a product: {len(decoys_named)}")
        print(f"gatescan / bare loop (wall): {(n / wall_id) / (n / bare_wall):.2f}x")
        for w in (wrong_id + [f"(full) {x}" for x in wrong_full])[:30]:
            print(f"- wrong: {w}")

        picked, seen = [], set()
        for rnd in range(count):  # the first copy of each service, then the second ...
            for e in entries[rnd * lab_size:(rnd + 1) * lab_size]:
                if e["key"] not in NO_NMAP and len(picked) < subset:
                    picked.append(e)
                    seen.add(e["key"])
        wall_sub, report_sub = run_scan(picked, tmp / "subset.json", "--no-checks")
        right_sub, _ = judge(picked, report_sub)
        print(f"\n### {len(picked)}-endpoint subset (no tarpit or drip decoys)\n")
        print("| tool | wall s | services/s | named right (product and version) |")
        print("|---|---:|---:|---:|")
        print(f"| `gatescan scan --no-checks` | {wall_sub:.2f} | {len(picked) / wall_sub:.1f} | {right_sub}/{len(picked)} |")
        ident_sub = report_sub["stats"]["phases"].get("identify_s") or wall_sub
        print(f"| gatescan, identify phase only | {ident_sub:.2f} | {len(picked) / ident_sub:.1f} | |")
        if not skip_nmap:
            wall_nmap, named = nmap_sv(picked)
            print(f"| `nmap -sV -n -Pn -T4` | {wall_nmap:.2f} | {len(picked) / wall_nmap:.2f} | - |")
            print(f"\ngatescan / nmap -sV (services/s): {(len(picked) / wall_sub) / (len(picked) / wall_nmap):.0f}x;"
                  f" gatescan at full-lab rate / nmap: {(n / wall_id) / (len(picked) / wall_nmap):.0f}x\n")
            found = {(s["host"], s["port"]): s for s in report_sub["services"]}
            print("| lab service | gatescan names | nmap -sV names |")
            print("|---|---|---|")
            for e in picked[:lab_size]:
                s = found.get((e["host"], e["port"]), {})
                ours = f"{s.get('product', '-')} {s.get('version') or ''}".strip()
                print(f"| {e['key']} | {ours} | {named.get((e['host'], e['port']), '(nothing)')} |")
        print("\n### Slow product and decoys (default limits)\n")
        print("| endpoint | named | took | per-endpoint deadline |")
        print("|---|---|---:|---:|")
        print("\n".join(asyncio.run(slow_product_and_decoys(first_answer_s))))
    finally:
        os.killpg(lab.pid, signal.SIGINT)
        try:
            lab.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=500, help="lab size to reach (copies of the whole lab)")
    parser.add_argument("--subset", type=int, default=50, help="endpoints for the nmap -sV comparison")
    parser.add_argument("--skip-nmap", action="store_true")
    parser.add_argument("--lab-procs", type=int, default=4, help="processes serving the lab (`lab up --procs`)")
    parser.add_argument("--first-answer", type=float, default=5.0, help="seconds the slow product takes to answer")
    args = parser.parse_args()
    _reexec_in_netns()
    main(args.services, args.subset, args.skip_nmap, args.first_answer, args.lab_procs)
