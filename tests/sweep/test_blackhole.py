"""Timeouts, retries and EMFILE, against SYNs that nftables drops in a namespace of the test's own.

Each test runs a small sweep script in a fresh `unshare -rn` namespace where an output-hook rule
drops SYNs to 127.1.0.0/16 (those connects time out, as dead hosts do) and counts the SYNs sent,
so retries are proven by packet counts, not by timing."""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from tests.netns import run_in_netns

pytestmark = pytest.mark.skipif(shutil.which("nft") is None, reason="needs nftables (Debian: nftables)")

NFT = " && ".join([
    "nft add table ip gs",
    "nft add chain ip gs out '{ type filter hook output priority 0; }'",
    "nft add rule ip gs out ip daddr 127.1.0.0/16 'tcp flags & (syn|ack) == syn' counter drop comment '\"dropped\"'",
    "nft add rule ip gs out ip daddr 127.0.0.0/16 'tcp flags & (syn|ack) == syn' counter comment '\"refused\"'",
    "nft add rule ip gs out ip daddr 127.2.0.0/16 'tcp flags & (syn|ack) == syn' counter "
    "reject with icmp type host-unreachable comment '\"unreachable\"'",
])

SCRIPT_HEAD = """
import json, os, resource, socket, sys
from gatescan.scope import build_plan
from gatescan.sweep import SweepConfig, sweep_sync

def report(result):
    print("RESULT " + json.dumps({
        "open": sorted(f"{e.host}:{e.port}" for e in result.open),
        "errors": [e.message for e in result.errors],
        "notices": result.notices, "done": result.done, "total": result.total,
    }))
"""


def _run(tmp_path: Path, body: str) -> tuple[dict, dict[str, int]]:
    script = tmp_path / "sweep_script.py"
    script.write_text(SCRIPT_HEAD + textwrap.dedent(body))
    proc = run_in_netns(f"{NFT} && {sys.executable} {script} && nft list table ip gs", timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = next(json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    found = re.findall(r'counter packets (\d+) bytes \d+ (?:drop |reject[^"]*)?comment "(\w+)"', proc.stdout)
    return result, {name: int(packets) for packets, name in found}


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("retries", [0, 2])
def test_timeouts_are_retried_refusals_are_not(tmp_path, workers, retries):
    result, counters = _run(tmp_path, f"""
        plan = build_plan(["127.1.0.1-4", "127.0.0.1"], [80, 81])
        report(sweep_sync(plan, SweepConfig(timeout=0.2, retries={retries}, workers={workers})))
    """)
    assert result["open"] == [] and result["errors"] == []
    assert result["done"] == result["total"] == 10
    # 8 dropped pairs, each tried 1 + retries times; 2 refused pairs, tried once each. The
    # kernel's own SYN retransmit comes after 1 s, well after the 0.2 s timeout closes it.
    assert counters == {"dropped": 8 * (1 + retries), "refused": 2, "unreachable": 0}


def test_listener_found_among_timeouts(tmp_path):
    result, counters = _run(tmp_path, """
        listener = socket.create_server(("127.0.0.3", 8080))
        plan = build_plan(["127.1.0.0/28", "127.0.0.3"], [8080, 8081])
        report(sweep_sync(plan, SweepConfig(timeout=0.2, workers=2)))
    """)
    assert result["open"] == ["127.0.0.3:8080"]
    assert result["done"] == result["total"] == 34
    assert counters["dropped"] == 32


def test_emfile_lowers_the_window_and_the_sweep_completes(tmp_path):
    # A low descriptor limit the sweep cannot raise, most of it already used: the window the
    # limit allows (limit - reserve) does not fit, connects hit EMFILE, the engine shrinks.
    result, counters = _run(tmp_path, """
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        held = [os.open(os.devnull, os.O_RDONLY) for _ in range(150)]
        listener = socket.create_server(("127.0.0.1", 8080))
        plan = build_plan(["127.1.0.0/25", "127.0.0.1"], [8080, 8081])
        report(sweep_sync(plan, SweepConfig(concurrency=2048, timeout=0.3, workers=0)))
    """)
    assert result["open"] == ["127.0.0.1:8080"]
    assert result["done"] == result["total"] == 258
    assert any("open-file limit 256" in n for n in result["notices"]), result["notices"]
    assert any(n.startswith("EMFILE") and "window lowered" in n for n in result["notices"]), result["notices"]
    assert counters["dropped"] == 256  # every pair probed exactly once, none lost to EMFILE


@pytest.mark.parametrize("workers", [0, 2])
def test_icmp_host_unreachable_is_one_error_record_per_host(tmp_path, workers):
    result, counters = _run(tmp_path, f"""
        plan = build_plan(["127.2.0.1-3", "127.0.0.1"], [80, 81, 82])
        report(sweep_sync(plan, SweepConfig(timeout=0.5, retries=2, workers={workers})))
    """)
    assert result["done"] == result["total"] == 12
    assert sorted(result["errors"]) == ["EHOSTUNREACH: No route to host"] * 3
    assert counters["unreachable"] == 9  # an answer, not a timeout: never retried
