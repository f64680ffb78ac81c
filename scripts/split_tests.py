#!/usr/bin/env python3
"""Deal the suite's test files into N buckets of about equal expected time (plus one per file
that must run alone), one line per bucket.

scripts/test runs each bucket in its own private network namespace at once: the tests mostly
wait (timeouts, deadlines, real products starting), and namespaces keep their ports apart.
Weights are rough seconds per file; files not listed count DEFAULT.
"""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT = 6
WEIGHTS = {  # the files that start real products, browsers, brokers or wait out timeouts
    "tests/checks/test_openclaw_real.py": 120, "tests/identify/test_real_openclaw.py": 90,
    "tests/checks/test_browser_proof.py": 90, "tests/identify/test_cross_match.py": 90,
    "tests/discover/test_mdns.py": 90, "tests/checks/test_lab.py": 45, "tests/checks/test_hostile.py": 30,
    "tests/sweep/test_blackhole.py": 40, "tests/sweep/test_adaptive.py": 50, "tests/sweep/test_lifecycle.py": 40,
    "tests/skills/test_rules_corpus.py": 30, "tests/skills/test_openclaw_bundled.py": 30,
    "tests/local/test_audit.py": 40, "tests/cli/test_packaging.py": 40, "tests/cli/test_signals.py": 30,
    "tests/identify/test_a2a_agent.py": 40, "tests/identify/test_codex_app_server.py": 30,
    "tests/identify/test_decoys_and_hostile.py": 40, "tests/identify/test_lab_runner.py": 30,
}
DIR_WEIGHTS = {"tests/distributed": 60}
# files that get a namespace of their own, run after the buckets on a quiet machine ("after: "
# lines): the real gateway's mDNS beacon must be the only multicast traffic and the only
# responder on its namespace's lo, and the browses are timed
ALONE = ("tests/discover/test_mdns.py",  # and local mode, which audits every listener of its namespace
         "tests/local/test_audit.py")


def main() -> int:
    n = max(1, int(sys.argv[1]))
    root = Path(sys.argv[2] if len(sys.argv) > 2 else "tests")
    files = sorted(str(p) for p in root.rglob("test_*.py"))
    alone = [f for f in files if f in ALONE]
    files = [f for f in files if f not in ALONE]
    def weight(f: str) -> int:
        return WEIGHTS.get(f) or next((w for d, w in DIR_WEIGHTS.items() if f.startswith(d + "/")), DEFAULT)
    buckets: list[tuple[int, list[str]]] = [(0, []) for _ in range(n)]
    for f in sorted(files, key=weight, reverse=True):
        i = min(range(n), key=lambda k: buckets[k][0])
        total, items = buckets[i]
        buckets[i] = (total + weight(f), items + [f])
    for _, items in buckets:
        if items:
            print(" ".join(sorted(items)))
    for f in alone:
        print("after: " + f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
