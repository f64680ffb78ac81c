"""Identify: run the fingerprints' probes on an open endpoint and name the product behind it.

Cheap first: GET / (which also tells HTTP from TLS from neither), then the probes of the
fingerprints that claim the port; only if nothing matched, the generic WebSocket upgrade and
every fingerprint's cheap probes, then the `unidentified` probes (MCP server/discover), then the
`fallback` ones (the legacy MCP initialize). The winner's
`matched` probes then add evidence, the version and attributes. Identical requests go out once
per endpoint, everything runs under the per-endpoint deadline, and nothing a server does
raises: a hostile or silent port becomes an `unknown` Service with its banner and an error.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace
from typing import Any, AsyncIterator, Callable, Iterable
from urllib.parse import urljoin

from websockets.exceptions import ConnectionClosed

from . import fingerprints as fpmod
from . import matcher
from .fingerprints import Fingerprint, Probe
from ..model import Endpoint, ErrorRecord, Evidence, Service
from ..net.client import Client
from ..net.http import HttpResult, looks_like_tls_failure
from ..net.redact import redact_text
from ..net.sse import endpoint_event, same_endpoint
from ..net.tcp import printable
from ..net.ws import frame_text

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
    attributes: dict[str, str] = field(default_factory=dict)  # set by the matchers that matched


@dataclass
class WsResult:
    """A WebSocket probe as the matchers see it: the upgrade, the first frame, one reply."""

    url: str
    subprotocols: tuple[str, ...] = ()
    accepted: bool = False
    status: int | None = None  # upgrade status when refused (101 when accepted)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""  # refusal body
    subprotocol: str | None = None
    frame: str | None = None  # first server frame (text; binary shown as hex)
    sent: str | None = None
    reply: str | None = None  # the frame answering `sent`
    close_code: int | None = None
    close_reason: str | None = None
    error: str | None = None
    tls: bool = False
    cert: dict[str, Any] | None = None
    exchange: dict[str, Any] = field(default_factory=dict)

    kind = "ws"

    @property
    def ok(self) -> bool:
        return self.accepted or self.status is not None

    @property
    def text(self) -> str | None:
        return self.body.decode("utf-8", "replace") if self.status is not None else None

    def describe(self) -> str:
        return f"WS {self.url}"


async def ws_probe(client: Client, url: str, *, origin: str | None = None, subprotocols: tuple[str, ...] = (),
                   headers: dict[str, str] | None = None, read_first_frame: bool = True,
                   send: str | None = None, first_frame_wait: float = 1.0) -> WsResult:
    """Open a WebSocket, read its first frame, optionally send `send` and read the reply."""
    result = WsResult(url=url, subprotocols=tuple(subprotocols), tls=url.startswith("wss:"))
    ws = None
    try:
        async with asyncio.timeout(client.limits.request_timeout):
            async with client.websocket(url, origin=origin, subprotocols=subprotocols, headers=headers) as ws:
                if ws.accepted:
                    try:
                        if read_first_frame:
                            try:
                                result.frame = frame_text(await ws.recv(first_frame_wait))
                            except TimeoutError:
                                pass  # silent server: fine, the frame stays None
                        if send is not None:
                            result.sent = send
                            await ws.send(send)
                            result.reply = frame_text(await ws.recv())
                            try:  # the close that often follows a refusal carries the reason
                                await ws.recv(0.5)
                            except TimeoutError:
                                pass
                    except TimeoutError:
                        result.error = "no reply before the read timeout"
                    except ConnectionClosed:
                        pass  # the close code is on `ws`
    except TimeoutError:
        result.error = result.error or "timeout"
    if ws is None:
        return result
    result.accepted, result.status, result.headers, result.body = ws.accepted, ws.status, ws.headers, ws.body
    result.subprotocol, result.cert, result.exchange = ws.subprotocol, ws.cert, ws.exchange
    result.close_code, result.close_reason = ws.close_code, ws.close_reason
    result.error = result.error or ws.error
    return result


_SSE_REPLY = rb"event: message\r?\ndata: [^\r\n]+\r?\n"


async def sse_probe(client: Client, url: str, post: bytes, *, headers: dict[str, str] | None = None,
                    read_until: str | None = None) -> HttpResult:
    """A legacy HTTP+SSE conversation as one probe: open the stream, post one message to its
    `endpoint` event's URL (only on this endpoint), read the reply on the stream.

    MCP's legacy transport answers on the still-open GET stream, so serverInfo is only visible
    that way (the MCP 2024-11-05 HTTP+SSE transport); the result's body is the stream as read, for plain regexes.
    """
    reply = re.compile(read_until.encode() if read_until else _SSE_REPLY)
    async with client.sse(url, headers=headers) as stream:
        if stream.status == 200:
            raw = await stream.read_until(endpoint_event)
            target = urljoin(url, raw) if raw else None
            if target and same_endpoint(url, target):
                since = len(stream.body)
                await client.http("POST", target, body=post, headers={"Content-Type": "application/json"},
                                  max_body=4096)
                await stream.read_until(lambda body: reply.search(body, since))
    return stream.result


class _EndpointRun:
    """One endpoint's probing: a per-endpoint cache of results keyed by request."""

    def __init__(self, endpoint: Endpoint, client: Client, fps: list[Fingerprint]):
        self.endpoint, self.client, self.fps = endpoint, client, fps
        self.tasks = asyncio.TaskGroup()  # owns every probe of this endpoint (entered by identify)
        self.cache: dict[tuple, asyncio.Future] = {}
        self.tls = False
        self.http = False
        self.sem = asyncio.Semaphore(max(1, client.limits.per_endpoint))
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
        base = self.endpoint.url("https" if self.tls else "http")
        if probe.kind == "http" and probe.path_from is not None:
            path = await self._path_from(probe)
            if path is None:
                return HttpResult(method=probe.method, url=base, error=f"path_from: no path found for probe {probe.id}")
            probe = replace(probe, path=path)
        lim = self.client.limits
        async with self.sem:
            if probe.kind == "ws":
                return await ws_probe(
                    self.client, self.endpoint.url("wss" if self.tls else "ws") + probe.path, origin=probe.origin,
                    subprotocols=probe.subprotocols, headers=dict(probe.headers),
                    read_first_frame=probe.read_first_frame, send=probe.send,
                    first_frame_wait=min(1.0, lim.read_timeout),
                )
            if probe.sse_post is not None:
                return await sse_probe(self.client, base + probe.path, probe.sse_post.encode(),
                                       headers=dict(probe.headers), read_until=probe.read_until)
            until = re.compile(probe.read_until.encode()) if probe.read_until else None
            return await self.client.http(
                probe.method, base + probe.path, headers=dict(probe.headers), body=probe.body,
                stop=(lambda body: until.search(body) is not None) if until else None,
                max_body=max(probe.max_body or 0, lim.max_body),
            )

    def start(self, probe: Probe) -> asyncio.Future:
        task = self.cache.get(probe.key())
        if task is None:
            task = self.cache[probe.key()] = self.tasks.create_task(self._send(probe))
        return task

    async def run(self, probes: Iterable[Probe]) -> None:
        wanted = [p for p in probes if p.kind == "http" or self.http]  # a WS upgrade needs HTTP
        tasks = [self.start(p) for p in wanted]
        if tasks:
            await asyncio.wait(tasks)

    def result(self, probe: Probe) -> HttpResult | WsResult | None:
        task = self.cache.get(probe.key())
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return None
        return task.result()

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
        variant, matched, version_range, attributes = None, 0, None, {}
        for m in fp.matchers:
            if m.default_port_only and self.endpoint.port not in fp.ports:
                continue
            result = self.result(fp.probe(m.probe))
            if result is None:
                continue
            seen = matcher.holds(m.conditions, result, m.negated)
            if seen is None:
                continue
            matched += 1
            miss *= 1.0 - m.confidence
            variant = variant or m.variant
            version_range = version_range or m.version_range
            for name, value in m.attributes:
                attributes.setdefault(name, value)
            observed = "; ".join(s for s in seen if s)
            ev = Evidence(probe=_describe(result), observed=observed[:300])
            if all((e.probe, e.observed) != (ev.probe, ev.observed) for e in evidence):
                evidence.append(ev)
        if not matched:
            return None
        return Verdict(fp, round(1.0 - miss, 3), evidence, variant, matched, version_range, attributes)

    def best(self, claimed: list[Fingerprint]) -> Verdict | None:
        verdicts = [v for fp in self.fps if (v := self.judge(fp)) is not None and v.confidence >= THRESHOLD]
        if not verdicts:
            return None
        claimed_ids = {fp.id for fp in claimed}
        order = {fp.id: i for i, fp in enumerate(self.fps)}
        return max(verdicts, key=lambda v: (v.confidence, v.fingerprint.id in claimed_ids, v.matched,
                                            -order[v.fingerprint.id]))

    def extract(self, fp: Fingerprint) -> tuple[str | None, dict[str, Any], list[Evidence]]:
        version, attrs, evidence = None, {}, []
        for ex in fp.version:
            result = self.result(fp.probe(ex.probe))
            value = matcher.extract(ex, result)
            if value:
                version = value
                evidence.append(Evidence(probe=_describe(result), observed=f"version {value}"))
                break
        for ex in fp.attributes:
            if ex.name in attrs:
                continue
            value = matcher.extract(ex, self.result(fp.probe(ex.probe)))
            if value:
                attrs[ex.name] = value
        return version, attrs, evidence

    def embedded(self, fp: Fingerprint) -> tuple[list[dict[str, Any]], list[Evidence]]:
        """The surfaces of other protocols this product serves here (`embeds:` whose `match`
        holds): recorded as the product's, never as a second product."""
        surfaces, evidence = [], []
        for e in fp.embeds:
            result = self.result(fp.probe(e.probe))
            seen = matcher.holds(e.match, result)
            if seen is None:
                continue
            surface: dict[str, Any] = {"protocol": e.protocol, "name": e.name, "path": e.path, "role": e.role}
            if e.transport:
                surface["transport"] = e.transport
            for ex in e.attributes:
                value = matcher.extract(ex, result if ex.probe == e.probe else self.result(fp.probe(ex.probe)))
                if value and ex.name not in surface:
                    surface[ex.name] = value
            surfaces.append(surface)
            observed = "; ".join(x for x in seen if x)
            evidence.append(Evidence(probe=_describe(result), observed=f"embedded {e.label}: {observed}"[:300]))
        return surfaces, evidence


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


async def identify(endpoint: Endpoint, client: Client, *, fingerprints: list[Fingerprint] | None = None,
                   on_error: ErrorSink | None = None) -> Service:
    """Name the product on one open endpoint. Never raises for anything the endpoint does."""
    fps = fingerprints if fingerprints is not None else fpmod.load_fingerprints()
    lim = client.limits
    run = _EndpointRun(endpoint, client, fps)
    claimed = fpmod.claimants(endpoint.port, fps)
    service = Service(host=endpoint.host, port=endpoint.port)
    verdict: Verdict | None = None
    root: HttpResult | None = None
    timed_out = False
    try:
        async with asyncio.timeout(lim.endpoint_deadline), run.tasks:
            root = await run.first_contact()
            if run.http:
                await run.run(p for fp in claimed for p in fp.probes_when("always"))
                verdict = run.best(claimed)
                if verdict is None:
                    await run.run([GENERIC_WS, *(p for fp in fps for p in fp.probes_when("always"))])
                    verdict = run.best(claimed)
                for when in ("unidentified", "fallback"):
                    if verdict is None:
                        await run.run(p for fp in fps for p in fp.probes_when(when))
                        verdict = run.best(claimed)
                if verdict is not None:
                    # the winner's remaining cheap probes and its deeper ones: evidence, version
                    fp = verdict.fingerprint
                    await run.run([*fp.probes_when("always"), *fp.probes_when("matched")])
                    verdict = run.judge(verdict.fingerprint) or verdict
            elif root.error != "timeout":
                data, _ = await client.banner(endpoint.host, endpoint.port, wait=min(1.0, lim.read_timeout))
                if data:
                    service.banner = printable(data)
    except (TimeoutError, asyncio.TimeoutError):
        timed_out = True  # the task group has cancelled what was still probing
        verdict = verdict or run.best(claimed)
    except Exception as exc:  # noqa: BLE001 - a probe bug must cost one endpoint, not the scan
        run.errors.append(f"identify failed: {exc.__class__.__name__}: {exc}")
    service.tls = run.tls
    if verdict is not None:
        fp = verdict.fingerprint
        version, attrs, version_evidence = run.extract(fp)
        surfaces, surface_evidence = run.embedded(fp)
        service.product = fp.id
        service.product_name = fp.name + (f" ({verdict.variant})" if verdict.variant and verdict.variant not in fp.name else "")
        service.version = version
        service.confidence = min(1.0, verdict.confidence)
        service.evidence = verdict.evidence + version_evidence + surface_evidence
        if surfaces:
            attrs["embedded"] = surfaces
        if verdict.variant:
            attrs.setdefault("variant", verdict.variant)
        for name, value in verdict.attributes.items():
            attrs.setdefault(name, value)
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
        run.errors.append(f"identification stopped at the {lim.endpoint_deadline:g} s endpoint deadline")
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
    client: Client,
    concurrency: int = 64,
    *,
    fingerprints: list[Fingerprint] | None = None,
    on_error: ErrorSink | None = None,
) -> AsyncIterator[Service]:
    """Identify endpoints as they arrive, `concurrency` at a time; yields Services as they finish."""
    fps = fingerprints if fingerprints is not None else fpmod.load_fingerprints()
    out: asyncio.Queue[Any] = asyncio.Queue()
    slots = asyncio.Semaphore(max(1, concurrency))
    done = object()

    async def one(endpoint: Endpoint) -> None:
        try:
            service = await identify(endpoint, client, fingerprints=fps, on_error=on_error)
        except Exception as exc:  # noqa: BLE001 - identify() should not raise; belt and braces
            service = Service(host=endpoint.host, port=endpoint.port)
            if on_error:
                on_error(ErrorRecord(where=endpoint.url(), message=f"identify failed: {exc!r}"))
        finally:
            slots.release()
        await out.put(service)

    async def feed() -> None:
        try:
            # the group owns every identification: cancelling the feeder cancels them all
            async with asyncio.TaskGroup() as group:
                async for endpoint in _stream(endpoints):
                    await slots.acquire()
                    group.create_task(one(endpoint))
        finally:
            out.put_nowait(done)

    # A TaskGroup cannot stay open across this generator's yields (its cancel scope would reach
    # the consumer), so the feeder is one task this generator owns and always waits for.
    feeder = asyncio.create_task(feed())
    try:
        while (item := await out.get()) is not done:
            yield item
        try:
            await feeder
        except BaseExceptionGroup as group:  # a failure of the endpoint stream, raised as itself
            raise group.exceptions[0] from None
    finally:
        if not feeder.done():
            feeder.cancel()
        await asyncio.gather(feeder, return_exceptions=True)


async def _stream(endpoints: AsyncIterator[Endpoint] | Iterable[Endpoint]) -> AsyncIterator[Endpoint]:
    """The endpoints as one async stream, whichever kind the caller has."""
    if hasattr(endpoints, "__aiter__"):
        async for endpoint in endpoints:  # type: ignore[union-attr]
            yield endpoint
    else:
        for endpoint in endpoints:  # type: ignore[union-attr]
            yield endpoint


def stage(client: Client, concurrency: int = 64, on_error: ErrorSink | None = None,
          fingerprints: list[Fingerprint] | None = None):
    """The pipeline's identify stage: endpoints in, services out (app.ScanStages.identify)."""

    def run(endpoints: AsyncIterator[Endpoint]) -> AsyncIterator[Service]:
        return identify_all(endpoints, client, concurrency, fingerprints=fingerprints, on_error=on_error)

    return run
