"""Runs a product's checks on one identified service and turns outcomes into findings.

The pipeline calls `run_checks(service, fingerprint, ctx)`: it runs only the check ids the
fingerprint names (with the parameters given there), records one CheckResult per check on
`service.checks`, and returns the findings. A hostile service costs its deadline, never a crash.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from ..model import CheckResult, CheckStatus, Exchange, Finding, FindingEvidence, Service
from ..net.redact import redact_exchange, redact_text, redact_url
from . import impact
from .context import CheckContext
from .httpio import HttpAnswer, new_session, request
from .registry import Outcome, ordered

log = logging.getLogger(__name__)


@dataclass
class ServiceRun:
    """One service's check run: where it is, its parameters, and what earlier checks learnt."""

    service: Service
    params: dict[str, dict[str, Any]]  # check id -> parameters, from the fingerprint
    ctx: CheckContext
    session: Any
    fingerprint_impact: str | None = None
    results: dict[str, Outcome] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return self.service.host

    @property
    def port(self) -> int:
        return self.service.port

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{'https' if self.service.tls else 'http'}://{self.netloc}"

    @property
    def scheme(self) -> str:
        return "https" if self.service.tls else "http"

    def ws_url(self, path: str = "/") -> str:
        return f"{'wss' if self.service.tls else 'ws'}://{self.netloc}{path}"

    async def http(self, method: str, path: str, **kw: Any) -> HttpAnswer:
        return await request(self.session, self.ctx, method, self.base_url + path, **kw)

    async def send(self, method: str, url: str, **kw: Any) -> HttpAnswer:
        """The bounded exchange protocol clients are handed (protocols.mcp's `send`)."""
        return await request(self.session, self.ctx, method, url, **kw)

    def auth_state(self) -> str | None:
        """'none' / 'enforced' as auth.missing found it this run, else None."""
        done = self.results.get("auth.missing")
        return done.data.get("auth") if done else None


def fingerprint_checks(fingerprint: Any) -> dict[str, dict[str, Any]]:
    """The `checks:` mapping of a fingerprint (a dict or an object with `.checks`)."""
    raw = fingerprint.get("checks") if isinstance(fingerprint, dict) else getattr(fingerprint, "checks", None)
    if isinstance(raw, list):  # a plain list of ids: no parameters
        raw = {str(i): {} for i in raw}
    if not isinstance(raw, dict):
        return {}
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in raw.items()}


def _field(fingerprint: Any, name: str) -> Any:
    return fingerprint.get(name) if isinstance(fingerprint, dict) else getattr(fingerprint, name, None)


def for_variant(params: dict[str, dict[str, Any]], variant: str | None) -> dict[str, dict[str, Any]]:
    """Apply `by_variant` overrides for the variant identification recorded (e.g. the MCP
    transport that answered); drop the bookkeeping keys."""
    out = {}
    for check_id, p in params.items():
        p = dict(p)
        overrides = p.pop("by_variant", None) or {}
        if variant and isinstance(overrides.get(variant), dict):
            p.update(overrides[variant])
        out[check_id] = p
    return out


def _variant(service: Service) -> str | None:
    attrs = service.extra.get("attributes") if isinstance(service.extra, dict) else None
    value = attrs.get("variant") if isinstance(attrs, dict) else None
    return value if isinstance(value, str) else None


async def run_checks(service: Service, fingerprint: Any, ctx: CheckContext | None = None) -> list[Finding]:
    """Run the fingerprint's checks on `service`; append CheckResults; return the findings."""
    ctx = ctx or CheckContext()
    variant = _variant(service)
    params = for_variant(fingerprint_checks(fingerprint), variant)
    checks = ordered(params)
    unknown = sorted(set(params) - {c.id for c in checks})
    if unknown:
        log.debug("%s names checks this build does not have: %s", service.product, unknown)
    if not checks:
        return []
    shared, ctx = ctx, dataclasses.replace(ctx, probes=0)  # this service's own probe count
    own_session = ctx.session is None
    session = new_session(ctx) if own_session else ctx.session
    run = ServiceRun(service, params, ctx, session, fingerprint_impact=_field(fingerprint, "impact"))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctx.service_deadline
    findings: list[Finding] = []
    try:
        for check in checks:
            remaining = deadline - loop.time()
            only = params[check.id].get("only_variants")
            if isinstance(only, list) and variant not in only:
                outcome = Outcome.not_applicable(f"this check applies only to {', '.join(map(str, only))} "
                                                 f"(this service: {variant or 'unknown variant'})")
            elif remaining <= 0:
                outcome = Outcome.inconclusive(f"the per-service deadline ({ctx.service_deadline:g} s) "
                                               "ran out before this check")
            else:
                budget = asyncio.timeout(remaining)
                try:
                    async with budget:
                        outcome = await check.fn(run, params[check.id])
                except TimeoutError:
                    outcome = Outcome.inconclusive(
                        f"the per-service deadline ({ctx.service_deadline:g} s) ran out during this check"
                        if budget.expired() else "the check timed out")
                except Exception as exc:  # noqa: BLE001 - one broken check must not stop the scan
                    log.debug("check %s failed on %s:%s", check.id, service.host, service.port, exc_info=True)
                    outcome = Outcome.inconclusive(f"the check failed: {type(exc).__name__}: {exc}"[:200])
            run.results[check.id] = outcome
            service.checks.append(CheckResult(check.id, outcome.status, redact_text(outcome.reason)))
            if outcome.status is CheckStatus.FINDING:
                findings.append(_finding(run, check, params[check.id], outcome))
    finally:
        if own_session:
            await session.close()
        shared.probes += ctx.probes
        shared.last_probes = ctx.probes
    return findings


def _finding(run: ServiceRun, check, params: dict[str, Any], outcome: Outcome) -> Finding:
    service = run.service
    product_name = service.product_name or service.product
    tools = None
    for done in run.results.values():
        tools = tools or done.data.get("tools")
    sev = impact.severity(check.id, service.product, fingerprint_impact=run.fingerprint_impact,
                          tools=tools, auth_enforced=run.auth_state() == "enforced")
    references = list(params.get("references") or []) + [r for r in check.references
                                                         if r not in (params.get("references") or [])]
    return Finding(
        check=check.id,
        severity=sev,
        title=(outcome.title or check.title).format(product=product_name),
        target=redact_url(outcome.target or run.base_url),
        host=service.host,
        port=service.port,
        product=service.product,
        evidence=FindingEvidence(
            summary=redact_text(outcome.summary or outcome.reason),
            exchanges=[Exchange(request=e["request"], response=e.get("response"))
                       for e in map(redact_exchange, outcome.exchanges)],  # secrets never reach a report
        ),
        remediation=str(params.get("remediation") or check.remediation),
        references=references,
        vantage=service.vantage,
    )
