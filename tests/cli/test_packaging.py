"""The wheel carries everything: build it offline, install it into a fresh virtualenv, run it."""

from __future__ import annotations

import json
import signal
import site
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli.conftest import tcp_listeners
from tests.netns import requires_netns

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("packaging")
    dist = work / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    if built.returncode != 0 and "No module named" in built.stderr and "hatchling" in built.stderr:
        pytest.skip("hatchling is not installed (it is in the [test] extra)")
    assert built.returncode == 0, built.stderr
    wheel = next(dist.glob("gatescan-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    # The runtime dependencies come from the environment running the tests (itself perhaps a
    # virtualenv); plain path lines do not process that environment's .pth files, so its
    # editable gatescan stays out and the wheel is what gets imported.
    purelib = next((venv / "lib").glob("python3*/site-packages"))
    (purelib / "outer-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300)
    return venv


def _run(venv: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "gatescan"), *args], capture_output=True, text=True, timeout=120, **kwargs)


def test_installed_wheel_imports_from_its_own_site_packages(wheel_venv):
    out = subprocess.run([str(wheel_venv / "bin" / "python"), "-c", textwrap.dedent("""
        import gatescan, gatescan._paths as p
        print(gatescan.__file__)
        print(p.data_dir("fingerprints"))
        print(p.data_dir("lab"))
        print(p.import_lab().__file__)
    """)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    assert all(str(wheel_venv) in line for line in lines), lines


def test_installed_version(wheel_venv):
    out = _run(wheel_venv, "--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("gatescan ")


def test_installed_scan_finds_a_listener(wheel_venv):
    with tcp_listeners([("127.0.0.1", 0)]) as bound:
        port = bound[0][1]
        out = _run(wheel_venv, "scan", "127.0.0.1", "-p", str(port), "--no-identify", "--json", "-", "--quiet")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [(s["host"], s["port"]) for s in doc["services"]] == [("127.0.0.1", port)]
    assert doc["complete"] is True


def test_installed_fingerprints_validate(wheel_venv):
    out = _run(wheel_venv, "fingerprints", "validate")
    assert out.returncode == 0, out.stdout + out.stderr
    listed = _run(wheel_venv, "fingerprints", "list")
    assert "openclaw-gateway" in listed.stdout and "ollama" in listed.stdout


@contextmanager
def _wheel_lab_ollama(venv: Path, tmp_path: Path):
    """`gatescan lab up --only ollama` from the wheel; yields its manifest's entries, stops it with SIGINT."""
    manifest = tmp_path / "lab.json"
    proc = subprocess.Popen([str(venv / "bin" / "gatescan"), "lab", "up", "--only", "ollama",
                             "--manifest", str(manifest)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not manifest.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert manifest.exists(), proc.stderr.read() if proc.poll() is not None else "no manifest"
        yield json.loads(manifest.read_text())["endpoints"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


@requires_netns
def test_installed_lab_up_serves_ollama(wheel_venv, tmp_path):
    import urllib.request

    with _wheel_lab_ollama(wheel_venv, tmp_path) as entries:
        assert {e["product"] for e in entries} == {"ollama"}
        first = entries[0]
        with urllib.request.urlopen(f"http://{first['host']}:{first['port']}/", timeout=10) as resp:
            assert b"Ollama is running" in resp.read()


@requires_netns
def test_installed_scan_identifies_the_lab_ollama_and_reports_its_finding(wheel_venv, tmp_path, validate_report):
    """A full scan (identification and checks) run by the wheel's own gatescan against the wheel's
    lab twin: the JSON report is schema-valid, names the service Ollama and holds auth.missing."""
    with _wheel_lab_ollama(wheel_venv, tmp_path) as entries:
        host, port = entries[0]["host"], entries[0]["port"]
        out = _run(wheel_venv, "scan", host, "-p", str(port), "--json", "-", "--quiet")
    assert out.returncode == 1, out.stderr  # version.vulnerable on Ollama 0.1.28 is critical (CVE-2026-7482)
    doc = validate_report(json.loads(out.stdout))
    assert doc["complete"] is True
    (service,) = doc["services"]
    assert (service["host"], service["port"], service["product"]) == (host, port, "ollama")
    found = {(f["check"], f["host"], f["port"], f["product"]) for f in doc["findings"]}
    assert ("auth.missing", host, port, "ollama") in found, doc["findings"]
    assert {c["check"]: c["result"] for c in service["checks"]}["auth.missing"] == "finding"
