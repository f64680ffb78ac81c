#!/usr/bin/env python3
"""Checks benchmark (issue 13; run by hand, never in CI): identification plus every check on
the whole lab, against the manifest's `expected` findings, in a private network namespace.

    python bench/checks.py             # re-runs itself under `unshare -rn` if not already inside one
    python bench/checks.py --rounds 3

Prints markdown: per service expected vs found, precision and recall over the check ids this
build implements (and per check id), probes the checks sent per service, and the scan time with
checks against the identification-only time (medians of --rounds interleaved runs). Checks run
as `--intrusive` does (the manifest's `expected` is what such a scan reports). A second lab, each
service on its own non-loopback address (10.99.0.0/16 made local on lo inside the namespace),
measures exposure.network and tls.missing, which loopback never shows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXPOSED_NET = "10.99.0.0/16"  # non-loopback, local to the bench's own namespace only
EXPOSURE_IDS = ("exposure.network", "tls.missing")
sys.path[:0] = [str(REPO / "src"), str(REPO)]


def _reexec_in_netns() -> None:
    if os.environ.get("GATESCAN_TEST_NETNS") == "1":
        return
    script = ("ip link set lo up && ip addr add 10.99.0.1/32 dev lo && "
              f"ip route add local {EXPOSED_NET} dev lo && exec ") + " ".join(
        [sys.executable, *map(_quote, sys.argv)])
    env = {**os.environ, "GATESCAN_TEST_NETNS": "1"}
    sys.exit(subprocess.call(["unshare", "-rn", "sh", "-c", script], env=env))


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


async def scan(entries, with_checks: bool):
    """Identify every lab endpoint (and run its checks); returns (elapsed, {key: (findings, probes, results)})."""
    from gatescan.identify import engine as identify
    from gatescan.checks import run_checks
    from gatescan.identify.fingerprints import load_fingerprints
    from gatescan.model import Endpoint
    from gatescan.net.client import Client

    by_endpoint = {(e["host"], e["port"]): e for e in entries}
    out = {}
    started = time.perf_counter()
    async with Client() as client:
        fps = {fp.id: fp for fp in load_fingerprints()}
        gate = asyncio.Semaphore(32)
        tasks = []

        async def check(service, key):
            async with gate:
                fp = fps.get(service.product)
                scope = client.scope()  # this service's probes
                findings = await run_checks(service, fp, scope, intrusive=True) if fp else []
                out[key] = (findings, scope.probes, {c.check: c for c in service.checks}, service)

        endpoints = [Endpoint(h, p) for h, p in by_endpoint]
        async for service in identify.identify_all(endpoints, client):
            key = by_endpoint[(service.host, service.port)]["key"]
            if with_checks and service.product != "unknown":
                tasks.append(asyncio.create_task(check(service, key)))
            else:
                out[key] = ([], 0, {}, service)
        await asyncio.gather(*tasks)
    return time.perf_counter() - started, out


async def exposed_lab():
    """Every lab service (decoys too) on its own 10.99.x.y address at its default port; yields the
    manifest entries, each with the exposure ids its fingerprint names as `expected`."""
    import contextlib
    import ipaddress

    from gatescan._paths import import_lab
    from gatescan.identify.fingerprints import load_fingerprints

    fps = {fp.id: fp for fp in load_fingerprints()}

    @contextlib.asynccontextmanager
    async def run():
        hosts = ipaddress.IPv4Network(EXPOSED_NET).hosts()
        next(hosts)  # 10.99.0.1 is the suite's own alias
        handles, entries = [], []
        try:
            for svc in import_lab().select(None):
                host = str(next(hosts))
                handles.append(await svc.start(host, svc.port))
                entry = svc.manifest_entry(host, svc.port)
                named = fps[svc.product].checks if svc.product in fps else {}
                entry["expected"] = [] if svc.loopback_only else [
                    c for c in EXPOSURE_IDS if c in named and not (c == "tls.missing" and svc.tls)]
                entries.append(entry)
            yield entries
        finally:
            for handle in reversed(handles):
                await handle.close()
    return run()


def judge(entries, result, ids) -> tuple[dict[str, list[int]], list[str]]:
    """Per check id [true, false, missed] over `ids`, and one markdown row per service."""
    counts = {i: [0, 0, 0] for i in ids}
    rows = []
    for e in entries:
        findings, n, results, service = result[e["key"]]
        expected = set(e["expected"]) & set(ids)
        found = {f.check for f in findings} & set(ids)
        for i in ids:
            counts[i][0] += int(i in expected and i in found)
            counts[i][1] += int(i in found and i not in expected)
            counts[i][2] += int(i in expected and i not in found)
        odd = [f"{c}: {r.result.value} ({r.reason[:70]})" for c, r in results.items()
               if c in ids and ((c in expected) != (c in found) or r.result.value == "inconclusive")]
        rows.append(f"| {e['key']} | {e['host']} | {service.product} | {', '.join(sorted(expected)) or '-'} | "
                    f"{', '.join(sorted(found)) or '-'} | {n} | {'; '.join(odd) or 'ok'} |")
    return counts, rows


async def main(rounds: int) -> None:
    from gatescan.checks import REGISTRY
    from gatescan.labrun import running_lab

    implemented = set(REGISTRY)
    async with running_lab() as lab:
        entries = lab.entries
        twins = [e for e in entries if e["twin"] != "decoy"]
        ident_times, full_times, twin_ident, twin_full, result = [], [], [], [], None
        for _ in range(rounds):
            t, _ = await scan(entries, with_checks=False)
            ident_times.append(t)
            t, result = await scan(entries, with_checks=True)
            full_times.append(t)
            # without the decoys, whose tarpits set the whole lab's pace
            t, _ = await scan(twins, with_checks=False)
            twin_ident.append(t)
            t, _ = await scan(twins, with_checks=True)
            twin_full.append(t)
    counts, rows = judge(entries, result, sorted(implemented))
    probes = [result[e["key"]][1] for e in entries
              if result[e["key"]][3].product != "unknown" and result[e["key"]][2]]
    async with await exposed_lab() as exposed:
        _, exposed_result = await scan(exposed, with_checks=True)
    exposed_counts, exposed_rows = judge(exposed, exposed_result, EXPOSURE_IDS)
    for i, (t, f, m) in exposed_counts.items():  # the exposure ids are judged on the exposed lab
        counts[i] = [counts[i][0] + t, counts[i][1] + f, counts[i][2] + m]
    tp, fp, fn = (sum(c[k] for c in counts.values()) for k in range(3))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    ident, full = statistics.median(ident_times), statistics.median(full_times)
    print(f"## gatescan checks on the lab ({len(entries)} services, checks: {', '.join(sorted(implemented))})\n")
    print("| service | address | identified as | expected | found | probes | notes |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n### the same lab on non-loopback addresses ({EXPOSED_NET}): {', '.join(EXPOSURE_IDS)}\n")
    print("| service | address | identified as | expected | found | probes | notes |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(exposed_rows))
    print("\n| check id | true | false | missed | precision | recall |\n|---|---|---|---|---|---|")
    for i, (t, f, m) in sorted(counts.items()):
        print(f"| `{i}` | {t} | {f} | {m} | {t / (t + f) if t + f else 1.0:.3f} | {t / (t + m) if t + m else 1.0:.3f} |")
    print("\n| metric | value |\n|---|---|")
    print(f"| precision | {precision:.3f} ({tp} true, {fp} false findings) |")
    print(f"| recall | {recall:.3f} ({fn} expected findings missed) |")
    if probes:
        print(f"| check probes per identified service | mean {statistics.mean(probes):.1f}, "
              f"median {statistics.median(probes):.0f}, max {max(probes)} |")
    print(f"| identification only (median of {rounds}) | {ident:.2f} s |")
    print(f"| identification + checks (median of {rounds}) | {full:.2f} s |")
    print(f"| ratio, whole lab (target <= 2x) | {full / ident:.2f}x |")
    ti, tf = statistics.median(twin_ident), statistics.median(twin_full)
    print(f"| product twins only ({len(twins)}): identification / + checks | {ti:.2f} s / {tf:.2f} s |")
    print(f"| ratio, product twins only | {tf / ti:.2f}x |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    _reexec_in_netns()
    asyncio.run(main(args.rounds))
