#!/usr/bin/env python3
"""Distributed-scan benchmark (run by hand, never in CI): the /18 x 32 loopback sweep of
bench/sweep.py three ways in one run: one process, dispatched to one worker, dispatched to two
workers of one vantage (a real redis-server on loopback, real `gatescan worker` processes).

    python bench/distributed.py [--rounds 2] [--shards 8]   # re-runs itself under `unshare -rn`

Prints a markdown table: seconds (median), probes/s, the ratio to one process, and the
per-shard overhead of dispatch ((one worker - one process) / shards). Everything it starts is
stopped by PID.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ENV_MARK = "GATESCAN_BENCH_NETNS"
RANGE = "127.0.0.0/18"
PORTS = "18780-18811"  # 32 ports: 16,384 hosts x 32 = 524,288 probes, as bench/sweep.py
PROBES = 16_384 * 32
LISTENERS = [("127.0.0.1", 18789), ("127.0.3.7", 18780), ("127.0.15.255", 18800), ("127.0.63.254", 18795)]


def gatescan() -> list[str]:
    return [sys.executable, "-m", "gatescan.cli"]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def timed(argv: list[str]) -> float:
    began = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:4])}... exited {out.returncode}: {out.stderr[-400:]}")
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--shards", type=int, default=8)
    args = parser.parse_args()
    if os.environ.get(ENV_MARK) != "1":
        os.execvp("unshare", ["unshare", "-rn", "sh", "-c", f'ip link set lo up && {ENV_MARK}=1 exec "$@"', "sh",
                              sys.executable, str(HERE), *sys.argv[1:]])
    assert {n for _i, n in socket.if_nameindex()} == {"lo"}, "only inside a private namespace"
    tmp = Path(tempfile.mkdtemp(prefix="gatescan-bench-"))
    password = secrets.token_hex(16)
    (tmp / "pw").write_text(password)
    port = 6399
    (tmp / "redis.conf").write_text(f"port {port}\nbind 127.0.0.1\nrequirepass {password}\nsave \"\"\nappendonly no\n")
    started: list[subprocess.Popen] = []
    socks = []
    try:
        for host, p in LISTENERS:
            s = socket.socket()
            s.bind((host, p))
            s.listen(64)
            socks.append(s)
        started.append(subprocess.Popen([shutil.which("redis-server"), str(tmp / "redis.conf")],
                                        stdout=subprocess.DEVNULL))
        time.sleep(0.5)
        broker = ["--password-file", str(tmp / "pw")]
        url = f"redis://127.0.0.1:{port}/0"
        scan = [*gatescan(), "scan", RANGE, "-p", PORTS, "-q", "--json", str(tmp / "r.json")]
        dispatched = [*scan, "--dispatch", url, *broker, "--vantage", f"seg-a={RANGE}", "--shards", str(args.shards)]
        times: dict[str, list[float]] = {"one process": [], "one worker": [], "two workers": []}
        workers: list[subprocess.Popen] = []

        def worker() -> None:
            proc = subprocess.Popen([*gatescan(), "worker", "--broker", url, *broker, "--vantage", "seg-a"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started.append(proc)
            workers.append(proc)
            time.sleep(6)  # up and consuming

        for _ in range(args.rounds):
            times["one process"].append(timed(scan))
        worker()
        for _ in range(args.rounds):
            times["one worker"].append(timed(dispatched))
        worker()
        for _ in range(args.rounds):
            times["two workers"].append(timed(dispatched))
        base = statistics.median(times["one process"])
        print(f"{RANGE} x 32 ports ({PROBES:,} probes), {args.shards} shards, {os.cpu_count()} cores, "
              f"median of {args.rounds}\n")
        print("| run | seconds | probes/s | / one process |\n|---|---:|---:|---:|")
        for name, values in times.items():
            t = statistics.median(values)
            print(f"| {name} | {t:.2f} | {PROBES / t:,.0f} | {t / base:.2f} |")
        one = statistics.median(times["one worker"])
        print(f"\nper-shard overhead of dispatch: {(one - base) / args.shards:.3f} s "
              f"({(one - base) / base:.1%} of one process)")
    finally:
        for proc in reversed(started):
            stop(proc)
        for s in socks:
            s.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
