"""Runs a product's checks on one identified service and turns outcomes into findings.

The pipeline calls `run_checks(service, fingerprint, client)`: it runs only the check ids the
fingerprint names (with the typed parameters validated when it loaded), records one CheckResult per check on
`service.checks`, and returns the findings. A hostile service costs its deadline, never a crash.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from ..model import Access, CheckResult, CheckStatus, Exchange, Finding, FindingEvidence, Service
from .. import catalog
from ..identify import fingerprints as fpmod
from ..net.client import Client
from ..net.http import HttpResult
from ..net.redact import redact_text, redact_url
from .registry import Outcome, ordered

log = logging.getLogger(__name__)


@dataclass
class ServiceRun:
    """One service's check run: where it is, its parameters, and what earlier checks learnt."""

    service: Service
    params: dict[str, catalog.CheckParams]  # check id -> parameters, from the fingerprint
    client: Client
    fingerprint_impact: str | None = None
    results: dict[str, Outcome] = field(default_factory=dict)
    fingerprint: Any = None  # the product's Fingerprint (advisories, version scheme), when loaded
    intrusive: bool = False  # --intrusive: checks that leave a trace on the target may run
    embed: fpmod.Embed | None = None  # checks of an embedded surface (fingerprint `embeds:`)

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

    async def http(self, method: str, path: str, **kw: Any) -> HttpResult:
        return await self.client.http(method, self.base_url + path, **kw)

    def attribute(self, name: str) -> str | None:
        """An attribute identification recorded (attributes.<name>), e.g. mcp_era."""
        attrs = self.service.extra.get("attributes") if isinstance(self.service.extra, dict) else None
        value = attrs.get(name) if isinstance(attrs, dict) else None
        return value if isinstance(value, str) else None

    def auth_state(self) -> Access | None:
        """Whether auth.missing got in without credentials this run, else None."""
        done = self.results.get("auth.missing")
        return done.data.get("auth") if done else None


def fingerprint_checks(fingerprint: Any) -> dict[str, catalog.CheckParams]:
    """The typed `checks:` of a loaded Fingerprint, or of a bare mapping `{"checks": ...}` (tests,
    tools), which is validated the same way (FingerprintError for an unknown id or parameter)."""
    if isinstance(fingerprint, fpmod.Fingerprint):
        return dict(fingerprint.checks)
    raw = fingerprint.get("checks") if isinstance(fingerprint, dict) else None
    if isinstance(raw, list):  # a plain list of ids: no parameters
        raw = {str(i): None for i in raw}
    return fpmod.parse_checks(raw if isinstance(raw, dict) else None)


def _field(fingerprint: Any, name: str) -> Any:
    return fingerprint.get(name) if isinstance(fingerprint, dict) else getattr(fingerprint, name, None)


def _impact(fingerprint: Any, product: str) -> str | None:
    """The fingerprint's impact class; a bare `checks:` mapping (tests, tools) takes the shipped
    fingerprint's of the same product, and a product without one counts as `data`."""
    value = _field(fingerprint, "impact")
    if value is None:
        try:
            value = fpmod.get(product).impact
        except KeyError:
            pass
    return value


def _loaded(fingerprint: Any, product: str) -> fpmod.Fingerprint | None:
    """The loaded Fingerprint; a bare `checks:` mapping (tests, tools) takes the shipped one's."""
    if isinstance(fingerprint, fpmod.Fingerprint):
        return fingerprint
    try:
        return fpmod.get(product)
    except KeyError:
        return None


def for_variant(params: dict[str, catalog.CheckParams], variant: str | None) -> dict[str, catalog.CheckParams]:
    """Apply `by_variant` overrides for the variant identification recorded (e.g. the MCP
    transport that answered)."""
    return {check_id: p.for_variant(variant) for check_id, p in params.items()}


def _variant(service: Service) -> str | None:
    attrs = service.extra.get("attributes") if isinstance(service.extra, dict) else None
    value = attrs.get("variant") if isinstance(attrs, dict) else None
    return value if isinstance(value, str) else None


# (run, check id, parameters, outcome) -> the finding's evidence.browser, or None (checks/browser.py)
Proof = Callable[["ServiceRun", str, catalog.CheckParams, Outcome], Awaitable[dict[str, Any] | None]]


async def run_checks(service: Service, fingerprint: Any, client: Client, *, intrusive: bool = False,
                     proof: Proof | None = None) -> list[Finding]:
    """Run the fingerprint's checks on `service`, then those of each embedded surface it recorded
    (attributes.embedded); append CheckResults; return the findings.

    Pass `client.scope()` to count this service's probes apart. Checks the catalogue marks
    intrusive (they leave failed-login entries) run only with `intrusive`. `proof` (--browser-proof)
    adds a real browser's attempt to each finding it proves, outside the per-service deadline (it
    has its own)."""
    variant = _variant(service)
    params = for_variant(fingerprint_checks(fingerprint), variant)
    surfaces = embedded_checks(service, fingerprint)
    if not ordered(params) and not surfaces:
        return []
    impact = _impact(fingerprint, service.product)
    limit = client.limits.service_deadline
    deadline = asyncio.get_running_loop().time() + limit  # one budget for the product and its surfaces
    run = ServiceRun(service, params, client, fingerprint_impact=impact,
                     fingerprint=_loaded(fingerprint, service.product), intrusive=intrusive)
    findings = await _run_set(run, variant, deadline, proof)
    for embed, surface_params in surfaces:
        # no fingerprint: the product's advisories are not the embedded protocol's
        surface = ServiceRun(service, surface_params, client, fingerprint_impact=impact, embed=embed,
                             intrusive=intrusive)
        findings += await _run_set(surface, embed.variant, deadline, proof)
    return findings


def embedded_checks(service: Service, fingerprint: Any) -> list[tuple[fpmod.Embed, dict[str, catalog.CheckParams]]]:
    """Each surface identification recorded (attributes.embedded) with the checks it gets: its
    `checks_from` fingerprint's, for its variant and retargeted to its path and transport, and
    its own `checks` over those."""
    attrs = service.extra.get("attributes") if isinstance(service.extra, dict) else None
    recorded = attrs.get("embedded") if isinstance(attrs, dict) else None
    if not isinstance(fingerprint, fpmod.Fingerprint) or not isinstance(recorded, list):
        return []
    seen = {(s.get("protocol"), s.get("path")) for s in recorded if isinstance(s, dict)}
    out = []
    for embed in fingerprint.embeds:
        if (embed.protocol, embed.path) not in seen:
            continue
        params: dict[str, catalog.CheckParams] = {}
        if embed.checks_from:
            base = for_variant(dict(fpmod.get(embed.checks_from).checks), embed.variant)
            params = {check_id: _retarget(p, embed) for check_id, p in base.items()}
        params.update(embed.checks)
        out.append((embed, params))
    return out


def _retarget(params: catalog.CheckParams, embed: fpmod.Embed) -> catalog.CheckParams:
    """A protocol fingerprint's check parameters pointed at the embedded surface."""
    names = {f.name for f in dataclasses.fields(params)}
    changes: dict[str, Any] = {}
    if "path" in names:
        changes["path"] = embed.path
    if "transport" in names and embed.transport in ("streamable", "sse", "ws"):
        changes["transport"] = embed.transport
    return dataclasses.replace(params, **changes) if changes else params


async def _run_set(run: ServiceRun, variant: str | None, deadline: float, proof: Proof | None = None) -> list[Finding]:
    """Run `run.params` in catalogue order under the shared deadline; record and judge each."""
    service, params = run.service, run.params
    loop = asyncio.get_running_loop()
    limit = run.client.limits.service_deadline
    surface = {"protocol": run.embed.protocol, "name": run.embed.name, "path": run.embed.path} if run.embed else None
    findings: list[Finding] = []
    for check in ordered(params):
        remaining = deadline - loop.time()
        only = params[check.id].only_variants
        if only is not None and variant not in only:
            outcome = Outcome.not_applicable(f"this check applies only to {', '.join(map(str, only))} "
                                             f"(this service: {variant or 'unknown variant'})")
        elif check.entry.intrusive and not run.intrusive:
            outcome = Outcome.not_applicable("not run: it leaves a trace on the target (failed-login "
                                             "entries) and runs only with --intrusive")
        elif remaining <= 0:
            outcome = Outcome.inconclusive(f"the per-service deadline ({limit:g} s) "
                                           "ran out before this check")
        else:
            budget = asyncio.timeout(remaining)
            try:
                async with budget:
                    outcome = await check.fn(run, params[check.id])
            except TimeoutError:
                outcome = Outcome.inconclusive(
                    f"the per-service deadline ({limit:g} s) ran out during this check"
                    if budget.expired() else "the check timed out")
            except Exception as exc:  # noqa: BLE001 - one broken check must not stop the scan
                log.debug("check %s failed on %s:%s", check.id, service.host, service.port, exc_info=True)
                outcome = Outcome.inconclusive(f"the check failed: {type(exc).__name__}: {exc}"[:200])
        run.results[check.id] = outcome
        reason = redact_text(outcome.reason)
        if run.embed:
            reason = f"{run.embed.label}: {reason}"
        service.checks.append(CheckResult(check.id, outcome.status, reason,
                                          extra={"surface": surface} if surface else {}))
        if outcome.status is CheckStatus.FINDING:
            findings.append(_finding(run, check, params[check.id], outcome))
            if proof is not None:
                began = loop.time()
                findings[-1].evidence.browser = await proof(run, check.id, params[check.id], outcome)
                deadline += loop.time() - began  # the proof has its own deadline, not the checks' one
    return findings


def _finding(run: ServiceRun, check, params: catalog.CheckParams, outcome: Outcome) -> Finding:
    service = run.service
    product_name = service.product_name or service.product
    if run.embed:
        product_name = f"{product_name} ({run.embed.label})"
    tools = None
    for done in run.results.values():
        tools = tools or done.data.get("tools")
    sev = catalog.severity(check.id, run.fingerprint_impact,
                           tools=tools, auth_enforced=run.auth_state() is Access.CLOSED, facts=outcome.data)
    references: list[str] = []
    for ref in (*outcome.references, *params.references, *check.entry.references):
        if ref not in references:
            references.append(ref)
    return Finding(
        check=check.id,
        severity=sev,
        title=(outcome.title or check.entry.title).format(product=product_name),
        target=redact_url(outcome.target or run.base_url),
        host=service.host,
        port=service.port,
        product=service.product,
        evidence=FindingEvidence(
            summary=redact_text(outcome.summary or outcome.reason),
            exchanges=[Exchange(request=e["request"], response=e.get("response")) for e in outcome.exchanges],
        ),
        remediation=params.remediation or check.entry.remediation,
        references=references,
        vantage=service.vantage,
        extra={"surface": {"protocol": run.embed.protocol, "name": run.embed.name, "path": run.embed.path}}
        if run.embed else {},
    )
