"""Headless Chromium with the flags of DESIGN.md (Safety): fresh profile, no background
traffic, every name but localhost and 127.* unresolvable, a dead proxy for the rest."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium")
SAFE_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP rebind.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.*",
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=rebind.test",
]


def run_chromium(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="gatescan-chromium-") as profile:
        cmd = [CHROMIUM, f"--user-data-dir={profile}", *SAFE_FLAGS, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def dump_dom(url: str) -> str:
    proc = run_chromium("--virtual-time-budget=3000", "--dump-dom", url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def screenshot(url: str, dest: Path, size: str = "1280,1700") -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    proc = run_chromium(f"--window-size={size}", "--hide-scrollbars", f"--screenshot={dest}", url)
    assert dest.is_file() and dest.stat().st_size > 1000, proc.stderr[-2000:]
