"""The one task a worker runs: scan a shard, after policing it against the worker's own scope.

The task body is the JSON of app.ScanRequest (never a pickle) and runs app.scan, as the CLI
does. Before any probe the worker applies its own rules, whatever the dispatcher asked: only
its vantages, the default private-only policy (a request's --allow-public is ignored), its
--allow CIDRs, no files (a dispatcher cannot make a worker read its disk), its own --concurrency
and --rate caps. A refused shard comes back as a refusal, not silence. Shards are idempotent
by task id (scan id, vantage, shard): a redelivered shard whose report is already stored
returns that report instead of scanning again.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from typing import Any

ATTEMPTS_KEY = "gatescan-attempts:"
PROGRESS_EVERY_S = 1.0


class Refused(Exception):
    """The worker's scope does not admit this shard."""


def police(request_json: str, vantage: str, config: dict[str, Any]):
    """The prepared ScanJob this worker will run, or Refused saying why (nothing sent)."""
    from .. import app as api
    from ..scope.split import cidr_intervals, outside

    if vantage not in config.get("vantages", ()):
        raise Refused(f"this worker serves vantage {', '.join(config.get('vantages', ()))}, not {vantage!r}")
    try:
        request = api.ScanRequest.from_json(request_json)
    except api.RequestError as exc:
        raise Refused(f"not a scan request: {exc}") from None
    if request.exclude_files or any(t.startswith(("@", "nmap:", "masscan:")) for t in request.targets):
        raise Refused("the request names files; a worker reads no file a dispatcher names")
    sweep = request.sweep
    if config.get("concurrency"):
        sweep = dataclasses.replace(sweep, concurrency=min(sweep.concurrency or config["concurrency"], config["concurrency"]))
    if config.get("rate"):
        sweep = dataclasses.replace(sweep, rate=min(sweep.rate or config["rate"], config["rate"]))
    request = dataclasses.replace(request, allow_public=False, sweep=sweep)
    try:
        job = api.prepare_scan(request)
    except api.RequestError as exc:
        raise Refused(f"refused by this worker's policy: {exc}") from None
    if config.get("allow"):
        first = outside(job.plan, cidr_intervals(config["allow"], "--allow"))
        if first is not None:
            raise Refused(f"refused {first}: outside this worker's --allow {', '.join(config['allow'])}")
    return job


class _Progress:
    """The scan's observer inside a task: its progress as the task's state, at most once a second."""

    def __init__(self, task) -> None:
        self.task, self.last, self.services, self.done, self.total = task, 0.0, 0, 0, 0

    def _tell(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            self.task.update_state(state="PROGRESS", meta={"done": self.done, "total": self.total,
                                                            "services": self.services})

    def progress(self, done: int, total: int, open_found: int, rate: float) -> None:
        self.done, self.total = done, total
        self._tell()

    def service(self, service) -> None:
        self.services += 1
        self._tell()

    def finding(self, finding) -> None: ...
    def error(self, error) -> None: ...
    def notice(self, message: str) -> None: ...
    def interrupted(self) -> None: ...
    def stage_progress(self, stage, done, total, slowest, since) -> None: ...
    def sweep_state(self, inflight, timed_out, retries_waiting) -> None: ...


def register(app) -> None:
    """Register the scan task on `app` (its settings carry the worker's scope)."""

    @app.task(name="gatescan.scan_shard", bind=True)
    def scan_shard(self, scan_id: str, shard: str, vantage: str, request: str, max_attempts: int = 3) -> dict:
        from .. import app as api
        from ..report.jsonout import report_to_json

        worker = self.request.hostname or socket.gethostname()
        backend = self.app.backend
        stored = backend.get_task_meta(self.request.id)
        if stored.get("status") == "SUCCESS" and isinstance(stored.get("result"), dict):
            return stored["result"]  # a redelivered shard that finished already: same result, no rescan
        client = getattr(backend, "client", None)
        attempts = 1
        if client is not None:
            key = ATTEMPTS_KEY + self.request.id
            attempts = int(client.incr(key))
            client.expire(key, int(self.app.conf.result_expires or 86_400))
        answer = {"scan_id": scan_id, "shard": shard, "vantage": vantage, "worker": worker, "attempts": attempts,
                  "status": "done", "report": None, "message": None}
        if attempts > max_attempts:
            return {**answer, "status": "failed",
                    "message": f"gave up after {max_attempts} attempts (the workers running it were lost)"}
        try:
            job = police(request, vantage, self.app.conf.gatescan_worker)
        except Refused as exc:
            return {**answer, "status": "refused", "message": str(exc)}
        job.report.scan_id = scan_id
        job.report.scope.vantages = [{"name": vantage}]
        observer = _Progress(self)
        observer.total = job.plan.total
        report = api.scan(job, observer=observer)
        return {**answer, "report": report_to_json(report)}

    @app.task(name="gatescan.local_audit", bind=True)
    def local_audit(self, scan_id: str, vantage: str, request: str) -> dict:
        """`gatescan local` on this worker's machine; records carry `machine` and `vantage`."""
        from .. import app as api
        from ..report.jsonout import report_to_json

        worker = self.request.hostname or socket.gethostname()
        machine = socket.gethostname()
        answer = {"scan_id": scan_id, "shard": worker, "vantage": vantage, "worker": worker, "attempts": 1,
                  "status": "done", "report": None, "message": None}
        config = self.app.conf.gatescan_worker
        try:
            if vantage not in config.get("vantages", ()):
                raise Refused(f"this worker serves vantage {', '.join(config.get('vantages', ()))}, not {vantage!r}")
            local = api.LocalRequest.from_json(request)
            if local.home or local.cwd or local.allowlists:
                raise Refused("the request names files; a worker reads no file a dispatcher names")
        except (Refused, api.RequestError) as exc:
            return {**answer, "status": "refused", "message": str(exc)}
        report = api.local(local)
        report.scan_id = scan_id
        report.scope.vantages = [{"name": vantage}]
        report.scope.targets = [f"local:{machine}"]  # one machine's audit: its own scope, so merges never overlap
        for record in (*report.services, *report.findings, *(report.skills or ()), *report.errors):
            record.machine = machine
        report.local = {**(report.local or {}), "machine": machine}
        return {**answer, "report": report_to_json(report)}

