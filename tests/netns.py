"""Private network namespaces for tests (DESIGN.md, Safety).

The suite itself runs under `unshare -rn` (scripts/test); `in_private_netns()` tells a test
whether it is inside one, and `run_in_netns()` runs a command in a fresh one of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache

import pytest

NETNS_ENV = "GATESCAN_TEST_NETNS"  # set by scripts/test when it made the namespace


def in_private_netns() -> bool:
    return os.environ.get(NETNS_ENV) == "1"


requires_netns = pytest.mark.skipif(
    not in_private_netns(),
    reason="needs the private network namespace (run the suite with scripts/test; "
    "user namespaces may not be permitted here)",
)


@lru_cache(maxsize=1)
def netns_available() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    return probe.returncode == 0


def run_in_netns(script: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """Run a shell script in a new namespace with lo up and 10.99.0.1/32 aliased on lo."""
    if not netns_available():
        pytest.skip("user namespaces are not permitted here")
    prelude = "ip link set lo up && ip addr add 10.99.0.1/32 dev lo && "
    return subprocess.run(
        ["unshare", "-rn", "sh", "-c", prelude + script],
        capture_output=True, text=True, timeout=timeout, **kwargs,
    )
