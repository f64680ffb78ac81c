"""Exit codes, every output format and baselines, through the CLI against the lab (one Ollama twin pair)."""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from gatescan.labrun import running_lab
from tests.cli.conftest import gatescan_exe
from tests.netns import requires_netns

pytestmark = requires_netns


async def _gatescan(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(gatescan_exe(), *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def ollama_lab():
    async with running_lab(["ollama"], base="127.0.31.0") as lab:
        yield lab


async def test_fail_on_every_format_and_baseline(ollama_lab, tmp_path, validate_report):
    hosts = sorted({e["host"] for e in ollama_lab.entries})
    target = f"{hosts[0]}-{hosts[-1].rsplit('.', 1)[1]}"
    first = tmp_path / "first.json"
    # Ollama's network findings are medium (inference only), but version.vulnerable on the 0.1.28
    # twin is critical (CVE-2026-7482): at or above the default --fail-on high ...
    rc, out, err = await _gatescan("scan", target, "-p", "11434", "--json", str(first),
                                   "--sarif", str(tmp_path / "r.sarif"), "--html", str(tmp_path / "r.html"))
    assert rc == 1, out + err
    doc = validate_report(json.loads(first.read_text()))
    assert {s["product"] for s in doc["services"]} == {"ollama"}
    assert any(f["check"] == "auth.missing" for f in doc["findings"])
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert "auth.missing" in (tmp_path / "r.html").read_text()
    # ... and so at or above --fail-on medium
    rc, _, err = await _gatescan("scan", target, "-p", "11434", "--fail-on", "medium", "--quiet")
    assert rc == 1, err
    # a saved report as baseline suppresses the same findings, so nothing new fails the run
    second = tmp_path / "second.json"
    rc, out, err = await _gatescan("scan", target, "-p", "11434", "--fail-on", "medium", "--baseline", str(first),
                                   "--json", str(second), "--quiet")
    assert rc == 0, out + err
    doc2 = validate_report(json.loads(second.read_text()))
    assert doc2["findings"] == []
    assert len(doc2["suppressed"]) == len(doc["findings"])
    # the JSONL stream holds back what the baseline suppresses, and its summary counts it
    rc, out, err = await _gatescan("scan", target, "-p", "11434", "--fail-on", "medium", "--baseline", str(first),
                                   "--jsonl", "-", "--quiet")
    events = [json.loads(line) for line in out.splitlines()]
    assert rc == 0, err
    assert not [e for e in events if e["type"] == "finding"]
    assert events[-1]["counts"]["suppressed"] == len(doc["findings"])
    # report diff: nothing new between the two scans' findings once the baseline is gone
    rc, out, _ = await _gatescan("report", "diff", str(first), str(first), "--json", "-")
    assert rc == 0 and json.loads(out)["counts"]["new"] == 0


async def test_jsonl_to_stdout_streams_typed_events(ollama_lab):
    host = ollama_lab.entries[0]["host"]
    rc, out, err = await _gatescan("scan", host, "-p", "11434", "--jsonl", "-")
    assert rc == 1, err  # the 0.1.28 twin's version.vulnerable finding is critical (CVE-2026-7482)
    events = [json.loads(line) for line in out.splitlines()]
    types = [e["type"] for e in events]
    assert "error" not in types, [e for e in events if e["type"] == "error"]
    assert types[-1] == "summary"
    assert "service" in types and "finding" in types
    assert "sweep" in err or "service" in err  # the console moved to stderr


async def test_sarif_to_stdout_is_all_that_stdout_holds(ollama_lab):
    host = ollama_lab.entries[0]["host"]
    rc, out, err = await _gatescan("scan", host, "-p", "11434", "--sarif", "-")
    assert rc == 1, err  # the 0.1.28 twin's version.vulnerable finding is critical (CVE-2026-7482)
    assert json.loads(out)["version"] == "2.1.0"  # the console went to stderr
    assert "sweep" in err


async def test_jsonl_reader_gone_is_an_incomplete_run_not_a_traceback(ollama_lab, tmp_path, validate_report):
    """`gatescan scan --jsonl - | head -1`: the scan finishes, the other outputs are written, exit 3."""
    host = ollama_lab.entries[0]["host"]
    read_end, write_end = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        gatescan_exe(), "scan", host, "-p", "11434", "--jsonl", "-", "--json", str(tmp_path / "r.json"),
        stdout=write_end, stderr=asyncio.subprocess.PIPE)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:  # read one line, then go away as `head -1` does
        first = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, reader.readline), 60)
    assert json.loads(first)["type"]
    err = (await asyncio.wait_for(proc.stderr.read(), 120)).decode()
    assert await proc.wait() == 3, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    doc = validate_report(json.loads((tmp_path / "r.json").read_text()))
    assert doc["complete"] is False
    assert any(e["where"] == "--jsonl" and "Broken pipe" in e["message"] for e in doc["errors"])


async def test_console_reader_gone_still_writes_the_report(ollama_lab, tmp_path, validate_report):
    """`gatescan scan ... --json r.json | head -1`: the report is written and the exit code is the scan's."""
    host = ollama_lab.entries[0]["host"]
    read_end, write_end = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        gatescan_exe(), "scan", host, "-p", "11434", "--json", str(tmp_path / "r.json"),
        stdout=write_end, stderr=asyncio.subprocess.PIPE)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        assert await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, reader.readline), 60)
    err = (await asyncio.wait_for(proc.stderr.read(), 120)).decode()
    assert await proc.wait() == 1, err  # version.vulnerable on Ollama 0.1.28 is critical (CVE-2026-7482)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    doc = validate_report(json.loads((tmp_path / "r.json").read_text()))
    assert doc["complete"] is True and doc["findings"]


async def test_jsonl_events_arrive_before_the_scan_ends():
    """`gatescan scan ... --jsonl - | jq` shows results while a tarpit still holds the scan."""
    async with running_lab(["ollama-vulnerable", "decoy-tarpit"], base="127.0.32.0") as lab:
        hosts = sorted(e["host"] for e in lab.entries)
        target = f"{hosts[0]}-{hosts[-1].rsplit('.', 1)[1]}"
        proc = await asyncio.create_subprocess_exec(
            gatescan_exe(), "scan", target, "-p", "11434", "--jsonl", "-", "--quiet",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            seen = []
            while not any(e["type"] == "service" for e in seen):
                line = await asyncio.wait_for(proc.stdout.readline(), 60)
                assert line, "the scan ended before any service event"
                seen.append(json.loads(line))
            # the Ollama twin is reported while the tarpit's endpoint is still being waited on
            assert proc.returncode is None
            assert [e["product"] for e in seen if e["type"] == "service"] == ["ollama"]
            rest = [json.loads(line) for line in (await asyncio.wait_for(proc.stdout.read(), 120)).splitlines()]
        finally:
            if proc.returncode is None:
                await proc.wait()
        assert rest[-1]["type"] == "summary"
        assert sorted(e["product"] for e in seen + rest if e["type"] == "service") == ["ollama", "unknown"]
