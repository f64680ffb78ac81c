"""Timeouts, retries and EMFILE, against SYNs that nftables drops in a namespace of the test's own.

Each test runs a small sweep script in a fresh `unshare -rn` namespace where an output-hook rule
drops SYNs to 127.1.0.0/16 (those connects time out, as dead hosts do) and counts the SYNs sent,
so retries are proven by packet counts, not by timing. The last test answers SYNs with RSTs
that arrive after connect() returns, the path every real remote host's refusal takes."""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap

import pytest

from tests.netns import run_in_netns
from tests.sweep.helpers import SCRIPT_HEAD, run_sweep_script as _run

pytestmark = pytest.mark.skipif(shutil.which("nft") is None, reason="needs nftables (Debian: nftables)")

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


# A refusal that arrives after connect() has returned, as every remote host's does: SYNs to
# 10.99.0.1 are dropped on input (the kernel never answers them itself), and a thread of the
# sweep script that sees each SYN on lo answers it with a crafted RST a moment later, so the
# engine learns of it only through epoll (EPOLLERR, SO_ERROR ECONNREFUSED).
RST_NFT = " && ".join([
    "nft add table ip rst",
    "nft add chain ip rst in '{ type filter hook input priority 0; }'",
    "nft add rule ip rst in ip daddr 10.99.0.1 'tcp flags & (syn|ack) == syn' counter drop comment '\"dropped\"'",
    "nft add rule ip rst in ip saddr 10.99.0.1 'tcp flags & rst == rst' counter comment '\"reset\"'",
])

RST_INJECTOR = """
import struct, threading, time

def _sum16(data):
    if len(data) % 2:
        data += b"\\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF

def _rst_for(frame):
    ip = frame[14:]
    if frame[12:14] != bytes([8, 0]) or len(ip) < 40 or ip[9] != 6 or ip[16:20] != socket.inet_aton("10.99.0.1"):
        return None
    sport, dport, seq, _, off_flags = struct.unpack("!HHIIH", ip[20:34])
    if off_flags & 0x12 != 0x02:  # SYN without ACK
        return None
    src, dst = ip[16:20], ip[12:16]
    tcp = struct.pack("!HHIIHHHH", dport, sport, 0, (seq + 1) & 0xFFFFFFFF, (5 << 12) | 0x14, 0, 0, 0)
    check = _sum16(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", check) + tcp[18:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0, src, dst)
    return header + tcp, socket.inet_ntoa(dst)

def inject_resets(expected, delay=0.1):
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))  # ETH_P_ALL: outgoing too
    sniff.bind(("lo", 0))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    def run():
        sent, answered = 0, set()
        while sent < expected:
            frame, addr = sniff.recvfrom(65535)
            if addr[2] != socket.PACKET_OUTGOING:
                continue
            made = _rst_for(frame)
            if made and made[0][20:24] not in answered:  # one RST per connection (ports)
                answered.add(made[0][20:24])
                time.sleep(delay)  # long after the engine's second connect() has returned
                raw.sendto(made[0], (made[1], 0))
                sent += 1
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread
"""


@pytest.mark.parametrize("workers", [0, 2])
def test_a_refusal_through_epoll_is_refused_not_open(tmp_path, workers):
    script = tmp_path / "sweep_script.py"
    script.write_text(SCRIPT_HEAD + RST_INJECTOR + textwrap.dedent(f"""
        injector = inject_resets(4)
        plan = build_plan(["10.99.0.1"], [81, 82, 83, 84])
        report(sweep_sync(plan, SweepConfig(timeout=10.0, retries=0, workers={workers})))
        injector.join()
    """))
    proc = run_in_netns(f"{RST_NFT} && {sys.executable} {script} && nft list table ip rst", timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = next(json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    found = re.findall(r'counter packets (\d+) bytes \d+ (?:drop )?comment "(\w+)"', proc.stdout)
    counters = {name: int(packets) for packets, name in found}
    # every SYN was dropped on input and answered only by an injected RST: each refusal came
    # from outside the connect() call, through epoll (a kernel retransmit on a loaded machine
    # adds a dropped SYN, never a refusal)
    assert counters["reset"] == 4 and counters["dropped"] >= 4, counters
    assert result["open"] == [] and result["errors"] == [], result
    assert result["done"] == result["total"] == 4
