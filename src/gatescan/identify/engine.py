"""Identify: run the fingerprints' probes on an open endpoint and name the product behind it.

Cheap first: GET / (which also tells HTTP from TLS from neither), then the probes of the
fingerprints that claim the port; only if nothing matched, the generic WebSocket upgrade and
every fingerprint's cheap probes, then the `unidentified` probes (MCP initialize). The winner's
`matched` probes then add evidence, the version and attributes. Identical requests go out once
per endpoint, everything runs under the per-endpoint deadline, and nothing a server does
raises: a hostile or silent port becomes an `unknown` Service with its banner and an error.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace
from typing import Any, AsyncIterator, Callable, Iterable

from . import fingerprints as fpmod
from .fingerprints import Fingerprint, Probe
from ..model import Endpoint, ErrorRecord, Evidence, Service
from ..net.http import HttpResult, ProbeContext, http_probe, looks_like_tls_failure
from ..net.redact import redact_text
from ..net.sse import sse_exchange
from ..net.tcp import grab_banner, printable
from ..net.ws import WsResult, ws_probe

THRESHOLD = 0.5  # a product is named when its matchers' combined confidence reaches this

GENERIC_ROOT = Probe(id="generic-root", kind="http", path="/")
GENERIC_WS = Probe(id="generic-ws", kind="ws", path="/")

ErrorSink = Callable[[ErrorRecord], None]


@dataclass
class Verdict:
    fingerprint: Fingerprint
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    variant: str | None = None
    matched: int = 0
    version_range: str | None = None


class _EndpointRun:
    """One endpoint's probing: a per-endpoint cache of results keyed by request."""

    def __init__(self, endpoint: Endpoint, ctx: ProbeContext, fps: list[Fingerprint]):
        self.endpoint, self.ctx, self.fps = endpoint, ctx, fps
        self.cache: dict[tuple, asyncio.Task] = {}
        self.tls = False
        self.http = False
        self.sem = asyncio.Semaphore(max(1, ctx.limits.per_endpoint))
        self.errors: list[str] = []

    # -- probing

    async def _path_from(self, probe: Probe) -> str | None:
        """A probe's path read from an earlier probe's body (`path_from`); only a path on this endpoint."""
        source_key, pattern = probe.path_from  # type: ignore[misc]
        task = self.cache.get(source_key)
        if task is None:
            return None
        try:
            source = await task
        except Exception:  # noqa: BLE001 - the source probe failed: nothing to follow
            return None
        m = re.search(pattern, getattr(source, "text", None) or "")
        path = (m.group(1) if m.groups() else m.group(0)) if m else None
        return path if path and path.startswith("/") and not path.startswith("//") else None

    async def _send(self, probe: Probe) -> HttpResult | WsResult:
        if probe.kind == "http" and probe.path_from is not None:
            path = await self._path_from(probe)
            if path is None:
                return HttpResult(method=probe.method, url=self.endpoint.url("https" if self.tls else "http"),
                                  error=f"path_from: no path found for probe {probe.id}")
            probe = replace(probe, path=path)
        async with self.sem:
            if probe.kind == "ws":
                return await ws_probe(
                    self.ctx, self.endpoint, probe.path, origin=probe.origin, subprotocols=probe.subprotocols,
                    headers=dict(probe.headers), read_first_frame=probe.read_first_frame, send=probe.send,
                    tls=self.tls, first_frame_wait=min(1.0, self.ctx.limits.read_timeout),
                )
            if probe.sse_post is not None:
                return await sse_exchange(self.ctx, self.endpoint, probe.path, probe.sse_post.encode(),
                                          headers=dict(probe.headers), read_until=probe.read_until, tls=self.tls)
            return await http_probe(
                self.ctx, self.endpoint, probe.method, probe.path, headers=dict(probe.headers),
                body=probe.body, tls=self.tls, read_until=probe.read_until,
                max_body=max(probe.max_body or 0, self.ctx.limits.max_body),
            )

    def start(self, probe: Probe) -> asyncio.Task:
        task = self.cache.get(probe.key())
        if task is None:
            task = self.cache[probe.key()] = asyncio.ensure_future(self._send(probe))
        return task

    async def run(self, probes: Iterable[Probe]) -> None:
        wanted = [p for p in probes if p.kind == "http" or self.http]  # a WS upgrade needs HTTP
        tasks = [self.start(p) for p in wanted]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def result(self, probe: Probe) -> HttpResult | WsResult | None:
        task = self.cache.get(probe.key())
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return None
        return task.result()

    def cancel(self) -> None:
        for task in self.cache.values():
            if not task.done():
                task.cancel()

    async def first_contact(self) -> HttpResult:
        """GET / in plaintext, then over TLS if the port seems to speak it."""
        plain = await self._send(GENERIC_ROOT)
        if plain.status is not None:
            self.http = True
            self.cache[GENERIC_ROOT.key()] = _done(plain)
            return plain
        if plain.error and plain.error != "timeout" and (looks_like_tls_failure(plain) or "bad response" in plain.error):
            self.tls = True
            secure = await self._send(GENERIC_ROOT)
            if secure.status is not None:
                self.http = True
                self.cache[GENERIC_ROOT.key()] = _done(secure)
                return secure
            self.tls = False
            self.errors.append(f"TLS: {secure.error}")
        self.cache[GENERIC_ROOT.key()] = _done(plain)
        return plain

    # -- judging

    def judge(self, fp: Fingerprint) -> Verdict | None:
        miss = 1.0
        evidence: list[Evidence] = []
        variant, matched, version_range = None, 0, None
        for m in fp.matchers:
            if m.default_port_only and self.endpoint.port not in fp.ports:
                continue
            result = self.result(fp.probe(m.probe))
            if result is None:
                continue
            seen = fpmod.match(m, result)
            if seen is None:
                continue
            matched += 1
            miss *= 1.0 - m.confidence
            variant = variant or m.variant
            version_range = version_range or m.version_range
            observed = "; ".join(s for s in seen if s)
            ev = Evidence(probe=_describe(result), observed=observed[:300])
            if all((e.probe, e.observed) != (ev.probe, ev.observed) for e in evidence):
                evidence.append(ev)
        if not matched:
            return None
        return Verdict(fp, round(1.0 - miss, 3), evidence, variant, matched, version_range)

    def best(self, claimed: list[Fingerprint]) -> Verdict | None:
        verdicts = [v for fp in self.fps if (v := self.judge(fp)) is not None and v.confidence >= THRESHOLD]
        if not verdicts:
            return None
        claimed_ids = {fp.id for fp in claimed}
        order = {fp.id: i for i, fp in enumerate(self.fps)}
        return max(verdicts, key=lambda v: (v.confidence, v.fingerprint.id in claimed_ids, v.matched,
                                            -order[v.fingerprint.id]))

    def extract(self, fp: Fingerprint) -> tuple[str | None, dict[str, str], list[Evidence]]:
        version, attrs, evidence = None, {}, []
        for ex in fp.version:
            result = self.result(fp.probe(ex.probe))
            value = fpmod.extract(ex, result)
            if value:
                version = value
                evidence.append(Evidence(probe=_describe(result), observed=f"version {value}"))
                break
        for ex in fp.attributes:
            if ex.name in attrs:
                continue
            value = fpmod.extract(ex, self.result(fp.probe(ex.probe)))
            if value:
                attrs[ex.name] = value
        return version, attrs, evidence


def _done(result) -> asyncio.Future:
    fut = asyncio.get_running_loop().create_future()
    fut.set_result(result)
    return fut  # type: ignore[return-value]


def _describe(result: HttpResult | WsResult) -> str:
    if isinstance(result, WsResult):
        extra = f" [{','.join(result.subprotocols)}]" if result.subprotocols else ""
        sent = " (sent one frame)" if result.sent else ""
        return f"WS {result.url}{extra}{sent}"
    return f"{result.method} {result.url}"


_TITLE = re.compile(rb"<title[^>]*>([^<]{0,120})</title>", re.I)


def http_banner(result: HttpResult) -> str:
    parts = [f"HTTP {result.status}"]
    if server := result.headers.get("server"):
        parts.append(f"Server: {server[:80]}")
    if ctype := result.headers.get("content-type"):
        parts.append(ctype.split(";")[0][:60])
    if m := _TITLE.search(result.body[:64 * 1024]):
        parts.append("title: " + m.group(1).decode("utf-8", "replace").strip()[:80])
    elif result.body:
        parts.append("body: " + printable(result.body, 80))
    return "; ".join(parts)


async def identify(endpoint: Endpoint, ctx: ProbeContext, *, fingerprints: list[Fingerprint] | None = None,
                   on_error: ErrorSink | None = None) -> Service:
    """Name the product on one open endpoint. Never raises for anything the endpoint does."""
    fps = fingerprints if fingerprints is not None else ctx.fingerprints
    run = _EndpointRun(endpoint, ctx, fps)
    claimed = fpmod.claimants(endpoint.port, fps)
    service = Service(host=endpoint.host, port=endpoint.port)
    verdict: Verdict | None = None
    root: HttpResult | None = None
    timed_out = False
    try:
        async with asyncio.timeout(ctx.limits.endpoint_deadline):
            root = await run.first_contact()
            if run.http:
                await run.run(p for fp in claimed for p in fp.probes_when("always"))
                verdict = run.best(claimed)
                if verdict is None:
                    await run.run([GENERIC_WS, *(p for fp in fps for p in fp.probes_when("always"))])
                    verdict = run.best(claimed)
                if verdict is None:
                    await run.run(p for fp in fps for p in fp.probes_when("unidentified"))
                    verdict = run.best(claimed)
                if verdict is not None:
                    # the winner's remaining cheap probes and its deeper ones: evidence, version
                    fp = verdict.fingerprint
                    await run.run([*fp.probes_when("always"), *fp.probes_when("matched")])
                    verdict = run.judge(verdict.fingerprint) or verdict
            elif root.error != "timeout":
                data, err = await grab_banner(endpoint, wait=min(1.0, ctx.limits.read_timeout),
                                              connect_timeout=ctx.limits.connect_timeout)
                if data:
                    service.banner = printable(data)
    except (TimeoutError, asyncio.TimeoutError):
        timed_out = True
        run.cancel()
        verdict = verdict or run.best(claimed)
    except Exception as exc:  # noqa: BLE001 - a probe bug must cost one endpoint, not the scan
        run.cancel()
        run.errors.append(f"identify failed: {exc.__class__.__name__}: {exc}")
    service.tls = run.tls
    if verdict is not None:
        fp = verdict.fingerprint
        version, attrs, version_evidence = run.extract(fp)
        service.product = fp.id
        service.product_name = fp.name + (f" ({verdict.variant})" if verdict.variant and verdict.variant not in fp.name else "")
        service.version = version
        service.confidence = min(1.0, verdict.confidence)
        service.evidence = verdict.evidence + version_evidence
        if verdict.variant:
            attrs.setdefault("variant", verdict.variant)
        if verdict.version_range and version is None:
            attrs.setdefault("version_range", verdict.version_range)
        if attrs:
            service.extra["attributes"] = attrs
    if root is None and verdict is None:
        service.evidence.append(Evidence(probe=f"GET {endpoint.url()}/",
                                         observed="no HTTP response before the endpoint deadline"))
    if root is not None:
        if root.cert:  # TLS: not verified, but recorded
            service.extra["tls_cert"] = root.cert
        if root.status is not None:
            service.banner = http_banner(root)
            if verdict is None:
                service.evidence.append(Evidence(probe=_describe(root), observed=service.banner))
        elif not service.banner:
            service.evidence.append(Evidence(probe=_describe(root), observed=f"no HTTP response: {root.error}"))
            service.banner = None
    if timed_out:
        run.errors.append(f"identification stopped at the {ctx.limits.endpoint_deadline:g} s endpoint deadline")
    elif root is not None and root.status is None and verdict is None:
        run.errors.append(f"no HTTP response ({root.error})" + (f"; banner {service.banner!r}" if service.banner else ""))
    if run.errors and on_error is not None:
        where = endpoint.url("https" if run.tls else "http")
        on_error(ErrorRecord(where=where, message=redact_text("identify: " + "; ".join(run.errors))))
    # secrets never reach a report: what was observed is masked where it enters the model
    service.evidence = [replace(e, probe=redact_text(e.probe), observed=redact_text(e.observed)) for e in service.evidence]
    service.banner = redact_text(service.banner) if service.banner else service.banner
    return service


async def identify_all(
    endpoints: AsyncIterator[Endpoint] | Iterable[Endpoint],
    ctx: ProbeContext,
    concurrency: int = 64,
    *,
    fingerprints: list[Fingerprint] | None = None,
    on_error: ErrorSink | None = None,
) -> AsyncIterator[Service]:
    """Identify endpoints as they arrive, `concurrency` at a time; yields Services as they finish."""
    fps = fingerprints if fingerprints is not None else ctx.fingerprints
    out: asyncio.Queue[Any] = asyncio.Queue()
    slots = asyncio.Semaphore(max(1, concurrency))
    done = object()
    tasks: set[asyncio.Task] = set()

    async def one(endpoint: Endpoint) -> None:
        try:
            service = await identify(endpoint, ctx, fingerprints=fps, on_error=on_error)
        except Exception as exc:  # noqa: BLE001 - identify() should not raise; belt and braces
            service = Service(host=endpoint.host, port=endpoint.port)
            if on_error:
                on_error(ErrorRecord(where=endpoint.url(), message=f"identify failed: {exc!r}"))
        finally:
            slots.release()
        await out.put(service)

    async def feed() -> None:
        try:
            if hasattr(endpoints, "__aiter__"):
                async for endpoint in endpoints:  # type: ignore[union-attr]
                    await slots.acquire()
                    task = asyncio.create_task(one(endpoint))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            else:
                for endpoint in endpoints:  # type: ignore[union-attr]
                    await slots.acquire()
                    task = asyncio.create_task(one(endpoint))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            while tasks:
                await asyncio.gather(*list(tasks), return_exceptions=True)
        finally:
            await out.put(done)

    feeder = asyncio.create_task(feed())
    try:
        while (item := await out.get()) is not done:
            yield item
        await feeder  # re-raise a failure of the endpoint stream
    finally:
        if not feeder.done():
            feeder.cancel()
        for task in list(tasks):
            task.cancel()
        pending = [feeder, *tasks]
        await asyncio.gather(*pending, return_exceptions=True)


def stage(ctx: ProbeContext, concurrency: int = 64, on_error: ErrorSink | None = None):
    """The pipeline's identify stage: endpoints in, services out (pipeline.ScanStages.identify)."""

    def run(endpoints: AsyncIterator[Endpoint]) -> AsyncIterator[Service]:
        return identify_all(endpoints, ctx, concurrency, on_error=on_error)

    return run
