#!/usr/bin/env python3
"""Sweep benchmark (issue 9 item 7; run by hand, never in CI): gatescan's TCP sweep against
`nmap -sT` and bare epoll connect loops on the same loopback sweep, in a private namespace.

    python bench/sweep.py            # re-runs itself under `unshare -rn` if not already inside one
    python bench/sweep.py --quick    # one round, no /14 memory run

Prints markdown tables: probes/s and ratios, peak RSS on /18 vs /14, and a filtered run where
nftables drops SYNs to 127.1.0.0/16 so timeouts dominate (and to a fifth of a /16), and an IPv6 run on fd00::/112. Timings are medians of --rounds runs,
interleaved so drift hits every tool alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

PORTS = list(range(18780, 18812))  # 32 ports, the OpenClaw neighbourhood
RANGE = "127.0.0.0/18"  # 16,384 hosts x 32 ports = 524,288 probes
BIG_RANGE = "127.0.0.0/14"  # 262,144 hosts: same ports, 16x the plan
LISTENERS = [  # inside RANGE (and inside FILTERED's first part), on ports of PORTS
    ("127.0.0.1", 18789), ("127.0.0.1", 18790), ("127.0.3.7", 18780), ("127.0.9.200", 18811),
    ("127.0.15.255", 18800), ("127.0.33.1", 18789), ("127.0.63.254", 18795),
]
NFT_DROP = "ip daddr 127.1.0.0/16 tcp flags syn drop"  # DESIGN.md, Performance
NMAP = ["nmap", "-sT", "-n", "-Pn", "-T5", "--min-rate", "100000"]
HERE = Path(__file__).resolve()
ENV_MARK = "GATESCAN_BENCH_NETNS"


# --- namespace ---------------------------------------------------------------------------------


def ensure_private_namespace() -> None:
    """Only lo may exist here: never sweep a real network (DESIGN.md, Safety)."""
    nets = {name for _index, name in socket.if_nameindex()}  # this namespace's, unlike /sys
    if nets == {"lo"}:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return
    if os.environ.get(ENV_MARK):
        sys.exit(f"refusing to run: interfaces other than lo are visible ({sorted(nets)})")
    if shutil.which("unshare") is None:
        sys.exit("needs unshare (util-linux) to make a private network namespace")
    os.environ[ENV_MARK] = "1"
    os.execvp("unshare", ["unshare", "-rn", sys.executable, str(HERE), *sys.argv[1:]])


# --- child measurements (run in their own process, so RSS and timings are their own) -----------


def child_gatescan(args: argparse.Namespace) -> None:
    from gatescan.scope import build_plan
    from gatescan.sweep import SweepConfig, sweep_sync

    plan = build_plan(args.targets, [int(p) for p in args.ports.split(",")] if args.ports else PORTS)
    config = SweepConfig(concurrency=args.concurrency, timeout=args.timeout, retries=args.retries)
    workers: dict[int, int] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_workers, args=(workers, stop), daemon=True)
    sampler.start()
    result = sweep_sync(plan, config)
    stop.set()
    sampler.join()
    print(json.dumps({
        "seconds": result.seconds, "done": result.done, "total": result.total,
        "open": sorted(f"{e.host}:{e.port}" for e in result.open),
        "timed_out_notices": [n for n in result.notices if "limit" in n],
        "rss_parent_kib": _peak_rss_kib(os.getpid()),
        "rss_worker_kib": max(workers.values(), default=0),
    }))


def _peak_rss_kib(pid: int) -> int:
    """VmHWM: peak RSS since exec. (getrusage's ru_maxrss also counts the pre-exec copy of
    whoever forked the process, which would measure the parent, not the worker.)"""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _sample_workers(peaks: dict[int, int], stop: threading.Event) -> None:
    import psutil

    me = psutil.Process()
    while not stop.wait(0.05):
        for child in me.children():
            peaks[child.pid] = max(peaks.get(child.pid, 0), _peak_rss_kib(child.pid))


def _bare_loop(first: int, count: int, ports: list[int], window: int, reuse: bool) -> int:
    """The textbook loop: one non-blocking socket per probe, epoll for completion, SO_ERROR.
    With `reuse`, the same syscall recipe as gatescan's engine (a second connect() reads the
    result; a refused socket is reused) but none of its bookkeeping."""
    import errno
    import select

    stream = socket.SOCK_STREAM | socket.SOCK_NONBLOCK
    ep = select.epoll()
    pending: dict[int, socket.socket] = {}
    pairs = ((f"127.{(h >> 16) & 255}.{(h >> 8) & 255}.{h & 255}", p)
             for h in range(first, first + count) for p in ports)
    found = 0
    spare = None
    exhausted = False
    while True:
        room = window - len(pending)
        while room > 0:
            pair = next(pairs, None)
            if pair is None:
                exhausted = True
                break
            sock = spare if spare is not None else socket.socket(socket.AF_INET, stream)
            spare = None
            code = sock.connect_ex(pair)
            if code == errno.ECONNABORTED:
                code = sock.connect_ex(pair)
            if reuse and code == errno.EINPROGRESS:
                code = sock.connect_ex(pair)
                if code == errno.ECONNREFUSED:
                    spare = sock
                    continue
            if code in (errno.EINPROGRESS, errno.EALREADY):
                pending[sock.fileno()] = sock
                ep.register(sock.fileno(), select.EPOLLOUT)
                room -= 1
            else:
                found += code == 0 or code == errno.EISCONN
                sock.close()
        if not pending:
            if exhausted:
                return found
            continue
        for fd, ev in ep.poll(1.0):
            sock = pending.pop(fd)
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if ev & select.EPOLLERR else 0
            found += code == 0
            sock.close()


def child_bare(args: argparse.Namespace) -> None:
    hosts = 1 << (32 - int(RANGE.split("/")[1]))
    per = hosts // args.procs
    started = time.perf_counter()
    pids = []
    for i in range(args.procs):  # a plain script, no event loop: fork is fine here
        pid = os.fork()
        if pid == 0:
            try:
                found = _bare_loop(i * per, per, PORTS, 1024, args.reuse)
                os.write(1, f"{found}\n".encode())
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    print(json.dumps({"seconds": time.perf_counter() - started, "done": hosts * len(PORTS)}))


# --- the parent: listeners, runs, tables ------------------------------------------------------


def run_child(argv: list[str]) -> dict:
    """Run a child and return its JSON plus whole-process wall time and peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{argv[:4]}... failed ({proc.returncode}): {err[-2000:]}")
    return {"wall": wall, "stdout": out, "stderr": err}


def measure_gatescan(targets: list[str], **kw) -> dict:
    argv = [sys.executable, str(HERE), "--child", "gatescan", "--targets", *targets]
    for key, value in kw.items():
        argv += [f"--{key}", str(value)]
    run = run_child(argv)
    data = json.loads(run["stdout"].strip().splitlines()[-1])
    data["wall"] = run["wall"]
    return data


def measure_cli(targets: list[str], workdir: Path) -> dict:
    # The console script next to this interpreter: a version manager's shim on PATH (pyenv's
    # costs about a second per start) would be measured too.
    exe = str(Path(sys.executable).with_name("gatescan"))
    if not os.access(exe, os.X_OK):
        exe = shutil.which("gatescan")
        if exe is None:
            return {}
    out = workdir / "cli.json"
    run = run_child([exe, "scan", *targets, "-p", ",".join(map(str, PORTS)), "--no-identify",
                     "--no-checks", "--quiet", "--json", str(out)])
    doc = json.loads(out.read_text())
    return {"wall": run["wall"], "open": sorted(f"{s['host']}:{s['port']}" for s in doc["services"])}


def measure_nmap(targets: list[str], ports: list[int] = PORTS, extra: tuple[str, ...] = ()) -> dict:
    run = run_child([*NMAP, *extra, "-p", ",".join(map(str, ports)), "-oG", "-", *targets])
    found = []
    for line in run["stdout"].splitlines():
        m = re.match(r"Host: (\S+) .*Ports: (.*?)(\t|$)", line)
        if m:
            for entry in filter(None, m[2].split(", ")):
                port, state = entry.split("/")[:2]
                if state == "open":
                    found.append(f"{m[1]}:{port}")
    return {"wall": run["wall"], "open": sorted(found)}


def measure_bare(procs: int, reuse: bool) -> dict:
    argv = [sys.executable, str(HERE), "--child", "bare", "--procs", str(procs)]
    run = run_child(argv + (["--reuse"] if reuse else []))
    data = json.loads(run["stdout"].strip().splitlines()[-1])
    data["wall"] = run["wall"]
    return data


def open_listeners() -> list[socket.socket]:
    socks = []
    for host, port in LISTENERS:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        socks.append(sock)
    return socks


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{model or platform.processor()}, {os.cpu_count()} cores, Linux {platform.release()}, "
            f"Python {platform.python_version()}")


def nmap_version() -> str:
    out = subprocess.run(["nmap", "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "nmap"


def med(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", choices=["gatescan", "bare"])
    ap.add_argument("--targets", nargs="+", default=[RANGE])
    ap.add_argument("--concurrency", type=int, default=None, help="default: gatescan's (adaptive)")
    ap.add_argument("--ports", help="comma-separated ports for --child gatescan (default: the 32 of PORTS)")
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--retries", type=int, default=0)
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one round; skip the /14 memory run")
    ap.add_argument("--skip-filtered", action="store_true")
    ap.add_argument("--skip-ipv6", action="store_true")
    ap.add_argument("--only-filtered", action="store_true", help="skip the loopback and memory runs")
    ap.add_argument("--json", help="also write the raw numbers here")
    args = ap.parse_args()
    if args.child == "gatescan":
        return child_gatescan(args)
    if args.child == "bare":
        return child_bare(args)

    ensure_private_namespace()
    have_nmap = shutil.which("nmap") is not None
    if not have_nmap:
        print("nmap not found (Debian: apt-get install -y nmap); its rows are skipped", file=sys.stderr)
    rounds = 1 if args.quick else args.rounds
    listeners = open_listeners()
    expected = sorted(f"{h}:{p}" for h, p in LISTENERS)
    probes = (1 << (32 - int(RANGE.split("/")[1]))) * len(PORTS)
    workdir = Path(tempfile.mkdtemp(prefix="gatescan-bench-"))

    if args.only_filtered:
        raw = filtered_run(rounds, have_nmap) if shutil.which("nft") else {}
        if not args.skip_ipv6:
            raw["ipv6"] = ipv6_run(rounds, have_nmap)
        if args.json:
            Path(args.json).write_text(json.dumps(raw, indent=1, default=str))
        return

    runs: dict[str, list[dict]] = {}
    for i in range(rounds):
        print(f"round {i + 1}/{rounds} ...", file=sys.stderr)
        runs.setdefault("gatescan", []).append(measure_gatescan([RANGE]))
        cli = measure_cli([RANGE], workdir)
        if cli:
            runs.setdefault("cli", []).append(cli)
        if have_nmap:
            runs.setdefault("nmap", []).append(measure_nmap([RANGE]))
        runs.setdefault("bare1", []).append(measure_bare(1, reuse=False))
        runs.setdefault("bare2", []).append(measure_bare(2, reuse=False))
        runs.setdefault("bare2r", []).append(measure_bare(2, reuse=True))

    rate = {}
    rate["gatescan"] = med([probes / r["seconds"] for r in runs["gatescan"]])
    rate["gatescan_proc"] = med([probes / r["wall"] for r in runs["gatescan"]])
    for key in ("cli", "nmap", "bare1", "bare2", "bare2r"):
        if key in runs:
            rate[key] = med([probes / r["wall"] for r in runs[key]])

    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"### Loopback sweep: {RANGE} x {len(PORTS)} ports ({probes:,} probes, "
             f"{len(LISTENERS)} listeners)", "", f"{now}; {machine()}; median of {rounds} run(s)", "",
             "| sweep | probes/s | gatescan API / this |", "|---|---:|---:|"]
    rows = [
        ("gatescan `sweep()` API (call time, worker spawn included)", "gatescan"),
        ("gatescan API, whole process (interpreter start included)", "gatescan_proc"),
        ("`gatescan scan --no-identify` CLI, whole process", "cli"),
        (f"`{' '.join(NMAP)}`", "nmap"),
        ("bare epoll loop, socket per probe, 1 process", "bare1"),
        ("bare epoll loop, socket per probe, 2 processes", "bare2"),
        ("bare epoll loop, gatescan's syscall recipe, 2 processes", "bare2r"),
    ]
    for label, key in rows:
        if key in rate:
            lines.append(f"| {label} | {rate[key]:,.0f} | {rate['gatescan'] / rate[key]:.2f}x |")
    lines.append("")
    rss = med([r["rss_parent_kib"] + r["rss_worker_kib"] for r in runs["gatescan"]])
    lines.append(f"gatescan peak RSS (parent + largest worker): {rss:,.0f} KiB")
    same = all(r["open"] == expected for r in runs["gatescan"])
    lines.append(f"gatescan found exactly the {len(expected)} listeners: {same}")
    if "nmap" in runs:
        agree = all(r["open"] == runs["gatescan"][0]["open"] for r in runs["nmap"])
        lines.append(f"nmap found the same open ports as gatescan: {agree}")
    if "cli" in runs:
        lines.append(f"CLI found the same open ports: {all(r['open'] == expected for r in runs['cli'])}")
    print("\n".join(lines) + "\n", flush=True)

    raw: dict = {"runs": runs, "rates": rate}
    if not args.quick:
        print("memory run: /14 ...", file=sys.stderr)
        small = runs["gatescan"][0]
        big = measure_gatescan([BIG_RANGE])
        raw["rss"] = {"/18": small, "/14": big}
        big_probes = big["total"]
        mem = [f"### Peak RSS: {RANGE} vs {BIG_RANGE} (same {len(PORTS)} ports)", "",
               "| process | /18 (KiB) | /14 (KiB) | /14 / /18 |", "|---|---:|---:|---:|"]
        for label, key in (("parent (plan, event loop)", "rss_parent_kib"), ("largest worker", "rss_worker_kib")):
            mem.append(f"| {label} | {small[key]:,} | {big[key]:,} | {big[key] / small[key]:.3f} |")
        mem += ["", f"/14: {big_probes:,} probes in {big['seconds']:.1f} s "
                    f"({big_probes / big['seconds']:,.0f}/s), open found: {len(big['open'])}"]
        print("\n".join(mem) + "\n", flush=True)

    if not args.skip_filtered and shutil.which("nft"):
        loop_rss = runs["gatescan"][0]["rss_parent_kib"] + runs["gatescan"][0]["rss_worker_kib"]
        raw.update(filtered_run(rounds, have_nmap, loop_rss))
    if not args.skip_ipv6:
        raw["ipv6"] = ipv6_run(rounds, have_nmap)
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1, default=str))
    for sock in listeners:
        sock.close()


def _nft(*rules: str) -> None:
    """An output-hook table of SYN-drop rules (deleted by the caller)."""
    subprocess.run(["nft", "add", "table", "ip", "gsbench"], check=True)
    subprocess.run(["nft", "add", "chain", "ip", "gsbench", "out", "{ type filter hook output priority 0 ; }"],
                   check=True)
    for rule in rules:
        subprocess.run(["nft", "add", "rule", "ip", "gsbench", "out", *rule.split()], check=True)


def _scenario(title: str, targets: list[str], ports: list[int], dropped: int, refused_part: list[str],
              rounds: int, have_nmap: bool, loopback_rss: int | None) -> dict:
    """gatescan defaults, nmap -sT -T5 and the latency limit (one timeout plus the refused part
    swept alone) on one filtered sweep, interleaved round by round."""
    portlist = ",".join(map(str, ports))
    probes = sum(1 << (32 - int(t.split("/")[1])) for t in targets) * len(ports)
    out: dict[str, list[dict]] = {}
    for _ in range(rounds):
        out.setdefault("gatescan", []).append(measure_gatescan(targets, ports=portlist))
        out.setdefault("refused", []).append(measure_gatescan(refused_part, ports=portlist))
        if have_nmap:
            out.setdefault("nmap", []).append(measure_nmap(targets, ports))
    timeout = 1.0  # gatescan's default --timeout: what a dropped probe costs at least once
    limit = timeout + med([r["wall"] for r in out["refused"]])
    gs = med([r["wall"] for r in out["gatescan"]])
    lines = [f"### {title}: {' + '.join(targets)} x {len(ports)} ports ({probes:,} probes, {dropped:,} dropped)", "",
             "| sweep | wall s (whole process) | open found | / latency limit |", "|---|---:|---:|---:|",
             f"| gatescan defaults | {gs:.1f} | {len(out['gatescan'][0]['open'])} | {gs / limit:.2f}x |",
             f"| latency limit: {timeout:g} s timeout + refused part alone ({med([r['wall'] for r in out['refused']]):.1f} s) "
             f"| {limit:.1f} | | 1.00x |"]
    if "nmap" in out:
        nm = med([r["wall"] for r in out["nmap"]])
        lines.append(f"| `{' '.join(NMAP)}` | {nm:.1f} | {len(out['nmap'][0]['open'])} | {nm / limit:.2f}x |")
        same = all(r["open"] == out["gatescan"][0]["open"] for r in out["nmap"] + out["gatescan"])
        lines += ["", f"gatescan is {nm / gs:.1f}x faster than nmap -sT -T5; same open ports: {same}"]
    rss = max(r["rss_parent_kib"] + r["rss_worker_kib"] for r in out["gatescan"])
    lines.append(f"peak RSS (parent + largest worker): {rss:,} KiB"
                 + (f", {rss / loopback_rss:.2f}x the loopback run's" if loopback_rss else ""))
    print("\n".join(lines) + "\n", flush=True)
    return out


FILTERED_PORTS = PORTS[:8]  # 18780-18787
FILTERED_BIG = ["127.0.0.0/18", "127.1.0.0/20"]  # 163,840 probes; 32,768 behind the drop rule
FIFTH = ["127.3.0.0/16"]  # a fifth of it (127.3.0-50.x) dropped


def filtered_run(rounds: int, have_nmap: bool, loopback_rss: int | None = None) -> dict:
    raw = {}
    try:
        _nft(NFT_DROP)
        raw["filtered"] = _scenario("Filtered sweep", FILTERED_BIG, FILTERED_PORTS, 4096 * 8, ["127.0.0.0/18"],
                                    rounds, have_nmap, loopback_rss)
    finally:
        subprocess.run(["nft", "delete", "table", "ip", "gsbench"], check=False)
    try:
        _nft("ip daddr 127.3.0.0-127.3.50.255 tcp flags syn drop")
        raw["fifth"] = _scenario("A fifth of a /16 dropped", FIFTH, FILTERED_PORTS[:2], 51 * 256 * 2,
                                 ["127.3.51.0-127.3.255.255"], rounds, have_nmap, loopback_rss)
    finally:
        subprocess.run(["nft", "delete", "table", "ip", "gsbench"], check=False)
    return raw


IPV6_RANGE = "fd00::/112"  # 65,536 addresses made local on lo (a `local` route), no other interface


def ipv6_run(rounds: int, have_nmap: bool) -> dict:
    subprocess.run(["ip", "-6", "route", "add", "local", IPV6_RANGE, "dev", "lo"], check=True)
    subprocess.run(["ip", "-6", "addr", "add", "fd00::7/128", "dev", "lo", "nodad"], check=True)  # to bind to
    listener = socket.create_server(("fd00::7", PORTS[0]), family=socket.AF_INET6)
    ports = PORTS[:4]
    probes = (1 << 16) * len(ports)
    out: dict[str, list[dict]] = {}
    try:
        for _ in range(rounds):
            out.setdefault("gatescan", []).append(measure_gatescan([IPV6_RANGE], ports=",".join(map(str, ports))))
            if have_nmap:
                out.setdefault("nmap", []).append(measure_nmap([IPV6_RANGE], ports, ("-6",)))
    finally:
        listener.close()
    gs = med([r["wall"] for r in out["gatescan"]])
    lines = [f"### IPv6: {IPV6_RANGE} x {len(ports)} ports ({probes:,} probes)", "",
             "| sweep | wall s | probes/s | open found |", "|---|---:|---:|---:|",
             f"| gatescan defaults | {gs:.1f} | {probes / gs:,.0f} | {len(out['gatescan'][0]['open'])} |"]
    if "nmap" in out:
        nm = med([r["wall"] for r in out["nmap"]])
        lines.append(f"| `{' '.join(NMAP)} -6` | {nm:.1f} | {probes / nm:,.0f} | {len(out['nmap'][0]['open'])} |")
    print("\n".join(lines) + "\n", flush=True)
    return out


if __name__ == "__main__":
    main()
