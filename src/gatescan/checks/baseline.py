"""The privileged request at the real host, with no credentials: the baseline that the
rebinding and CORS checks replay. Reuses what auth.missing already learnt (no extra probe).
"""

from __future__ import annotations

from dataclasses import replace

from ..catalog import AuthMissingParams, RequestParams
from ..model import Access
from . import spec as specs
from .registry import Outcome


def _specs(run, params: RequestParams):
    """(own, auth.missing's): the check's own request spec and the one it falls back on."""
    auth_params = run.params.get("auth.missing") or AuthMissingParams()
    merged = params
    if params.request is not None and params.open is None:
        # a replay of auth.missing's request without its own match rules borrows them
        merged = replace(params, open=auth_params.open,
                         closed=params.closed if params.closed is not None else auth_params.closed)
    era = run.attribute("mcp_era")
    return specs.from_params(merged, mcp_era=era), specs.from_params(auth_params, mcp_era=era)


def request_spec(run, params: RequestParams):
    """The privileged request a replaying check sends (the browser proof sends it again)."""
    own, theirs = _specs(run, params)
    return own or theirs


async def privileged(run, params: RequestParams):
    """(spec, access, exchange): the request to replay, whether it got in without credentials, its proof."""
    own, theirs = _specs(run, params)
    req = own or theirs
    if req is None:
        return None, Access.UNDECIDED, None
    same = own is None or (theirs is not None and (own.method, own.path.split("gatescan-probe")[0])
                           == (theirs.method, theirs.path.split("gatescan-probe")[0]))
    done = run.results.get("auth.missing")
    if same and done is not None and isinstance(done.data.get("auth"), Access):
        return req, done.data["auth"], (done.exchanges[0] if done.exchanges else None)
    answer = await run.http(req.method, req.path, headers=req.headers, json_body=req.json_body,
                            stop=req.stop, note="baseline: real host, no credentials")
    return req, req.classify(answer), answer.exchange


def unless_open(run, req, state: Access, *, refused: str) -> Outcome | None:
    """The outcome that ends a replaying check when the baseline is not open, else None.

    `refused` follows the request's description when authentication refused the baseline.
    """
    if req is None:
        return Outcome.not_applicable("the fingerprint names no privileged HTTP request for this product")
    if state is Access.CLOSED:
        return Outcome.not_applicable(f"{req.describe()} {refused}")
    if state is not Access.OPEN:
        why = run.results["auth.missing"].reason if "auth.missing" in run.results else "no clear answer"
        return Outcome.inconclusive(f"the baseline {req.describe()} gave no clear answer ({why})")
    return None
