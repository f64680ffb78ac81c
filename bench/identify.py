"""Identification throughput: services identified per second on a lab of hundreds of listeners.

Run inside a private namespace (it binds many 127.x addresses):
  unshare -rn sh -c 'ip link set lo up && python bench/identify.py --count 10 --concurrency 128'
Prints one table row per concurrency: services, seconds, services/s, share correctly named, peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

from gatescan._paths import import_lab
from gatescan.identify.engine import identify_all
from gatescan.labrun import running_lab
from gatescan.model import Endpoint
from gatescan.net.client import Client


async def run(count: int, concurrencies: list[int], only: list[str] | None) -> None:
    lab_mod = import_lab()
    async with running_lab(only, count=count, base="127.0.50.0") as lab:
        truth = {(e["host"], e["port"]): e for e in lab.entries}
        print(f"{'services':>8} {'concurrency':>11} {'seconds':>8} {'services/s':>10} {'named right':>11} {'peak RSS MB':>11}")
        for conc in concurrencies:
            endpoints = [Endpoint(h, p) for h, p in truth]
            async with Client() as client:
                started = time.monotonic()
                services = [s async for s in identify_all(endpoints, client, concurrency=conc)]
                elapsed = time.monotonic() - started
            right = 0
            for s in services:
                entry = truth[(s.host, s.port)]
                want = entry["product"] or "unknown"
                svc = lab_mod.get(entry["key"])
                right += s.product == want and s.version == svc.identified_version
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{len(services):>8} {conc:>11} {elapsed:>8.2f} {len(services) / elapsed:>10.1f} "
                  f"{right / len(services):>11.3f} {rss:>11.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10, help="instances of every lab service")
    parser.add_argument("--concurrency", default="32,128", help="comma-separated identify concurrencies")
    parser.add_argument("--only", default=None, help="lab services or products (default: all but hostile)")
    args = parser.parse_args()
    only = args.only.split(",") if args.only else None
    asyncio.run(run(args.count, [int(c) for c in args.concurrency.split(",")], only))


if __name__ == "__main__":
    main()
