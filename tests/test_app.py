"""The scan API (gatescan.app) called as local mode and the workers will call it: requests
round-trip through JSON and refuse what they cannot carry; scans and audits run without the CLI."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan import app
from gatescan.app import NullObserver
from gatescan.labrun import running_lab
from gatescan.model import Report
from gatescan.sweep import SweepConfig
from tests.listeners import tcp_listener
from tests.netns import requires_netns
from tests.skills.conftest import skill_md, write_tree

# --- requests as JSON ----------------------------------------------------------------------------

texts = st.lists(st.text(max_size=30), max_size=4).map(tuple)
positive = st.floats(min_value=1e-3, max_value=1e9, allow_nan=False, allow_infinity=False)
sweep_configs = st.builds(
    SweepConfig, concurrency=st.integers(1, 10**9), rate=st.none() | positive, timeout=positive,
    retries=st.integers(0, 10**6), workers=st.none() | st.integers(0, 4096),
)
scan_requests = st.builds(
    app.ScanRequest, targets=texts, ports=st.text(max_size=30), excludes=texts, exclude_files=texts,
    allow_public=st.booleans(), shard=st.none() | st.text(max_size=10), sweep=sweep_configs,
    identify=st.booleans(), checks=st.booleans(), intrusive=st.booleans(),
    browser_proof=st.booleans(),
)
skills_requests = st.builds(app.SkillsRequest, roots=texts, allowlists=texts)


@given(scan_requests)
def test_a_scan_request_round_trips_through_json(request):
    text = request.to_json()
    assert app.ScanRequest.from_json(text) == request
    assert set(json.loads(text)) == {"targets", "ports", "excludes", "exclude_files", "allow_public",
                                     "shard", "sweep", "identify", "checks", "intrusive", "mdns", "mdns_seconds",
                                     "browser_proof"}


@given(skills_requests)
def test_a_skills_request_round_trips_through_json(request):
    assert app.SkillsRequest.from_json(request.to_json().encode()) == request


def test_missing_fields_take_the_cli_defaults():
    request = app.ScanRequest.from_json('{"targets": ["127.0.0.1"], "sweep": {"timeout": 2}}')
    assert request == app.ScanRequest(targets=("127.0.0.1",), sweep=SweepConfig(timeout=2.0))
    # concurrency None: the adaptive window up to its default ceiling (the CLI default too)
    assert (request.ports, request.sweep.concurrency, request.identify, request.checks) == (None, None, True, True)


@pytest.mark.parametrize("text, where", [
    ('{"target": ["127.0.0.1"]}', "unknown field 'target'"),
    ('{"sweep": {"conurrency": 10}}', "unknown field 'conurrency'"),
    ('{"targets": "127.0.0.1"}', "ScanRequest.targets: expected a list"),
    ('{"targets": ["127.0.0.1", 7]}', "ScanRequest.targets[1]: expected a string"),
    ('{"ports": 80}', "ScanRequest.ports: expected a string"),
    ('{"allow_public": 1}', "ScanRequest.allow_public: expected true or false"),
    ('{"identify": null}', "ScanRequest.identify: expected true or false"),
    ('{"shard": 2}', "ScanRequest.shard: expected a string"),
    ('{"sweep": [1]}', "ScanRequest.sweep: expected a JSON object"),
    ('{"sweep": {"concurrency": "2048"}}', "ScanRequest.sweep.concurrency: expected an integer"),
    ('{"sweep": {"concurrency": 1.5}}', "ScanRequest.sweep.concurrency: expected an integer"),
    ('{"sweep": {"retries": true}}', "ScanRequest.sweep.retries: expected an integer"),
    ('{"sweep": {"timeout": "1"}}', "ScanRequest.sweep.timeout: expected a finite number"),
    ('{"sweep": {"rate": NaN}}', "ScanRequest.sweep.rate: expected a finite number"),
    ('{"sweep": {"timeout": 1e400}}', "ScanRequest.sweep.timeout: expected a finite number"),
    ('{"sweep": {"timeout": 1' + "0" * 400 + '}}', "ScanRequest.sweep.timeout: expected a finite number"),
    ('{"sweep": {"concurrency": 0}}', "concurrency must be at least 1"),
    ('{"sweep": {"timeout": -1}}', "timeout must be positive"),
    ('["127.0.0.1"]', "ScanRequest: expected a JSON object"),
    ('{"targets": [', "ScanRequest: not a JSON document"),
    ("[" * 100_000, "ScanRequest: not a JSON document"),
])
def test_a_bad_scan_request_is_a_request_error_naming_the_field(text, where):
    with pytest.raises(app.RequestError) as caught:
        app.ScanRequest.from_json(text)
    assert where in str(caught.value)


@pytest.mark.parametrize("kwargs, where", [
    ({"targets": "127.0.0.1"}, "ScanRequest.targets"),  # a string is not a list of one target
    ({"sweep": SweepConfig(concurrency="8")}, "ScanRequest.sweep.concurrency"),
    ({"allow_public": "no"}, "ScanRequest.allow_public"),
])
def test_a_request_built_in_python_is_checked_the_same_way(kwargs, where):
    with pytest.raises(app.RequestError, match=rf"^{where.replace('.', '[.]')}:"):
        app.ScanRequest(**kwargs)


def test_a_bad_skills_request_names_the_field():
    with pytest.raises(app.RequestError, match=r"SkillsRequest.roots\[0\]: expected a string"):
        app.SkillsRequest.from_json('{"roots": [null]}')
    with pytest.raises(app.RequestError, match="unknown field 'allowlist'"):
        app.SkillsRequest.from_json('{"allowlist": []}')


@pytest.mark.parametrize("request_", [
    app.ScanRequest(targets=("127.0.0.1",), ports="80,abc"),
    app.ScanRequest(targets=("127.0.0.300",), ports="80"),
    app.ScanRequest(targets=("8.8.8.8",), ports="80"),
    app.ScanRequest(targets=("127.0.0.1",), ports="80", shard="5/4"),
], ids=["ports", "address", "public", "shard"])
def test_a_request_the_scope_refuses_fails_before_anything_runs(request_):
    with pytest.raises(app.RequestError):
        app.prepare_scan(request_)


# --- scans and audits without the CLI ------------------------------------------------------------

class Recorder(NullObserver):
    def __init__(self) -> None:
        self.services, self.findings, self.errors, self.skills = [], [], [], []
        self.progress_seen = asyncio.Event()

    def progress(self, done, total, open_found, rate) -> None:
        self.progress_seen.set()

    def service(self, service) -> None:
        self.services.append(service)

    def finding(self, finding) -> None:
        self.findings.append(finding)

    def error(self, error) -> None:
        self.errors.append(error)

    def skill(self, skill) -> None:
        self.skills.append(skill)


@requires_netns
async def test_scan_identifies_and_checks_a_lab_service(validate_report):
    async with running_lab(["ollama"], base="127.0.33.0") as lab:
        hosts = sorted({e["host"] for e in lab.entries})
        request = app.ScanRequest.from_json(json.dumps({"targets": hosts, "ports": "11434"}))
        observer = Recorder()
        # app.scan runs its own event loop: off this one, where the lab serves
        report = await asyncio.to_thread(app.scan, request, observer)
    assert isinstance(report, Report) and report.complete
    assert sorted((s.host, s.port, s.product) for s in report.services) == [(h, 11434, "ollama") for h in hosts]
    assert {f.check for f in report.findings} >= {"auth.missing"}
    # each service is told once its checks are done, so in the order they finished
    assert sorted(map(id, observer.services)) == sorted(map(id, report.services))
    assert observer.findings == report.findings
    assert report.scope.targets == hosts and report.scope.ports == "11434"
    validate_report(report.to_dict())


async def test_scan_async_reports_a_listener_in_the_callers_loop():
    sock = tcp_listener("127.0.0.1")
    try:
        port = sock.getsockname()[1]
        report = await app.scan_async(app.ScanRequest(targets=("127.0.0.1",), ports=str(port), identify=False))
    finally:
        sock.close()
    assert report.complete and report.finished_at
    assert [(s.host, s.port, s.product) for s in report.services] == [("127.0.0.1", port, "unknown")]
    assert report.stats["probes_total"] == 1


@requires_netns
async def test_a_cancelled_scan_leaves_a_partial_report():
    job = app.prepare_scan(app.ScanRequest(targets=("127.0.0.0/16",), ports="1-2", identify=False,
                                           sweep=SweepConfig(rate=2000, workers=0)))
    observer = Recorder()
    task = asyncio.create_task(app.scan_async(job, observer))
    await asyncio.wait_for(observer.progress_seen.wait(), 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert job.report.complete is False and job.report.finished_at
    assert 0 < job.report.stats["probes_done"] < job.report.stats["probes_total"]


async def test_a_failing_run_is_an_incomplete_report_saying_why():
    class BrokenObserver(Recorder):
        def service(self, service) -> None:
            raise RuntimeError("observer bug")

    sock = tcp_listener("127.0.0.1")
    try:
        request = app.ScanRequest(targets=("127.0.0.1",), ports=str(sock.getsockname()[1]), identify=False)
        report = await asyncio.to_thread(app.scan, request, BrokenObserver())
    finally:
        sock.close()
    assert report.complete is False
    assert [(e.where, e.message) for e in report.errors] == [("scan", "RuntimeError: observer bug")]


def test_audit_skills_reports_each_skill_to_the_observer(tmp_path):
    root = write_tree(tmp_path / "root", {"weather/SKILL.md": skill_md("weather")})
    observer = Recorder()
    report = app.audit_skills(app.SkillsRequest(roots=(str(root),)), observer)
    assert [s.name for s in report.skills] == ["weather"] and observer.skills == report.skills
    assert report.scope.targets == [str(root)] and report.complete and report.finished_at


def test_an_unreadable_allowlist_is_a_request_error(tmp_path):
    bad = tmp_path / "allow.yaml"
    bad.write_text("skills: [\n")
    with pytest.raises(app.RequestError, match="allow.yaml"):
        app.prepare_skills(app.SkillsRequest(allowlists=(str(bad),)))
