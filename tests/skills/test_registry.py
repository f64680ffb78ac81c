"""`gatescan skills --registry`: resolve and security-verdicts against a ClawHub twin on loopback
(lab/clawhub_registry.py): a malicious verdict, an unknown hash, a 429, offline, batching, and
verdicts keyed to the exact files (a saved snapshot stops applying when a file changes)."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import pytest

from gatescan.app import SkillsRequest, audit_skills, prepare_skills
from gatescan.net.client import Client
from gatescan.skills import audit_skills as run_audit, dump_allowlist, load_allowlist
from gatescan.skills import hashes
from gatescan.skills.registry import (
    MAX_BATCH, Pacer, RegistryOptions, RegistryUnreachable, local_skills, query, snapshot,
)
from lab.clawhub_registry import LabRegistry, Published, start
from tests.skills.test_identity import install


def fingerprint(skill: Path) -> str:
    h = hashes.compute(skill)
    return h.source_fingerprint or h.fingerprint


@pytest.fixture
def fleet(tmp_path):
    ws = tmp_path / "ws"
    weather = install(ws, "weather", "clawhub", owner="steipete")
    evil = install(ws, "evil", "openclaw", owner="mallory")
    notion = install(ws, "notion", "clawhub", owner="acme")
    for name in ("copied", "other"):  # local skills, no origin: asked by their name
        (ws / "skills" / name).mkdir()
        (ws / "skills" / name / "SKILL.md").write_text(f"---\nname: {name}\ndescription: {name}\n---\n# {name}\n")
    published = [
        Published("weather", "steipete", "1.0.0", fingerprint(weather)),
        Published("evil", "mallory", "1.0.0", fingerprint(evil), status="malicious",
                  reasons=("malicious.install_terminal_payload",)),
        Published("notion", "acme", "1.0.0", "0" * 64),  # not what is on disk: an unknown hash
        # a copy of a published malicious skill, installed by hand
        Published("copied", "mallory", "2.0.0", fingerprint(ws / "skills" / "copied"), status="malicious"),
    ]
    return ws / "skills", published


async def ask(root: Path, lab: LabRegistry, **opts):
    runner, url = await start(lab)
    try:
        async with Client() as client:
            return await query(local_skills([root]), RegistryOptions(url=url, rate=1000, **opts), client)
    finally:
        await runner.cleanup()


async def test_verdicts_become_findings_keyed_to_the_files(fleet, tmp_path):
    root, published = fleet
    lab = LabRegistry(published)
    answers = await ask(root, lab)
    assert answers.stats["matched"] == 3 and answers.stats["unknown"] == 1 and answers.stats["not_found"] == 1
    assert answers.stats["malicious"] == 2 and answers.stats["pass"] == 1
    # one resolve per skill (other is asked by its name and is not found: 404), one verdicts batch
    posts = [r for r in lab.requests if r[0] == "POST"]
    assert len(posts) == 1 and sorted(i["slug"] for i in posts[0][2]["items"]) == ["copied", "evil", "weather"]
    assert {r[2]["slug"] for r in lab.requests if r[0] == "GET"} == {"weather", "evil", "notion", "copied", "other"}
    assert all("hash" in r[2] and "content" not in r[2] for r in lab.requests if r[0] == "GET")

    job = prepare_skills(SkillsRequest(roots=(str(root),)))
    report = audit_skills(job, registry=answers)
    by = {s.name: s for s in report.skills}
    assert by["weather"].status == "allowlisted"
    assert by["evil"].status == "malicious" and by["copied"].status == "malicious"
    assert by["other"].status == "unlisted" and "not found" in by["other"].extra["registry_answer"]["match"]
    assert by["notion"].status == "unlisted" and by["notion"].extra["registry_answer"]["version"] is None
    assert "unknown" in by["notion"].extra["registry_answer"]["match"]
    assert by["evil"].extra["registry_answer"]["security"] == "malicious"
    bad = [f for f in report.findings if f.check == "skill.known-malicious"]
    assert sorted(f.skill for f in bad) == ["copied", "evil"] and "malicious" in bad[0].evidence.summary
    # notion's two fingerprints (with and without _meta.json) are both asked; the others match at once
    assert report.stats["skills"]["registry"]["requests"] == 7

    # saved as a snapshot, the verdicts hold offline for these exact files, and stop on a change
    snap = tmp_path / "snapshot.yaml"
    snap.write_text(dump_allowlist(snapshot(answers)))
    loaded = load_allowlist(snap)
    assert all(e.file_tree_sha256 and e.fingerprint for e in loaded.entries)
    offline = run_audit([root], allowlist=loaded, home=tmp_path, cwd=tmp_path)
    status = {s.name: s.status for s in offline.skills}
    assert status == {"evil": "malicious", "copied": "malicious", "weather": "allowlisted",
                      "notion": "unlisted", "other": "unlisted"}
    for name in ("evil", "weather", "copied"):
        (root / name / "SKILL.md").write_text((root / name / "SKILL.md").read_text() + "changed\n")
    changed = run_audit([root], allowlist=loaded, home=tmp_path, cwd=tmp_path)
    status = {s.name: s.status for s in changed.skills}
    assert status["evil"] == status["weather"] == status["copied"] == "modified"
    assert not [f for f in changed.findings if f.check == "skill.known-malicious"]
    assert any("judged malicious" in f.evidence.summary for f in changed.findings if f.skill == "copied")


async def test_a_429_is_waited_out_and_retried(fleet):
    root, published = fleet
    lab = LabRegistry(published, throttle=2, retry_after="0")
    answers = await ask(root, lab)
    assert answers.stats["rate_limited"] == 2 and not answers.errors
    assert answers.stats["malicious"] == 2 and answers.stats["pass"] == 1


async def test_a_429_that_never_ends_is_an_error_not_a_crash(fleet):
    root, published = fleet
    lab = LabRegistry(published, throttle=1000, retry_after="0")
    answers = await ask(root, lab, retries=1)
    assert answers.stats["matched"] == 0 and answers.errors
    assert all("rate limited (429)" in e.message for e in answers.errors)
    # a Retry-After longer than we wait gives up at once
    lab = LabRegistry(published, throttle=1000, retry_after="3600")
    answers = await ask(root, lab, retries=3)
    assert len(lab.requests) == 5  # the first request of each skill, none retried
    assert "longer than we wait" in answers.errors[0].message


async def test_verdicts_are_asked_at_most_100_at_a_time(tmp_path):
    ws = tmp_path / "ws"
    published = []
    for i in range(MAX_BATCH + 30):
        skill = install(ws, f"s{i:03d}", "clawhub", owner="bulk")
        published.append(Published(f"s{i:03d}", "bulk", "1.0.0", fingerprint(skill)))
    lab = LabRegistry(published)
    answers = await ask(ws / "skills", lab)
    sizes = [len(r[2]["items"]) for r in lab.requests if r[0] == "POST"]
    assert sizes == [MAX_BATCH, 30]
    assert answers.stats["pass"] == MAX_BATCH + 30


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def test_an_unreachable_registry_is_a_clear_offline_error(fleet):
    root, _ = fleet
    async with Client() as client:
        with pytest.raises(RegistryUnreachable, match="cannot reach the registry"):
            await query(local_skills([root]), RegistryOptions(url=f"http://127.0.0.1:{_closed_port()}"), client)


async def test_a_registry_that_never_answers_costs_one_timeout(fleet):
    from tests.listeners import tcp_listener

    root, _ = fleet
    silent = tcp_listener("127.0.0.1")  # accepts (the kernel's backlog) and never says a word
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        async with Client() as client:
            with pytest.raises(RegistryUnreachable, match="timeout"):
                await query(local_skills([root]), RegistryOptions(url=url, timeout=0.5), client)
    finally:
        silent.close()


async def test_pacer_spaces_requests_by_the_rate():
    now = [0.0]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    pacer = Pacer(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        await pacer.wait()
    assert slept == [0.25] * 4  # the first goes at once, each next a quarter second later


def test_registry_url_is_checked():
    for bad in ("clawhub.ai", "ftp://clawhub.ai", "https://clawhub.ai/?x=1"):
        with pytest.raises(ValueError):
            RegistryOptions(url=bad)
    RegistryOptions()  # the default: ClawHub


async def _cli(*args: str) -> tuple[int, str, str]:
    exe = Path(sys.executable).parent / "gatescan"
    proc = await asyncio.create_subprocess_exec(str(exe), *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


async def test_cli_registry_snapshot_and_offline(fleet, tmp_path):
    root, published = fleet
    lab = LabRegistry(published)
    runner, url = await start(lab)
    snap = tmp_path / "snap.yaml"
    try:
        code, out, err = await _cli("skills", str(root), "--registry", url, "--registry-snapshot", str(snap),
                                    "--json", "-", "--quiet")
    finally:
        await runner.cleanup()
    assert code == 1, err  # a known-malicious skill
    report = json.loads(out)
    assert {s["name"]: s["status"] for s in report["skills"]}["evil"] == "malicious"
    text = snap.read_text()
    assert "verdict: block" in text and "file_tree_sha256: sha256:" in text
    # offline: the snapshot alone gives the same verdict
    code, out, err = await _cli("skills", str(root), "--allowlist", str(snap), "--json", "-", "--quiet")
    assert code == 1 and {s["name"]: s["status"] for s in json.loads(out)["skills"]}["evil"] == "malicious"
    # the registry gone: a clear error, exit 3, nothing audited
    code, out, err = await _cli("skills", str(root), "--registry", f"http://127.0.0.1:{_closed_port()}")
    assert code == 3 and "offline: cannot reach the registry" in err and "--registry-snapshot" in err
    code, _, err = await _cli("skills", str(root), "--registry-snapshot", str(snap))
    assert code == 2 and "needs --registry" in err
