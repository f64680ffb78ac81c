"""Helpers for driving the installed `gatescan` console script end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.listeners import tcp_listener


def gatescan_exe() -> str:
    beside = Path(sys.executable).parent / "gatescan"
    if beside.exists():
        return str(beside)
    found = shutil.which("gatescan")
    if not found:
        pytest.skip("the gatescan console script is not installed (pip install -e .)")
    return found


def run_gatescan(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([gatescan_exe(), *args], capture_output=True, text=True, timeout=timeout, **kwargs)


@contextmanager
def tcp_listeners(addresses: list[tuple[str, int]]):
    """Open plain TCP listeners (accept nothing); yields the bound (host, port) pairs."""
    socks, bound = [], []
    try:
        for host, port in addresses:
            s = tcp_listener(host, port)
            socks.append(s)
            bound.append((host, s.getsockname()[1]))
        yield bound
    finally:
        for s in socks:
            s.close()


def parse_json_report(text: str) -> dict:
    return json.loads(text)
