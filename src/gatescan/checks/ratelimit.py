"""auth.ratelimit.missing (only with --intrusive): a short burst of random wrong credentials.

`protocol: openclaw-connect` sends up to `attempts` (default 20) connects, each with a fresh random
wrong token (or password, when the gateway says it runs password auth), a few at a time, and
stops at the first throttling reply (`AUTH_RATE_LIMITED`, "too many failed authentication
attempts"). With `origin: own` they carry the target's own Origin: since 2026.2.25 OpenClaw keeps a
browser-origin limiter that exempts no loopback client (its general limiter exempts loopback by
design), so even a loopback scan tells a gateway that throttles pages from one that does not.
Every attempt leaves a failed-login entry on the target, which the finding says. Over loopback the
finding is at most info.
"""

from __future__ import annotations

import asyncio
import time

from ..catalog import RateLimitParams
from ..model import Access
from ..protocols import openclaw
from .context import is_loopback, random_token
from .registry import Outcome, register

IN_FLIGHT = 4  # connects at once: a burst, bounded like every other probe on one endpoint


def _wrong(kind: str) -> dict[str, str]:
    """A random wrong credential, marked as ours in its own text."""
    return {kind: random_token("gatescan-wrong-credential")}


def _mode(outcome: openclaw.ConnectOutcome) -> str | None:
    """Which secret the gateway compared (from its refusal), or None when it compared none."""
    text = f"{outcome.code or ''} {outcome.reason}".lower()
    if "password" in text and ("mismatch" in text or "missing" in text):
        return "password"
    if "token" in text and "mismatch" in text:
        return "token"
    return None


def _delayed(outcome: openclaw.ConnectOutcome) -> bool:
    """The socket opened and the challenge came, but the refusal did not within the read timeout."""
    return outcome.kind == openclaw.UNEXPECTED and outcome.reason.startswith("no answer to the connect request")


@register("auth.ratelimit.missing")
async def auth_ratelimit_missing(run, params: RateLimitParams) -> Outcome:
    if run.auth_state() is Access.OPEN:
        return Outcome.not_applicable("it answers without authentication: there is no login to throttle")
    origin = f"{run.scheme}://{run.netloc}" if params.origin == "own" else None

    async def attempt(kind: str, with_origin: str | None) -> openclaw.ConnectOutcome:
        return await openclaw.connect_probe(run.client, run.host, run.port, origin=with_origin,
                                            tls=run.service.tls, auth=_wrong(kind))

    started = time.monotonic()
    first = await attempt("token", origin)
    if first.kind == openclaw.ORIGIN_REJECTED and origin is not None:  # its own Origin not allowed
        origin = None
        first = await attempt("token", None)
    kind = _mode(first)
    if kind == "password" or (kind is None and first.kind == openclaw.NEXT_GATE):
        # password auth: a token is not what it compares ("password missing", or a gate before it)
        second = await attempt("password", origin)
        if _mode(second) == "password":
            first, kind = second, "password"
    sent = [first]
    if first.kind == openclaw.RATE_LIMITED:
        return Outcome.passed(f"throttled at once ({first.reason}): an earlier lockout still holds")
    if _mode(first) is None:
        why = ("it admitted the connect" if first.kind == openclaw.HELLO_OK else first.reason)
        return Outcome.inconclusive(f"the wrong credential was not compared, so nothing can be counted: {why}")
    throttled = None
    while len(sent) < params.attempts and throttled is None and not any(map(_delayed, sent)):
        batch = min(IN_FLIGHT, params.attempts - len(sent))
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(attempt(kind, origin)) for _ in range(batch)]
        for task in tasks:
            sent.append(task.result())
            if task.result().kind == openclaw.RATE_LIMITED and throttled is None:
                throttled = len(sent)
    elapsed = time.monotonic() - started
    left = f"{len(sent)} failed-login entr{'y' if len(sent) == 1 else 'ies'}"
    delayed = [i for i, o in enumerate(sent, 1) if _delayed(o)]
    if throttled is None and delayed and delayed[0] > 1:
        # OpenClaw delays failures from loopback clients progressively instead of locking them out
        # (docs/gateway/security/rate-limiting.md; seen on the real openclaw@2026.9.6 without an Origin)
        return Outcome.passed(f"answered promptly {delayed[0] - 1} times, then no longer within the read "
                              f"timeout ({run.client.limits.read_timeout:g} s): failures are delayed "
                              f"progressively; left {left} on the target")
    undecided = [o for o in sent if o.kind not in (openclaw.NEXT_GATE, openclaw.RATE_LIMITED)]
    if throttled is not None:
        reply = next(o for o in sent if o.kind == openclaw.RATE_LIMITED)
        return Outcome.passed(f"throttled after {throttled} random wrong {kind}s ({reply.reason}); "
                              f"left {left} on the target")
    if undecided:
        return Outcome.inconclusive(f"{len(undecided)} of {len(sent)} attempts got no clear refusal "
                                    f"({undecided[0].reason}); left {left} on the target")
    loopback = is_loopback(run.host)
    how = f"with its own Origin ({origin})" if origin else "without an Origin"
    summary = (f"{len(sent)} connects, each with a fresh random wrong {kind} and sent {how}, {IN_FLIGHT} at a "
               f"time, went out in {elapsed:.1f} s; every one was refused as a mismatch and none was throttled, "
               f"so a password or token can be guessed at full speed. This left {left} on the target "
               "(its logs and failure counters).")
    if loopback:
        summary += (" This was over loopback: products such as the OpenClaw gateway exempt loopback clients "
                    "by design, so it says little about remote clients (rated info).")
    exchanges = [sent[0].exchange, sent[-1].exchange]
    return Outcome.finding(f"{len(sent)} wrong {kind}s in {elapsed:.1f} s, none throttled", summary, exchanges,
                           data={"loopback": loopback, "attempts": len(sent)})
