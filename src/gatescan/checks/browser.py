"""The browser proof (`--browser-proof`): a real headless Chromium runs the attack a web page
would run against a `ws.origin.unchecked`, `http.host.unchecked` or `http.cors.permissive`
finding, and the finding records what happened in `evidence.browser`.

- WebSocket Origin: a page gatescan serves on another loopback origin opens the target's socket
  (for the OpenClaw gateway it answers the challenge with the `connect` frame of
  protocols/openclaw.py) and reports what came back.
- CORS: a page on a foreign origin fetches the privileged request with the credentials mode the
  check found (`include` when the Origin is reflected with credentials, else `omit`).
- Rebinding: Chromium maps `rebind.test` to the target (host-resolver rule); the navigation to
  `http://rebind.test:<port>/` is answered by gatescan itself over the DevTools protocol
  (`Fetch.fulfillRequest`), so the script runs in the rebinding origin, and its same-origin
  request reaches the target, as in a real attack.

Local Network Access (Chromium 142+ for fetch, 147+ for WebSockets) gates requests from public
pages to loopback, while a page on another loopback origin is exempt. So each WebSocket and CORS
proof runs twice: as a loopback page, and as a page Chromium treats as public
(`--ip-address-space-overrides=127.0.0.1:<page port>=public`). A rebinding page is always a
foreign, non-secure (http) page: Chromium 156 blocks its loopback requests outright (no prompt
can allow it; checked here). So the rebinding proof runs once as the attack runs and once in a
second browser with `--disable-features=LocalNetworkAccessChecks`, standing for a browser
without Local Network Access (older Chromium, other engines).

One browser per scan (plus the second one, only if a rebinding proof runs), started at the
first proof and stopped with the scan. Each proof runs in its own browser context and is bounded
by PROOF_DEADLINE; a missing or crashing Chromium makes the proof `inconclusive` with the
reason, and the scan goes on.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..catalog import CorsParams, HostUncheckedParams, OriginParams
from ..model import Access
from ..net.cdp import PAGE_HOST, Browser, BrowserError, LaunchConfig, find_chromium
from ..net.http import HttpResult
from ..net.redact import redact_text
from ..protocols import openclaw
from .baseline import request_spec
from .context import random_token

log = logging.getLogger(__name__)

PROVES = frozenset({"ws.origin.unchecked", "http.host.unchecked", "http.cors.permissive"})
PROOF_DEADLINE = 15.0  # seconds for one finding's proof, both runs (a hostile target costs this)
BROWSER_START = 20.0  # what the first proof may spend starting Chromium (cdp.Browser.launch's timeout)
RUN_WAIT = 4.0  # seconds one page waits for the target inside the page
READ_CAP = 2000  # characters of each frame or body the page keeps
LNA_MARKS = ("local_network_access", "local network access", "address space", "more-private")

LOCAL = "a local page can drive it"
ANY_SITE = "any website can, even with Local Network Access on"
LNA_BLOCKED = "blocked by Local Network Access unless the user allows it"
LNA_BLOCKED_REBIND = "blocked by Local Network Access (a rebinding page is not a secure context: no prompt)"
WITHOUT_LNA = "a website can in a browser without Local Network Access"

# --- the scripts a page runs (returned as one JSON value) ----------------------------------------

WS_SCRIPT = """(async (url, proto, frame, wait, cap) => new Promise(resolve => {
  const out = {opened: false, read: [], sent: false};
  let ws, done = false;
  const end = () => { if (!done) { done = true; try { ws.close(); } catch (e) {} resolve(out); } };
  try { ws = proto ? new WebSocket(url, proto) : new WebSocket(url); }
  catch (e) { out.error = String(e); return resolve(out); }
  setTimeout(() => { out.timeout = true; end(); }, wait);
  const send = () => { if (frame && !out.sent) { ws.send(frame); out.sent = true; } };
  ws.onopen = () => { out.opened = true;
    if (frame) setTimeout(send, 1500); else setTimeout(end, 500); };
  ws.onmessage = e => {
    const text = typeof e.data === 'string' ? e.data : '[binary frame]';
    if (out.read.length < 16) out.read.push(text.slice(0, cap));
    if (!frame) return;
    let msg = null; try { msg = JSON.parse(text); } catch (err) {}
    if (msg && msg.type === 'event' && msg.event === 'connect.challenge') send();
    else if (msg && msg.type === 'res' && out.sent) end();
  };
  ws.onerror = () => { out.error = 'error event'; };
  ws.onclose = e => { out.close = {code: e.code, reason: e.reason}; done = true; resolve(out); };
}))"""

FETCH_SCRIPT = """(async (url, method, headers, body, credentials, wait, cap) => {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), wait);
  try {
    const init = {method, headers, credentials, mode: 'cors', signal: ctl.signal};
    if (body !== null) init.body = body;
    const r = await fetch(url, init);
    const text = await r.text();
    const seen = {}; r.headers.forEach((v, k) => { seen[k] = v; });
    return {status: r.status, headers: seen, body: text.slice(0, cap)};
  } catch (e) { return {error: ctl.signal.aborted ? 'no answer within the page\\'s wait' : String(e)}; }
  finally { clearTimeout(timer); }
})"""

PAGE = "<!doctype html><title>gatescan browser proof</title><p>gatescan browser proof page</p>"


@dataclass
class Run:
    """One page's attempt: what it is, where it ran, and what the page saw."""

    label: str  # "loopback page", "public page", ...
    page_origin: str
    connected: bool
    read: Any
    blocked_by_lna: bool = False
    note: str = ""
    console: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {"as": self.label, "page_origin": self.page_origin, "connected": self.connected,
               "read": self.read, "blocked_by_local_network_access": self.blocked_by_lna}
        if self.note:
            out["note"] = self.note
        if self.console:
            out["console"] = list(self.console)
        return out


class BrowserProof:
    """The scan's browser proof: page servers, the browser(s), one proof at a time."""

    def __init__(self, executable: str | None = None, deadline: float = PROOF_DEADLINE):
        self.executable = find_chromium(executable)
        self.deadline = deadline
        self._pages: dict[str, str] = {}
        self._runner: web.AppRunner | None = None
        self.local_port = self.public_port = 0
        self._browsers: dict[LaunchConfig, Browser] = {}
        self._failed: dict[LaunchConfig, str] = {}
        self._lock = asyncio.Lock()
        self.seconds: list[float] = []  # per proof, for the scan's stats

    async def __aenter__(self) -> "BrowserProof":
        return self

    async def _serve_pages(self) -> None:
        """Start the page servers at the first proof, not with the scan, so a sweep of
        127.0.0.1 that is still running is less likely to meet them."""
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_get("/{token}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        ports = []
        for _ in range(2):  # the loopback page's origin and the "public" page's
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        self.local_port, self.public_port = ports

    async def __aexit__(self, *exc: Any) -> None:
        for browser in self._browsers.values():
            await browser.close()
        self._browsers.clear()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        html = self._pages.get(request.match_info["token"])
        if html is None:
            return web.Response(status=404)
        return web.Response(text=html, content_type="text/html")

    # --- the browser, started once ----------------------------------------------------------------

    def _config(self, host: str, *, lna: bool = True) -> LaunchConfig:
        direct = () if host.startswith("127.") or host == "localhost" else (f"[{host}]" if ":" in host else host,)
        return LaunchConfig(rebind_ip=f"[{host}]" if ":" in host else host, direct=direct,
                            public=(f"127.0.0.1:{self.public_port}",),
                            features_off=() if lna else ("LocalNetworkAccessChecks",))

    async def _browser(self, config: LaunchConfig) -> Browser:
        """The running browser for `config`: reused, or started (replacing one whose rebinding
        address or direct addresses differ, so at most one per kind runs at a time)."""
        if config in self._failed:
            raise BrowserError(self._failed[config])
        browser = self._browsers.get(config)
        if browser is not None and not browser.dead and browser.process.returncode is None:
            return browser
        for other in [c for c in self._browsers if c.features_off == config.features_off]:
            await self._browsers.pop(other).close()
        if self.executable is None:
            raise BrowserError("no Chromium found (install the `chromium` package or set GATESCAN_CHROMIUM)")
        try:
            browser = await Browser.launch(self.executable, config)
        except BrowserError as exc:
            self._failed[config] = str(exc)
            raise
        self._browsers[config] = browser
        return browser

    # --- the proof of one finding -----------------------------------------------------------------

    async def prove(self, run, check_id: str, params: Any, outcome) -> dict[str, Any] | None:
        """`evidence.browser` for one finding (None for a check the browser does not prove)."""
        if check_id not in PROVES:
            return None
        async with self._lock:  # proofs take turns: the seconds below are this proof's own
            started = time.monotonic()
            # the first proof also starts Chromium (its own launch timeout): that start is not
            # the target's doing, so it does not eat into the target's deadline
            allowance = 0.0 if self._browsers else BROWSER_START
            try:
                async with asyncio.timeout(self.deadline + allowance):
                    result = await self._prove(run, check_id, params, outcome)
            except TimeoutError:
                result = _inconclusive(f"the proof's deadline ({self.deadline:g} s) ran out")
            except BrowserError as exc:
                result = _inconclusive(str(exc))
            except Exception as exc:  # noqa: BLE001 - a proof must never stop the scan
                log.debug("browser proof failed", exc_info=True)
                result = _inconclusive(f"the proof failed: {type(exc).__name__}: {exc}"[:200])
            result["seconds"] = round(time.monotonic() - started, 2)  # a browser's start included
        self.seconds.append(result["seconds"])
        return result

    async def _prove(self, run, check_id: str, params: Any, outcome) -> dict[str, Any]:
        await self._serve_pages()
        if run.service.tls:
            return _inconclusive("the service speaks TLS: a browser would stop at its certificate first, "
                                 "and the proof does not click through certificate warnings")
        if check_id == "ws.origin.unchecked":
            return await self._twice(run, self._ws_page(run, params, outcome))
        spec = request_spec(run, params)
        if spec is None:
            return _inconclusive("the fingerprint names no privileged HTTP request to replay")
        if isinstance(params, (CorsParams, HostUncheckedParams)) and params.protocol == "mcp" \
                and params.transport != "streamable":
            return _inconclusive(f"the browser proof replays request/response transports, not MCP over "
                                 f"{params.transport}")
        if check_id == "http.cors.permissive":
            credentials = "omit" if outcome.data.get("uncredentialed", True) else "include"
            return await self._twice(run, self._fetch_page(run, spec, run.base_url + spec.path, credentials))
        return await self._rebinding(run, spec)

    async def _twice(self, run, page) -> dict[str, Any]:
        """The loopback page's run, then the public page's; the verdict says what each showed."""
        browser = await self._browser(self._config(run.host))
        runs = [await page(browser, "loopback page", self.local_port),
                await page(browser, "public page", self.public_port)]
        local, public = runs
        if public.connected:
            verdict = ANY_SITE
        elif local.connected:
            verdict = LNA_BLOCKED if public.blocked_by_lna else LOCAL
        else:
            verdict = None
        return _result(browser, runs, verdict)

    def _ws_page(self, run, params: OriginParams, outcome):
        url = outcome.target or run.ws_url(params.path or "/")
        frame = None
        if params.protocol == "openclaw-connect":
            frame = json.dumps(openclaw.connect_frame(*openclaw.DEFAULT_RANGE))

        async def page(browser: Browser, label: str, port: int) -> Run:
            origin = f"http://{PAGE_HOST}:{port}"
            seen, console = await self._evaluate(browser, f"{origin}/{self._page()}", WS_SCRIPT,
                                                 [url, params.subprotocol, frame, RUN_WAIT * 1000, READ_CAP])
            connected, note = _ws_verdict(seen, frame is not None)
            return Run(label, origin, connected, _shown(seen), _lna(console) and not connected, note, console)
        return page

    def _fetch_page(self, run, spec, url: str, credentials: str):
        headers, body = _browser_request(spec)

        async def page(browser: Browser, label: str, port: int) -> Run:
            origin = f"http://{PAGE_HOST}:{port}"
            seen, console = await self._evaluate(browser, f"{origin}/{self._page()}", FETCH_SCRIPT,
                                                 [url, spec.method, headers, body, credentials,
                                                  RUN_WAIT * 1000, READ_CAP])
            connected, note = _fetch_verdict(spec, url, seen)
            return Run(label, origin, connected, _shown(seen), _lna(console) and not connected, note, console)
        return page

    async def _rebinding(self, run, spec) -> dict[str, Any]:
        page_url = f"http://rebind.test:{run.port}/"
        headers, body = _browser_request(spec)
        runs, browsers = [], []
        for label, lna in (("rebinding page", True), ("rebinding page, no Local Network Access", False)):
            browser = await self._browser(self._config(run.host, lna=lna))
            browsers.append(browser)
            seen, console = await self._evaluate(browser, page_url, FETCH_SCRIPT,
                                                 [spec.path, spec.method, headers, body, "same-origin",
                                                  RUN_WAIT * 1000, READ_CAP], fulfill=True)
            connected, note = _fetch_verdict(spec, f"http://rebind.test:{run.port}{spec.path}", seen)
            runs.append(Run(label, f"http://rebind.test:{run.port}", connected, _shown(seen),
                            _lna(console) and not connected, note, console))
        attack, without = runs
        if attack.connected:
            verdict = ANY_SITE
        elif without.connected:
            verdict = LNA_BLOCKED_REBIND if attack.blocked_by_lna else WITHOUT_LNA
        else:
            verdict = None
        return _result(browsers[0], runs, verdict)

    def _page(self) -> str:
        token = random_token("proof")
        self._pages[token] = PAGE
        return token

    async def _evaluate(self, browser: Browser, url: str, script: str, args: list[Any], *,
                        fulfill: bool = False) -> tuple[Any, tuple[str, ...]]:
        """Open `url` in a fresh browser context, run `script(*args)` in it, return its value and
        the console/network messages Chromium logged (why a request failed, e.g. LNA)."""
        context = (await browser.send("Target.createBrowserContext"))["browserContextId"]
        try:
            target = (await browser.send("Target.createTarget", {"url": "about:blank",
                                                                 "browserContextId": context}))["targetId"]
            session = (await browser.send("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
            with browser.events(session) as events:
                await browser.send("Page.enable", session=session)
                await browser.send("Log.enable", session=session)
                if fulfill:  # gatescan answers the navigation itself: the page runs in the rebinding origin
                    await browser.send("Fetch.enable", {"patterns": [
                        {"urlPattern": url, "resourceType": "Document", "requestStage": "Request"}]}, session=session)
                # Page.navigate answers only once the navigation commits: a paused one waits for us
                navigated = asyncio.ensure_future(browser.send("Page.navigate", {"url": url}, session=session))
                logs: list[dict] = []
                try:
                    await _loaded(browser, session, events, logs, navigated)
                finally:
                    navigated.cancel()
                expression = f"({script})(...{json.dumps(args)})"
                answer = await browser.send("Runtime.evaluate", {
                    "expression": expression, "awaitPromise": True, "returnByValue": True},
                    session=session, timeout=RUN_WAIT + 3)
                await asyncio.sleep(0.1)  # Chromium logs why a request failed just after it failed
                console = _drain(events, logs)
            if "exceptionDetails" in answer:
                raise BrowserError(f"the proof script failed: {answer['exceptionDetails'].get('text')}")
            return answer.get("result", {}).get("value"), console
        finally:
            try:
                await browser.send("Target.disposeBrowserContext", {"browserContextId": context})
            except BrowserError:
                pass


async def _loaded(browser: Browser, session: str, events: asyncio.Queue, logs: list[dict],
                  navigated: asyncio.Future) -> None:
    """Wait for the page's load event, answering a paused navigation with gatescan's page; a
    navigation that failed (errorText) is a BrowserError."""
    checked = False
    while True:
        getting = asyncio.ensure_future(events.get())
        try:
            while not getting.done():
                await asyncio.wait({getting} if checked else {getting, navigated},
                                   return_when=asyncio.FIRST_COMPLETED)
                if navigated.done() and not checked:
                    checked = True
                    if navigated.exception() is not None:
                        raise navigated.exception()  # type: ignore[misc]
                    if navigated.result().get("errorText"):
                        raise BrowserError(f"the proof page did not load: {navigated.result()['errorText']}")
        finally:
            getting.cancel()
        event = getting.result()
        method = event.get("method")
        if method == "gatescan.dead":
            raise BrowserError(f"Chromium stopped answering: {browser.dead}")
        if method == "Fetch.requestPaused":
            await browser.send("Fetch.fulfillRequest", {
                "requestId": event["params"]["requestId"], "responseCode": 200,
                "responseHeaders": [{"name": "Content-Type", "value": "text/html"}],
                "body": base64.b64encode(PAGE.encode()).decode()}, session=session)
        elif method == "Page.loadEventFired":
            return
        elif method == "Log.entryAdded":
            logs.append(event)  # kept for _drain


def _drain(events: asyncio.Queue, logs: list[dict]) -> tuple[str, ...]:
    """The messages Chromium logged for the page (load and script), a few, trimmed, masked."""
    while not events.empty():
        logs.append(events.get_nowait())
    out: list[str] = []
    for event in logs:
        if event.get("method") == "Log.entryAdded":
            text = str(event["params"]["entry"].get("text", ""))
            if "favicon.ico" not in text and len(out) < 6:
                out.append(redact_text(text[:300]))
    return tuple(out)


def _lna(console: tuple[str, ...]) -> bool:
    return any(mark in line.lower() for line in console for mark in LNA_MARKS)


def _browser_request(spec) -> tuple[dict[str, str], str | None]:
    headers = dict(spec.headers)
    body = None
    if spec.json_body is not None:
        body = json.dumps(spec.json_body)
        headers.setdefault("Content-Type", "application/json")
    return headers, body


def _ws_verdict(seen: Any, openclaw_frame: bool) -> tuple[bool, str]:
    """Did the page's socket get past the Origin gate? For the gateway: its reply to `connect`,
    judged as protocols/openclaw.py judges it; else: open, and not closed 1008 at once."""
    if not isinstance(seen, dict) or not seen.get("opened"):
        return False, "the socket never opened"
    close = seen.get("close") if isinstance(seen.get("close"), dict) else None
    if openclaw_frame:
        def done(kind: str, reason: str, **kw: Any) -> openclaw.ConnectOutcome:
            return openclaw.ConnectOutcome(kind, reason, **kw)
        for text in seen.get("read") or []:
            try:
                frame = json.loads(text)
            except ValueError:
                continue
            if isinstance(frame, dict) and frame.get("type") == "res":
                result = openclaw._classify_res(frame, done)
                return result.access is Access.OPEN, result.reason
        if close:
            result = openclaw._classify_close(close, done, bool(seen.get("sent")))
            return result.access is Access.OPEN, result.reason
        return False, "the gateway did not answer the connect frame"
    if close and close.get("code") == 1008:
        return False, f"opened, then closed 1008 {close.get('reason')!r}"
    return True, "the socket opened and stayed open"


def _fetch_verdict(spec, url: str, seen: Any) -> tuple[bool, str]:
    """Did the page read the privileged answer? Judged by the fingerprint's `open` rule."""
    if not isinstance(seen, dict) or "status" not in seen:
        error = seen.get("error") if isinstance(seen, dict) else None
        return False, f"the page could not read an answer ({error or 'nothing came back'})"
    headers = {str(k).lower(): str(v) for k, v in (seen.get("headers") or {}).items()}
    answer = HttpResult(spec.method, url, status=int(seen["status"]), headers=headers,
                        body=str(seen.get("body", "")).encode())
    if spec.classify(answer) is Access.OPEN:
        return True, f"the page read the answer to {spec.describe()} (HTTP {seen['status']})"
    return False, f"the page got HTTP {seen['status']}, not the privileged answer"


def _shown(seen: Any) -> Any:
    """What the page read, trimmed and masked for the report."""
    if isinstance(seen, dict):
        seen = dict(seen)
        if isinstance(seen.get("read"), list):
            seen["read"] = [redact_text(str(t)[:400]) for t in seen["read"]]
        if isinstance(seen.get("body"), str):
            seen["body"] = redact_text(seen["body"][:400])
    return seen


def _result(browser: Browser, runs: list[Run], verdict: str | None) -> dict[str, Any]:
    connected = [r for r in runs if r.connected]
    shown = connected[-1] if connected else runs[0]
    return {
        "result": "confirmed" if connected else "not_confirmed",
        "connected": bool(connected),
        "page_origin": shown.page_origin,
        "read": shown.read,
        "chromium": browser.version,
        "verdict": verdict or "no page could drive it",
        "runs": [r.to_dict() for r in runs],
    }


def _inconclusive(reason: str) -> dict[str, Any]:
    return {"result": "inconclusive", "connected": False, "page_origin": None, "read": None,
            "reason": redact_text(reason)}
