"""Benchmark: a synthetic report of N findings (default 100,000) rendered to JSON, JSONL and
SARIF (and HTML, and loaded back), each in its own process; prints seconds and peak RSS.

Run by hand, never in CI:  python bench/report.py [--findings 100000]
Goal (issue 12): under 10 s and under 1 GiB each on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "src")]

FORMATS = ("json", "jsonl", "sarif", "html", "load")


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(fmt: str, n: int, workdir: str) -> dict:
    from tests.report.synth import many_findings

    t0 = time.perf_counter()
    report = many_findings(n)
    build_s = time.perf_counter() - t0
    rss_model = _peak_rss_mib()
    out = Path(workdir) / f"report.{fmt}"
    t0 = time.perf_counter()
    if fmt == "json":
        from gatescan.report import write_report
        write_report(report, "json", str(out))
    elif fmt == "jsonl":
        from gatescan.report.jsonl import JsonlWriter
        with JsonlWriter(str(out)) as w:
            w.replay(report)
    elif fmt == "sarif":
        from gatescan.report import write_report
        write_report(report, "sarif", str(out))
    elif fmt == "html":
        from gatescan.report.html import render_html
        out.write_text(render_html(report), encoding="utf-8")
    elif fmt == "load":
        from gatescan.report import write_report
        from gatescan.report.jsonout import load_report
        src = Path(workdir) / "src.json"
        write_report(report, "json", str(src))
        del report
        t0 = time.perf_counter()
        report = load_report(str(src))
        out = src
    seconds = time.perf_counter() - t0
    return {"format": fmt, "findings": n, "build_s": round(build_s, 2), "seconds": round(seconds, 2),
            "peak_rss_mib": round(_peak_rss_mib(), 1), "rss_after_model_mib": round(rss_model, 1),
            "bytes": out.stat().st_size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(one(args.one, args.findings, tmp)))
        return
    rows = []
    for fmt in args.formats.split(","):
        proc = subprocess.run([sys.executable, __file__, "--one", fmt, "--findings", str(args.findings)],
                              capture_output=True, text=True, check=True)
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(f"{args.findings:,} findings, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'format':8} {'render s':>9} {'peak RSS MiB':>13} {'model RSS MiB':>14} {'output MiB':>11}  goal <10 s, <1024 MiB")
    for r in rows:
        ok = "ok" if r["seconds"] < 10 and r["peak_rss_mib"] < 1024 else "OVER"
        print(f"{r['format']:8} {r['seconds']:>9.2f} {r['peak_rss_mib']:>13.1f} {r['rss_after_model_mib']:>14.1f} "
              f"{r['bytes'] / 2**20:>11.1f}  {ok}")
    print(f"(building the synthetic model took {rows[0]['build_s']:.2f} s, not counted)")


if __name__ == "__main__":
    main()
