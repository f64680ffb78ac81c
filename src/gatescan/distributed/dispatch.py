"""`gatescan scan TARGETS --dispatch URL --vantage NAME=CIDR ...`: one scan, sharded over the
workers of each vantage, merged into one report.

Each vantage scans the targets inside its CIDRs (scope/split.py), split with the core's shard
rule (`--shard i/n`); each shard is one task on the vantage's queue, its body the JSON scan
request. Results come back through the Redis result backend; every shard report is untrusted
input, validated against the schema and checked to be this scan's, then merged by the code of
`gatescan merge`. Shard task ids are (scan id, vantage, shard), so a redelivered shard lands on
the same key and `--resume` finds what already finished.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import __version__
from ..app import RequestError, ScanRequest, prepare_scan
from ..model import ErrorRecord, Report
from ..userio import escape_control
from .celeryapp import DEFAULT_VISIBILITY_S, TASK_SCAN, Broker, Signing, check_vantage, make_app, queue_for

MANIFEST_KEY = "gatescan-scan:"
POLL_S = 0.25
MAX_MESSAGE = 500  # a worker's message, as shown: a hostile worker cannot flood the report


class DispatchError(Exception):
    """The dispatch could not start (broker unreachable, refused credentials, a vantage with no
    live worker, an unknown --resume id); the CLI exits 3 naming the cause."""


@dataclass(frozen=True)
class Vantage:
    name: str
    cidrs: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Vantage":
        """NAME=CIDR[,CIDR...]"""
        from ..scope.split import cidr_intervals

        name, sep, cidrs = text.partition("=")
        if not sep or not cidrs.strip():
            raise RequestError(f"--vantage {text!r}: expected NAME=CIDR[,CIDR...], e.g. seg-a=10.1.0.0/16")
        try:
            check_vantage(name.strip())
        except ValueError as exc:
            raise RequestError(f"--vantage {text!r}: {exc}") from None
        parts = tuple(c.strip() for c in cidrs.split(",") if c.strip())
        cidr_intervals(parts, f"--vantage {name}")
        return cls(name.strip(), parts)


@dataclass(frozen=True)
class DispatchOptions:
    vantages: tuple[Vantage, ...]
    shards: int | None = None  # per vantage; None: two per live worker of the vantage
    resume: str | None = None
    max_attempts: int = 3
    broker_timeout: float = 60.0  # how long a broker may be gone before the run writes what it has
    visibility_timeout: float = DEFAULT_VISIBILITY_S
    live_check_s: float = 2.0


@dataclass(frozen=True)
class DispatchProgress:
    shards_done: int
    shards_total: int
    probes_done: int
    probes_total: int
    services: int


@dataclass
class _Shard:
    vantage: Vantage
    shard: str
    task_id: str
    request: str
    probes: int
    status: str = "pending"  # pending, done, refused, failed, invalid, lost
    attempts: int = 0
    worker: str | None = None
    report: Report | None = None
    message: str | None = None
    done: int = 0
    services: int = 0
    sent_failures: int = 0
    local: bool = False  # a fleet local audit: one per worker machine, no shard of a plan

    def record(self) -> dict[str, Any]:
        return {"id": self.shard, "vantage": self.vantage.name, "worker": self.worker, "status": self.status,
                "attempts": self.attempts}


def _short(text: object) -> str:
    s = escape_control(str(text))
    return s if len(s) <= MAX_MESSAGE else s[:MAX_MESSAGE - 3] + "..."


def plan_shards(request: ScanRequest, options: DispatchOptions, scan_id: str,
                counts: dict[str, int]) -> tuple[Any, list[_Shard]]:
    """The scan's own job (policed here, names resolved once) and its shards; RequestError on
    anything refused, before anything is sent."""
    from ..scope import Shard, format_ports
    from ..scope.split import cidr_intervals, not_within, targets_within

    if not options.vantages:
        raise RequestError("--dispatch needs at least one --vantage NAME=CIDR")
    names = [v.name for v in options.vantages]
    if len(set(names)) != len(names):
        raise RequestError(f"--vantage names repeat: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    job = prepare_scan(request)
    if job.plan.pairs:
        raise RequestError("--dispatch takes addresses, ranges and names; imported (host, port) pairs "
                           "(nmap/masscan files with open ports) are not dispatched: scan them with --shard")
    union = cidr_intervals([c for v in options.vantages for c in v.cidrs], "--vantage")
    stray = not_within(job.plan, union)
    if stray:
        shown = ", ".join(stray[:5]) + (f" and {len(stray) - 5} more" if len(stray) > 5 else "")
        raise RequestError(f"{shown}: in no --vantage CIDR, so no worker would scan it")
    shards: list[_Shard] = []
    for vantage in options.vantages:
        tokens = targets_within(job.plan, cidr_intervals(vantage.cidrs, f"--vantage {vantage.name}"))
        if not tokens:
            continue
        n = counts[vantage.name]
        for i in range(1, n + 1):
            part = dataclasses.replace(request, targets=tuple(tokens), ports=format_ports(job.plan.ports),
                                       excludes=(), exclude_files=(), shard=f"{i}/{n}")
            probes = prepare_scan(part).plan.total
            shards.append(_Shard(vantage=vantage, shard=f"{i}/{n}", task_id=f"{scan_id}.{vantage.name}.{i}-{n}",
                                 request=part.to_json(), probes=probes))
    return job, shards


def _broker_errors() -> tuple[type[BaseException], ...]:
    import kombu.exceptions
    import redis.exceptions

    return (OSError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
            kombu.exceptions.OperationalError)


def _connect_problem(broker: Broker, exc: BaseException) -> str:
    text = str(exc)
    if broker.password:
        text = text.replace(broker.password, "**")
    low = text.lower()
    if "auth" in low or "password" in low or "noperm" in low or "wrongpass" in low:
        return f"the broker {broker.url} refused the credentials ({_short(text)}): check --password-file"
    return f"cannot reach the broker {broker.url}: {_short(text)}"


def dispatch(broker: Broker, request: ScanRequest, options: DispatchOptions, *, signing: Signing | None = None,
             on_progress: Callable[[DispatchProgress], None] | None = None,
             on_start: Callable[[Report, int], None] | None = None) -> Report:
    """Run the dispatched scan to its end and return the merged report (complete: false when a
    shard was refused, failed, invalid or lost). RequestError: nothing sent (exit 2);
    DispatchError: the dispatch could not start (exit 3)."""
    for vantage in options.vantages:  # the usage checks first, before any connection
        Vantage.parse(f"{vantage.name}={','.join(vantage.cidrs)}")
    plan_shards(request, options, "check", {v.name: 1 for v in options.vantages})  # refusals, before any connection
    app = make_app(broker, visibility_timeout=options.visibility_timeout, signing=signing)
    errors = _broker_errors()
    live = _live_workers(app, broker, options.live_check_s)
    by_queue: dict[str, list[str]] = {}
    for worker, queues in live.items():
        for q in queues or []:
            by_queue.setdefault(q.get("name"), []).append(worker)
    dead = [v.name for v in options.vantages if not by_queue.get(queue_for(v.name))]
    if dead:
        raise DispatchError(f"no live worker for vantage {', '.join(dead)}: start `gatescan worker --vantage NAME` "
                            "in that segment (or drop the --vantage)")

    client = app.backend.client
    scan_id = options.resume or uuid.uuid4().hex
    manifest_key = MANIFEST_KEY + scan_id
    counts = {v.name: options.shards or 2 * len(by_queue[queue_for(v.name)]) for v in options.vantages}
    what = {"request": json.loads(request.to_json()), "vantages": [dataclasses.asdict(v) for v in options.vantages]}
    try:
        if options.resume:
            stored = client.get(manifest_key)
            if stored is None:
                raise DispatchError(f"--resume {scan_id}: the broker holds no such scan (never run, or its results expired)")
            manifest = json.loads(stored)
            if {k: manifest.get(k) for k in what} != json.loads(json.dumps(what)):
                raise RequestError(f"--resume {scan_id}: that scan had other targets, options or vantages; "
                                   "resume it with the same command line")
            counts = manifest["counts"]
        else:
            client.set(manifest_key, json.dumps({**what, "counts": counts}), ex=int(app.conf.result_expires))
    except errors as exc:
        raise DispatchError(_connect_problem(broker, exc)) from None
    job, shards = plan_shards(request, options, scan_id, counts)
    job.report.scan_id = scan_id
    if on_start:
        on_start(job.report, len(shards))

    def send(s: _Shard) -> None:
        app.backend.forget(s.task_id)
        client.delete("gatescan-attempts:" + s.task_id)
        app.send_task(TASK_SCAN, args=[scan_id, s.shard, s.vantage.name, s.request, options.max_attempts],
                      task_id=s.task_id, queue=queue_for(s.vantage.name))

    def first_send() -> None:
        for s in shards:
            meta = app.backend.get_task_meta(s.task_id) if options.resume else {}
            if meta.get("status") == "SUCCESS":
                _accept(s, meta.get("result"), scan_id)
                if s.status == "done":
                    continue
                s.status, s.report, s.message = "pending", None, None
            send(s)

    _collect(app, broker, shards, first_send, send, scan_id, options, on_progress)
    return _merged(job, shards, options, scan_id)


def dispatch_local(broker: Broker, request, vantages: tuple[str, ...], options: DispatchOptions, *,
                   signing: Signing | None = None, on_progress=None, on_start=None) -> Report:
    """`gatescan local --dispatch`: the local audit of every live worker's machine (of the named
    vantages; none named: all), one report whose records carry `machine` and `vantage`."""
    from celery.utils.nodenames import worker_direct

    for name in vantages:
        check_vantage(name)
    app = make_app(broker, visibility_timeout=options.visibility_timeout, signing=signing)
    live = _live_workers(app, broker, options.live_check_s)
    prefix = len(queue_for(""))
    served = {w: [q["name"][prefix:] for q in qs or [] if str(q.get("name", "")).startswith(queue_for(""))]
              for w, qs in live.items()}
    wanted = [v for v in vantages if not any(v in names for names in served.values())]
    if wanted:
        raise DispatchError(f"no live worker for vantage {', '.join(wanted)}")
    chosen = {w: next((v for v in (vantages or names) if v in names), None) for w, names in served.items()}
    by_machine: dict[str, tuple[str, str]] = {}  # one audit per machine (the host part of the node name)
    for w, v in sorted(chosen.items()):
        if v:
            by_machine.setdefault(w.rpartition("@")[2], (w, v))
    chosen = dict(by_machine.values())
    if not chosen:
        raise DispatchError("no live worker on the broker: start `gatescan worker --vantage NAME` on each machine")
    scan_id = uuid.uuid4().hex
    shards = [_Shard(vantage=Vantage(v, ()), shard=w, task_id=f"{scan_id}.local.{w}", request=request.to_json(),
                     probes=0, local=True) for w, v in sorted(chosen.items())]
    report = Report(scan_id=scan_id)
    if on_start:
        on_start(report, len(shards))

    def send(s: _Shard) -> None:
        app.backend.forget(s.task_id)
        app.send_task("gatescan.local_audit", args=[scan_id, s.vantage.name, s.request], task_id=s.task_id,
                      queue=worker_direct(s.shard))

    _collect(app, broker, shards, lambda: [send(s) for s in shards], send, scan_id, options, on_progress)
    from ..report.merge import merge_reports

    done = [s for s in shards if s.status == "done"]
    merged = merge_reports([s.report for s in done], names=[f"the audit of {s.shard}" for s in done]) if done else report
    merged.scan_id = scan_id
    merged.scope.vantages = [{"name": v} for v in sorted(set(chosen.values()))]
    merged.shards = [s.record() for s in shards]
    for s in shards:
        if s.status != "done":
            merged.complete = False
            merged.errors.append(ErrorRecord(where="dispatch", vantage=s.vantage.name,
                                             message=s.message or f"the audit of {s.shard} did not finish"))
    merged.finish()
    return merged


def _live_workers(app, broker: Broker, timeout: float) -> dict[str, list[dict]]:
    """Every live worker and the queues it consumes; DispatchError when the broker cannot be used."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
        return app.control.inspect(timeout=timeout).active_queues() or {}
    except Exception as exc:  # connection refused, TLS refused, redis-py's AuthenticationError
        raise DispatchError(_connect_problem(broker, exc)) from None


def _collect(app, broker: Broker, shards: list["_Shard"], first_send, send, scan_id: str, options: DispatchOptions,
             on_progress) -> None:
    """Send the shards, then poll the result backend until each is answered, retried (a task
    that raised) or, with the broker gone for options.broker_timeout, lost."""
    errors = _broker_errors()
    lost_since: float | None = None
    broker_problem = ""
    pending = list(shards)
    sent = False
    while pending:
        try:
            if not sent:
                first_send()
                sent = True
            for s in list(pending):
                meta = app.backend.get_task_meta(s.task_id)
                state = meta.get("status")
                if state == "PROGRESS" and isinstance(meta.get("result"), dict):
                    s.done = _int(meta["result"].get("done"))
                    s.services = _int(meta["result"].get("services"))
                elif state == "SUCCESS":
                    _accept(s, meta.get("result"), scan_id)
                elif state == "FAILURE":
                    s.sent_failures += 1
                    s.attempts = s.sent_failures
                    if s.sent_failures < options.max_attempts:
                        send(s)
                    else:
                        s.status = "failed"
                        s.message = f"failed {s.sent_failures} times: {_short(meta.get('result'))}"
                if s.status != "pending":
                    pending.remove(s)
            lost_since = None
        except errors as exc:
            now = time.monotonic()
            lost_since = lost_since or now
            broker_problem = _connect_problem(broker, exc)
            if now - lost_since > options.broker_timeout:
                for s in pending:
                    s.status, s.message = "lost", f"the broker was gone for {options.broker_timeout:g} s ({broker_problem})"
                break
        if on_progress:
            on_progress(DispatchProgress(
                shards_done=sum(s.status != "pending" for s in shards), shards_total=len(shards),
                probes_done=sum(s.probes if s.status != "pending" else s.done for s in shards),
                probes_total=sum(s.probes for s in shards),
                services=sum(len(s.report.services) if s.report else s.services for s in shards)))
        if pending:
            time.sleep(POLL_S)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _accept(s: _Shard, result: object, scan_id: str) -> None:
    """Take a worker's answer for shard `s`, or mark it invalid saying why (it merges nothing)."""
    from ..report.jsonout import ReportLoadError, parse_report

    where = f"shard {s.shard} of vantage {s.vantage.name}"
    if not isinstance(result, dict):
        s.status, s.message = "invalid", f"{where}: the worker's answer is not a shard result"
        return
    worker = result.get("worker")
    s.worker = _short(worker) if isinstance(worker, str) else None
    s.attempts = max(_int(result.get("attempts")), 1)
    if (result.get("scan_id"), result.get("shard"), result.get("vantage")) != (scan_id, s.shard, s.vantage.name):
        s.status, s.message = "invalid", f"{where}: a foreign answer (for another scan or shard), not merged"
        return
    status = result.get("status")
    if status in ("refused", "failed"):
        s.status = status
        s.message = f"{where} {status} by worker {s.worker}: {_short(result.get('message'))}"
        return
    text = result.get("report")
    if status != "done" or not isinstance(text, str):
        s.status, s.message = "invalid", f"{where}: the worker's answer holds no report"
        return
    try:
        report = parse_report(text, where=f"{where} from worker {s.worker}")
    except ReportLoadError as exc:
        s.status, s.message = "invalid", f"{_short(exc)}; not merged"
        return
    tool = (report.tool.get("name"), report.tool.get("version"))
    if tool != ("gatescan", __version__):
        s.status = "invalid"
        s.message = (f"{where}: written by {_short(tool[0])} {_short(tool[1])}, and this dispatcher is gatescan "
                     f"{__version__}: run one version everywhere; not merged")
        return
    if report.scan_id != scan_id or report.scope.shard != (None if s.local else s.shard):
        s.status, s.message = "invalid", f"{where}: the report is of another scan or shard; not merged"
        return
    report.scope.vantages = [{"name": s.vantage.name, "cidrs": list(s.vantage.cidrs)}]
    s.status, s.report = "done", report
    report.shards = [s.record()]


def _merged(job, shards: list[_Shard], options: DispatchOptions, scan_id: str) -> Report:
    """The shard reports merged as `gatescan merge` does, with every shard that did not come back
    named in shards[] and errors[]."""
    from ..report.merge import merge_reports

    done = [s for s in shards if s.status == "done"]
    for s in done:
        s.report.shards = [s.record()]
    if done:
        merged = merge_reports([s.report for s in done], names=[f"shard {s.shard} of {s.vantage.name}" for s in done])
    else:
        merged = Report(scan_id=scan_id)
        merged.finish(complete=False)
    failed = {(s.vantage.name, s.shard): s for s in shards if s.status != "done"}
    kept: list[dict] = []
    for record in merged.shards or []:
        s = failed.get((record.get("vantage"), str(record.get("id"))))
        if s is None:
            kept.append(record)
    kept += [s.record() for s in failed.values()]
    merged.shards = kept
    gaps = {(s.vantage.name, f"shard {s.shard} in vantage {s.vantage.name!r} is missing") for s in failed.values()}
    merged.errors = [e for e in merged.errors if not (e.where == "merge" and (e.vantage, e.message.split(":")[0]) in gaps)]
    for s in failed.values():
        merged.errors.append(ErrorRecord(where="dispatch", vantage=s.vantage.name,
                                         message=s.message or f"shard {s.shard} did not finish"))
    if failed:
        merged.complete = False
    merged.scan_id = scan_id
    own = job.report.scope
    merged.scope.targets, merged.scope.ports, merged.scope.excluded = own.targets, own.ports, own.excluded
    merged.scope.shard = None
    merged.scope.vantages = [{"name": v.name, "cidrs": list(v.cidrs)} for v in options.vantages]
    merged.started_at = job.report.started_at
    merged.finish()
    return merged
