"""The default scan sweeps every loopback port, so it meets the sweep's own sockets: a connect
whose ephemeral port is the very port it dials succeeds against itself (TCP simultaneous open).
That is no listener and must not be reported as an open port."""

from __future__ import annotations

import json
import shlex

from tests.cli.conftest import gatescan_exe
from tests.netns import run_in_netns


def test_a_connect_to_its_own_ephemeral_port_is_not_an_open_port():
    # A namespace of this test's own whose only ephemeral port is 40000: the sweep's socket for
    # 127.0.0.1:40000 is bound to 40000 and connects to itself, every time.
    out = run_in_netns(
        "echo '40000 40000' > /proc/sys/net/ipv4/ip_local_port_range && "
        f"exec {shlex.quote(gatescan_exe())} scan 127.0.0.1 -p 39999-40001 --no-identify --json - --quiet",
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert doc["stats"]["probes_done"] == 3
    assert doc["services"] == [] and doc["stats"]["open"] == 0
