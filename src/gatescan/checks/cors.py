"""http.cors.permissive: the privileged API, answered without credentials, also hands its answer
to a foreign page: `Access-Control-Allow-Origin` is `*` or reflects the page's Origin (after a
successful preflight when the browser would send one). Origins tried: an attacker site, then
`null` (a sandboxed iframe on any page).

Whether the page's request may carry the user's cookies decides how bad it is: the Origin
reflected with `Access-Control-Allow-Credentials: true` (on the preflight too) lets a page read
the authenticated answer; `*`, or a reflection without it, lets it read only what needs no cookie
(the finding is lowered a step, catalog `lower_when`).
"""

from __future__ import annotations

from ..catalog import CorsParams
from .baseline import privileged, unless_open
from .context import random_token
from ..model import Access, CheckStatus
from .registry import Outcome, register

SIMPLE_METHODS = {"GET", "HEAD", "POST"}
SIMPLE_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
SAFE_HEADERS = {"accept", "accept-language", "content-language", "content-type"}


def needs_preflight(method: str, headers: dict[str, str]) -> bool:
    if method not in SIMPLE_METHODS:
        return True
    for name, value in headers.items():
        low = name.lower()
        if low not in SAFE_HEADERS:
            return True
        if low == "content-type" and not value.lower().startswith(SIMPLE_TYPES):
            return True
    return False


def _allows(answer, origin: str) -> bool:
    return answer.headers.get("access-control-allow-origin", "").strip() in ("*", origin)


def _credentialed(answer, origin: str) -> bool:
    """A browser lets a page read a credentialed response only for its exact Origin (never `*`)
    with `Access-Control-Allow-Credentials: true`."""
    return (answer.headers.get("access-control-allow-origin", "").strip() == origin
            and answer.headers.get("access-control-allow-credentials", "").strip().lower() == "true")


def _grants(pre, origin: str, method: str, custom: list[str]) -> bool:
    """A browser's preflight check: 2xx, the Origin allowed, the method and every header asked for
    granted (`*` counts: no credentials are sent)."""
    def listed(name: str) -> set[str]:
        return {v.strip().lower() for v in pre.headers.get(name, "").split(",") if v.strip()}

    methods, allowed = listed("access-control-allow-methods"), listed("access-control-allow-headers")
    return (200 <= pre.status < 300 and _allows(pre, origin)
            and (method in SIMPLE_METHODS or "*" in methods or method.lower() in methods)
            and ("*" in allowed or all(h in allowed for h in custom)))


@register("http.cors.permissive")
async def http_cors_permissive(run, params: CorsParams) -> Outcome:
    req, state, base_exchange = await privileged(run, params)
    stop = unless_open(run, req, state, refused="is refused without credentials: a page has nothing to read")
    if stop is not None:
        return stop
    headers = {**req.headers}
    if req.json_body is not None:
        headers.setdefault("Content-Type", "application/json")
    exchanges = [base_exchange] if base_exchange else []
    verdicts = []
    # An attacker site first; then `null`, the Origin of a sandboxed iframe on any page.
    for origin in (f"{run.scheme}://{random_token('gatescan')}.attacker.invalid", "null"):
        outcome = await _one_origin(run, req, headers, origin, exchanges)
        if outcome.status is CheckStatus.FINDING or outcome.status is CheckStatus.INCONCLUSIVE:
            return outcome
        verdicts.append(outcome.reason)
    return Outcome.passed("; ".join(verdicts))


async def _one_origin(run, req, headers: dict[str, str], origin: str, exchanges: list) -> Outcome:
    pre = None
    if needs_preflight(req.method, headers):
        custom = sorted(h.lower() for h in headers if h.lower() not in SAFE_HEADERS or h.lower() == "content-type")
        pre = await run.http("OPTIONS", req.path, headers={
            "Origin": origin, "Access-Control-Request-Method": req.method,
            "Access-Control-Request-Headers": ", ".join(custom)}, note="CORS preflight")
        if pre.status is None or pre.error:
            return Outcome.inconclusive(f"the preflight from {origin} got no answer ({pre.error})")
        if not _grants(pre, origin, req.method, custom):
            return Outcome.passed(f"the preflight from {origin} is not granted (HTTP {pre.status})")
        exchanges = exchanges + [pre.exchange]
    answer = await run.http(req.method, req.path, headers={**headers, "Origin": origin},
                            json_body=req.json_body, stop=req.stop, note="from a foreign Origin")
    if answer.status is None or answer.error:
        return Outcome.inconclusive(f"the request from {origin} got no answer ({answer.error})")
    acao = answer.headers.get("access-control-allow-origin")
    if req.classify(answer) is Access.OPEN and _allows(answer, origin):
        how = "`*`" if acao.strip() == "*" else "the page's own Origin reflected back"
        credentialed = _credentialed(answer, origin) and (pre is None or _credentialed(pre, origin))
        if credentialed:
            reads = ("and Access-Control-Allow-Credentials: true: any web page the user visits can send "
                     "the user's cookies and credentials with its request and read the authenticated answer.")
        else:
            reads = ("and no Access-Control-Allow-Credentials: true, so a browser sends no cookies with the "
                     "page's request: any web page the user visits can read the answers that need no "
                     "cookie or credential, like this one.")
        return Outcome.finding(
            f"{req.describe()} from Origin {origin} answered with Access-Control-Allow-Origin {acao}"
            + (" and Access-Control-Allow-Credentials true" if credentialed else ""),
            f"{req.describe()} from the foreign Origin {origin} was answered as without one, with "
            f"Access-Control-Allow-Origin {how} {reads}",
            exchanges + [answer.exchange], target=run.base_url + req.path,
            data={"uncredentialed": not credentialed},
        )
    if acao:
        return Outcome.passed(f"{origin} got HTTP {answer.status} with Access-Control-Allow-Origin "
                              f"{acao[:60]!r}: the page cannot read it")
    return Outcome.passed(f"no Access-Control-Allow-Origin for {origin} (HTTP {answer.status})")
