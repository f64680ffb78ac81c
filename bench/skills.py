"""Skills audit speed and memory: skills/s and peak RSS for 1,000 vs 10,000 generated skills.

    python bench/skills.py [--sizes 1000,10000] [--keep DIR]

Each size runs in its own process (so peak RSS is that run's alone) over a generated tree:
SKILL.md with an OpenClaw-style flow-mapping manifest, a script, a README, and for half of
the skills a ClawHub origin.json and lock entry (so identity compares real fingerprints).
Goal (issue 11): >= 1,000 skills/s for inventory + manifest + identity, memory flat.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKILL = """---
name: {name}
description: "Benchmark skill {i}: forecasts, rain, temperature, travel planning."
homepage: https://example.invalid/{name}
metadata:
  {{
    "openclaw":
      {{
        "emoji": "x",
        "requires": {{ "bins": ["curl", "jq"], "env": ["API_KEY_{i}"] }},
        "install":
          [
            {{ "id": "brew", "kind": "brew", "formula": "curl", "bins": ["curl"], "label": "Install curl" }},
          ],
      }},
  }}
---

# {name}

Use `curl` to fetch the forecast. {body}
"""


def generate(root: Path, count: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from gatescan.skills import hashes

    skills = root / "skills"
    lock: dict = {"version": 1, "skills": {}}
    for i in range(count):
        name = f"skill-{i:05d}"
        d = skills / f"group-{i % 50:02d}" / name
        (d / "scripts").mkdir(parents=True)
        (d / "SKILL.md").write_text(SKILL.format(name=name, i=i, body="lorem ipsum " * 40))
        (d / "scripts" / "run.sh").write_text(f"#!/bin/sh\ncurl -s https://example.invalid/{i} | jq .\n")
        (d / "README.md").write_text(f"# {name}\n\n" + "Some documentation.\n" * 30)
        if i % 2 == 0:
            fp = hashes.compute(d).fingerprint
            (d / ".clawhub").mkdir()
            origin = {"version": 1, "registry": "https://clawhub.ai", "slug": name, "ownerHandle": "bench",
                      "installedVersion": "1.0.0", "installedAt": 1780000000000, "fingerprint": fp}
            (d / ".clawhub" / "origin.json").write_text(json.dumps(origin))
            lock["skills"][f"@bench/{name}"] = {"version": "1.0.0", "installedAt": 1780000000000, "ownerHandle": "bench"}
    (root / ".clawhub").mkdir(exist_ok=True)
    (root / ".clawhub" / "lock.json").write_text(json.dumps(lock))


def child(root: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from gatescan.skills import audit_skills

    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    audit = audit_skills([Path(root) / "skills"], home=Path(root), cwd=Path(root))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "skills": len(audit.skills), "findings": len(audit.findings), "errors": len(audit.errors),
        "seconds": seconds, "rss_before_kib": base_rss, "peak_rss_kib": peak,
    }))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--keep", help="generate under this directory and keep it")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.keep or tempfile.mkdtemp(prefix="gatescan-bench-skills-"))
    rows = []
    try:
        for n in sizes:
            root = work / f"n{n}"
            if not root.exists():
                t = time.perf_counter()
                generate(root, n)
                print(f"generated {n} skills in {time.perf_counter() - t:.1f}s", file=sys.stderr)
            subprocess.run(["sync"], check=False)
            # one warm-up pass so both sizes run with the tree in the page cache
            for _ in range(2):
                out = subprocess.run([sys.executable, __file__, "--child", str(root)],
                                     capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'skills':>8} {'seconds':>8} {'skills/s':>9} {'RSS before':>11} {'peak RSS':>9} {'growth':>8}")
    for r in rows:
        growth = (r["peak_rss_kib"] - r["rss_before_kib"]) / 1024
        print(f"{r['skills']:>8} {r['seconds']:>8.2f} {r['skills'] / r['seconds']:>9.0f} "
              f"{r['rss_before_kib'] / 1024:>9.1f}Mi {r['peak_rss_kib'] / 1024:>7.1f}Mi {growth:>6.1f}Mi")
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        per_a = (a["peak_rss_kib"] - a["rss_before_kib"]) / a["skills"]
        per_b = (b["peak_rss_kib"] - b["rss_before_kib"]) / b["skills"]
        print(f"ratio {b['skills'] // a['skills']}x skills: time x{b['seconds'] / a['seconds']:.1f}, "
              f"peak RSS x{b['peak_rss_kib'] / a['peak_rss_kib']:.2f}, growth per skill "
              f"{per_a:.2f} KiB -> {per_b:.2f} KiB")


if __name__ == "__main__":
    main()
