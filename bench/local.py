#!/usr/bin/env python3
"""`gatescan local` on a busy machine (issue 22 Targets; run by hand, never in CI): N listening
sockets (lab twins and decoys of every product, a few bound wide) and M installed skills, the
whole `gatescan local` command timed, inside a private network namespace.

    python bench/local.py                       # 50 listeners, 500 skills, 3 runs; re-runs itself under `unshare -rn`
    python bench/local.py --listeners 50 --skills 500 --runs 3
    python bench/local.py --slow-decoys         # also the tarpit and drip decoys: each costs its deadline

Prints a markdown table: wall time of the whole command (median of the runs), and what the
report says of it (listeners, services identified, findings, skills, the network and skills phases).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]


def _reexec_in_netns() -> None:
    script = ("ip link set lo up && ip addr add 10.99.0.1/32 dev lo && GATESCAN_BENCH_NETNS=1 "
              f"exec {sys.executable} {' '.join(map(repr, sys.argv))}")
    env = dict(os.environ, PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}")
    sys.exit(subprocess.call(["unshare", "-rn", "sh", "-c", script], env=env))


SLOW_DECOYS = ("decoy-tarpit", "decoy-drip")  # each costs its endpoint deadline by design


def _services(n: int, slow: bool):
    """n lab services, every non-hostile twin and decoy in turn (the tarpit and the drip only with `slow`)."""
    from gatescan import _paths

    pool = [s for s in _paths.import_lab().services() if slow or s.key not in SLOW_DECOYS]
    return [pool[i % len(pool)] for i in range(n)]


def main(listeners: int, skills: int, runs: int, slow: bool) -> None:
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    started = 0
    for i, service in enumerate(_services(listeners, slow)):
        host = "0.0.0.0" if i % 10 == 0 else "127.0.0.1"  # one in ten bound wide
        asyncio.run_coroutine_threadsafe(service.start(host, 0), loop).result(30)
        started += 1
    home = Path(tempfile.mkdtemp(prefix="gatescan-local-bench-"))
    root = home / ".claude" / "skills"
    for i in range(skills):
        d = root / f"skill-{i:04d}"
        d.mkdir(parents=True)
        (d / "SKILL.md").write_text(f"---\nname: skill-{i:04d}\ndescription: Formats notes, number {i}.\n---\n\n"
                                    "# Notes\n\nTurn the user's notes into a tidy list.\n")
    times, cpu, doc = [], [], {}
    for _ in range(runs):
        out = home / "r.json"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "gatescan.cli", "local", "--quiet", "--json", str(out)],
                              env=dict(os.environ, HOME=str(home)), cwd=home, capture_output=True, text=True)
        times.append(time.monotonic() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode not in (0, 1):
            sys.exit(f"gatescan local failed ({done.returncode}): {done.stderr[-2000:]}")
        doc = json.loads(out.read_text())
    local = doc["stats"]["local"]
    print(f"| listeners | services identified | findings | skills | network s (pipeline s) | skills s | wall s (median of {runs}) | CPU s of the command | load average |")
    print("|---|---|---|---|---|---|---|---|---|")
    identified = sum(1 for s in doc["services"] if s["product"] != "unknown")
    print(f"| {local['listeners']} ({started} lab, {local['wide']} wide) | {identified} of {len(doc['services'])} | "
          f"{len(doc['findings'])} | {len(doc['skills'])} | {local['network_s']} ({doc['stats'].get('duration_s')}: "
          f"{doc['stats'].get('phases')}) | {local['skills_s']} | "
          f"{statistics.median(times):.2f} (runs: {', '.join(f'{t:.2f}' for t in times)}) | "
          f"{statistics.median(cpu):.2f} | {os.getloadavg()[0]:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=50)
    parser.add_argument("--skills", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slow-decoys", action="store_true", help="include the tarpit and drip decoys (each costs the 6 s endpoint deadline)")
    args = parser.parse_args()
    if os.environ.get("GATESCAN_BENCH_NETNS") != "1":
        _reexec_in_netns()
    main(args.listeners, args.skills, args.runs, args.slow_decoys)
