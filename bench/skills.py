"""Skills audit speed and memory: skills/s and peak RSS for 1,000 vs 10,000 generated skills;
with --cisco, the whole `gatescan skills` command against Cisco's skill-scanner.

    python bench/skills.py [--sizes 1000,10000] [--keep DIR]
    python bench/skills.py --cisco [--keep DIR] [--cisco-subset 1000] [--labeled tests/data/skills]

Each size runs in its own process (so peak RSS is that run's alone) over a generated tree:
SKILL.md with an OpenClaw-style flow-mapping manifest, a script, a README, and for half of
the skills a ClawHub origin.json and lock entry (so identity compares real fingerprints).
Goal (issue 11): >= 1,000 skills/s for inventory + manifest + identity, memory flat.

--cisco (by hand, never in CI): Cisco's `skill-scanner` (PyPI cisco-ai-skill-scanner, its
default static analyzers only: static YAML+YARA, bytecode, pipeline; no LLM, no cloud) from its
own virtualenv (--cisco-venv, default ~/.cache/gatescan-bench-cisco/venv:
`python3.11 -m venv ~/.cache/gatescan-bench-cisco/venv && .../bin/pip install
cisco-ai-skill-scanner`). Both tools run as whole processes inside `unshare -rn` (no network),
timed and measured by /usr/bin/time (wall seconds, peak RSS): gatescan on the generated
10,000-skill tree and both on the same subset of it (--cisco-subset skills; Cisco needs about
half a second per skill), then both on the labeled set (tests/data/skills/{malicious,benign},
labels.yaml): recall on the malicious samples and false positives on the benign ones, a skill
counting as flagged when its worst finding is at or above medium (and, second figure, high).
Goal (issue 18): >= 50x Cisco's throughput, higher recall, fewer false positives.
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


TOP = Path(__file__).resolve().parent.parent
LEVELS = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def timed(argv: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds (user + system), peak RSS KiB) of `argv` run inside a fresh
    network namespace. On a shared, loaded machine the CPU seconds are the fairer figure."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        subprocess.run(["unshare", "-rn", "/usr/bin/time", "-o", t.name, "-f", "%e %U %S %M", *argv],
                       capture_output=True, text=True, env=env)
        wall, user, system, rss = t.read().split()[-4:]
    return float(wall), float(user) + float(system), int(rss)


def gatescan_cmd(root: Path, out: Path) -> tuple[list[str], dict]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(TOP / "src"), os.environ.get("PYTHONPATH")) if p))
    return [sys.executable, "-c", "from gatescan.cli import main; main()", "skills", str(root), "--quiet",
            "--json", str(out)], env


def cisco_cmd(venv: Path, root: Path, out: Path) -> list[str]:
    return [str(venv / "bin" / "skill-scanner"), "scan-all", str(root), "-r", "--format", "json",
            "--output-json", str(out)]


def gatescan_verdicts(report: dict) -> dict[str, int]:
    """Skill folder name -> worst finding level (-1: none)."""
    worst = {Path(s["path"]).name: -1 for s in report.get("skills") or []}
    paths = {s["path"]: Path(s["path"]).name for s in report.get("skills") or []}
    for f in report["findings"]:
        where = f.get("path") or f.get("target") or ""
        for skill_path, name in paths.items():
            if where == skill_path or where.startswith(skill_path + os.sep):
                worst[name] = max(worst[name], LEVELS[f["severity"]])
    return worst


def cisco_verdicts(report: dict) -> dict[str, int]:
    worst = {}
    for r in report.get("results") or []:
        levels = [LEVELS.get(str(f.get("severity", "")).lower(), 0) for f in r.get("findings") or []]
        worst[Path(r["skill_path"]).name] = max(levels, default=-1)
    return worst


def compare_cisco(args) -> None:
    venv = Path(args.cisco_venv).expanduser()
    if not (venv / "bin" / "skill-scanner").exists():
        sys.exit(f"no skill-scanner in {venv}: python3.11 -m venv {venv} && {venv}/bin/pip install cisco-ai-skill-scanner")
    work = Path(args.keep or tempfile.mkdtemp(prefix="gatescan-bench-cisco-"))
    size = int(args.sizes.split(",")[-1])
    root = work / f"n{size}"
    if not root.exists():
        generate(root, size)
    subset = work / f"subset{args.cisco_subset}"
    if not subset.exists():  # the first groups of the same tree, copied (no hard links: OpenClaw refuses those)
        groups = sorted((root / "skills").iterdir())
        per = max(1, size // len(groups))
        for g in groups[:max(1, args.cisco_subset // per)]:
            shutil.copytree(g, subset / "skills" / g.name)
    rows = []
    for label, tree in ((f"{size:,} generated skills", root / "skills"),
                        (f"{args.cisco_subset:,}-skill subset", subset / "skills")):
        for tool in ("gatescan", "cisco"):
            if tool == "cisco" and tree == root / "skills" and not args.cisco_full:
                continue
            out = work / f"{tool}-{tree.parent.name}.json"
            # a run on a kept tree (--keep DIR) is reused unless --fresh names its tool (or delete the file)
            cached = work / f"{tool}-{tree.parent.name}.run.json"
            if cached.exists() and tool not in args.fresh.split(","):
                wall, cpu, rss, n = json.loads(cached.read_text())
            else:
                if tool == "gatescan":
                    argv, env = gatescan_cmd(tree, out)
                    wall, cpu, rss = timed(argv, env)
                    n = len(json.loads(out.read_text())["skills"])
                else:
                    wall, cpu, rss = timed(cisco_cmd(venv, tree, out))
                    n = len(json.loads(out.read_text())["results"])
                cached.write_text(json.dumps([wall, cpu, rss, n]))
            rows.append((label, tool, n, wall, cpu, rss))
            print(f"{label}: {tool} {n} skills in {wall:.1f}s ({cpu:.1f} CPU s), peak RSS {rss / 1024:.0f} MiB",
                  file=sys.stderr)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print("| tree | tool | skills | wall s | CPU s | skills/s (wall) | skills/CPU-s | peak RSS |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, tool, n, wall, cpu, rss in rows:
        print(f"| {label} | {tool} | {n:,} | {wall:.1f} | {cpu:.1f} | {n / wall:,.1f} | {n / cpu:,.1f} | "
              f"{rss / 1024:,.0f} MiB |")
    by = {(label, tool): (n / wall, n / cpu) for label, tool, n, wall, cpu, _ in rows}
    sub = f"{args.cisco_subset:,}-skill subset"
    if (sub, "cisco") in by:
        (gw, gc), (cw, cc) = by[(sub, "gatescan")], by[(sub, "cisco")]
        print(f"\nsame subset, gatescan / cisco: {gw / cw:.0f}x (wall), {gc / cc:.0f}x (CPU)")

    labeled = Path(args.labeled)
    if not (labeled / "malicious").is_dir():
        print(f"\n(no labeled set at {labeled}: skipped)")
        return
    table = []
    for tool in ("gatescan", "cisco"):
        worst: dict[str, dict[str, int]] = {}
        for kind in ("malicious", "benign"):
            out = work / f"{tool}-labeled-{kind}.json"
            if tool == "gatescan":
                argv, env = gatescan_cmd(labeled / kind, out)
                timed(argv, env)
                worst[kind] = gatescan_verdicts(json.loads(out.read_text()))
            else:  # deterministic and slow: reused while the samples are the same
                names = sorted(p.name for p in (labeled / kind).iterdir() if p.is_dir())
                stamp = work / f"cisco-labeled-{kind}.names.json"
                if not (out.exists() and stamp.exists() and json.loads(stamp.read_text()) == names):
                    timed(cisco_cmd(venv, labeled / kind, out))
                    stamp.write_text(json.dumps(names))
                worst[kind] = cisco_verdicts(json.loads(out.read_text()))
            for name in sorted(p.name for p in (labeled / kind).iterdir() if p.is_dir()):
                worst[kind].setdefault(name, -1)
        table.append((tool, worst))
    print("\n| tool | malicious caught (>= medium) | (>= high) | benign flagged (>= medium) | (>= high) |")
    print("|---|---:|---:|---:|---:|")
    for tool, worst in table:
        mal, ben = worst["malicious"], worst["benign"]
        cnt = lambda d, lvl: sum(1 for v in d.values() if v >= lvl)  # noqa: E731
        print(f"| {tool} | {cnt(mal, 2)}/{len(mal)} | {cnt(mal, 3)}/{len(mal)} | {cnt(ben, 2)}/{len(ben)} | "
              f"{cnt(ben, 3)}/{len(ben)} |")
    names = {v: k for k, v in LEVELS.items()}
    print("\n| sample | gatescan | cisco |")
    print("|---|---|---|")
    for kind in ("malicious", "benign"):
        for name in sorted(table[0][1][kind]):
            g, c = table[0][1][kind].get(name, -1), table[1][1][kind].get(name, -1)
            print(f"| {kind}/{name} | {names.get(g, '-')} | {names.get(c, '-')} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--keep", help="generate under this directory and keep it")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--cisco", action="store_true", help="compare with Cisco's skill-scanner (see the docstring)")
    ap.add_argument("--cisco-venv", default="~/.cache/gatescan-bench-cisco/venv")
    ap.add_argument("--cisco-subset", type=int, default=1000, help="skills of the tree Cisco scans")
    ap.add_argument("--cisco-full", action="store_true", help="also run Cisco on the whole tree (hours)")
    ap.add_argument("--fresh", default="", help="tools whose kept runs are redone: gatescan,cisco")
    ap.add_argument("--labeled", default=str(Path(__file__).resolve().parent.parent / "tests/data/skills"))
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    if args.cisco:
        compare_cisco(args)
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
