"""The check catalogue: one entry per stable check id (docs/architecture.md, Check ids) with its title,
description, remediation, references and severity policy, so findings, SARIF rules and docs agree.

It sits at the bottom next to model.py (it imports nothing of the engine): the check registry,
the skills audit and the renderers read it; `skill.rule.<rule-id>` entries follow one template.
The network checks this build runs declare their fingerprint parameters here, once, as frozen
dataclasses: the fingerprint loader validates `checks:` against them (gatescan.typed) and the
checks receive them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Iterable, Literal, Mapping

from annotated_types import Interval  # pydantic's own constraint type (pydantic validates it)

from .model import Severity
from .typed import STRICT

# ---------------------------------------------------------------- check parameters


def _rule() -> Any:
    """A match rule in the matcher language (identify/matcher.py); validated when the fingerprint
    loads, like identification matchers."""
    return field(default=None, metadata={"rule": True})


@dataclass(frozen=True)
class HttpRequest:
    """The product's privileged, read-only request; `{random}` in the path or JSON becomes a
    fresh random name per probe."""

    __pydantic_config__ = STRICT

    path: str
    method: Literal["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"] = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None


@dataclass(frozen=True)
class PathFrom:
    """A WebSocket path published in a JSON document (CDP's /json/version webSocketDebuggerUrl)."""

    __pydantic_config__ = STRICT

    path: str = "/json/version"
    json_key: str = "webSocketDebuggerUrl"


@dataclass(frozen=True)
class CheckParams:
    """What every check takes: the product's own fix and references, and the identified
    variants (attributes.variant) it applies to or changes for."""

    __pydantic_config__ = STRICT  # how a fingerprint's `checks:` entry is read (gatescan.typed)

    remediation: str | None = None
    references: tuple[str, ...] = ()
    only_variants: tuple[str, ...] | None = None
    by_variant: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # variant -> overrides

    def for_variant(self, variant: str | None) -> "CheckParams":
        overrides = self.by_variant.get(variant) if variant else None
        return replace(self, **overrides) if overrides else self


@dataclass(frozen=True)
class RequestParams(CheckParams):
    """Checks that send (or replay) the product's privileged request (checks/spec.py)."""

    protocol: Literal["http", "mcp"] = "http"
    transport: Literal["streamable", "sse", "ws"] = "streamable"  # protocol: mcp
    path: str | None = None  # protocol: mcp (default /mcp, /sse for sse)
    request: HttpRequest | None = None
    open: Mapping[str, Any] | None = _rule()  # default {status: [200]}
    closed: Mapping[str, Any] | None = _rule()  # default {status: [401, 403]}


@dataclass(frozen=True)
class AuthMissingParams(RequestParams):
    protocol: Literal["http", "mcp", "ws", "a2a"] = "http"  # ws: an upgrade with no credential; a2a: protocols/a2a.py
    subprotocol: str | None = None  # ws; mcp over ws defaults to "mcp"
    proof: str | None = None  # why the open answer proves no authentication (said in the finding)


@dataclass(frozen=True)
class HostUncheckedParams(RequestParams):
    pass


@dataclass(frozen=True)
class CorsParams(RequestParams):
    pass


@dataclass(frozen=True)
class OriginParams(CheckParams):
    protocol: Literal["ws", "openclaw-connect"] = "ws"  # openclaw-connect: judge the connect request
    path: str | None = None
    path_from: PathFrom | None = None
    subprotocol: str | None = None
    confirm: Literal["mcp"] | None = None  # accepted means the MCP initialize is answered too


# ---- MCP tools (checks/mcp_tools.py): read from the tools/list auth.missing made, never sent again


@dataclass(frozen=True)
class ToolPoisonedParams(CheckParams):
    """mcp.tool.poisoned: the skill rule families (rules/) matched over each tool's name,
    description and input schema."""

    families: tuple[str, ...] = ("prompt-injection", "exfiltration", "hidden-unicode")


@dataclass(frozen=True)
class ToolsChangedParams(CheckParams):
    """mcp.tools.changed: the listed tool set is pinned (services[].mcp_tools, gatescan/toolpins.py)
    and compared with a baseline report's pins by `--baseline` and `report diff`."""


@dataclass(frozen=True)
class VersionParams(CheckParams):
    """version.vulnerable: the advisories are the fingerprint's own `advisories:` list."""


@dataclass(frozen=True)
class ExposureParams(CheckParams):
    """exposure.network and tls.missing judge where the service answered; nothing to send."""


@dataclass(frozen=True)
class RateLimitParams(CheckParams):
    """auth.ratelimit.missing (--intrusive only): `attempts` random wrong credentials in a burst.

    `openclaw-connect`: the gateway's connect with a wrong token (or password), sent with the
    target's own Origin so the browser-origin limiter (which exempts no loopback client) counts it."""

    protocol: Literal["openclaw-connect"] = "openclaw-connect"
    attempts: Annotated[int, Interval(ge=2, le=50)] = 20  # a short burst, never a brute force
    origin: Literal["own", "none"] = "own"


# ---------------------------------------------------------------- severity policy

# The product's impact class (its fingerprint's `impact:`): what driving it means, and the
# severity a network finding on it gets (issue 13, item 5).
IMPACT_CLASSES: dict[str, tuple[Severity, str]] = {
    "control": (Severity.CRITICAL, "runs commands, reads/writes files, drives a browser or sends messages"),
    "data": (Severity.HIGH, "reads or changes the user's data, flows or agents, without a shell of its own"),
    "inference": (Severity.MEDIUM, "model inference only (free compute, model listing)"),
}
DEFAULT_IMPACT = "data"  # a product without a fingerprint yet

# MCP tool names that mean the server can act on the machine (the tool names public MCP scanners such as mcp-enum flag): a
# `data` product whose tools look like these is driven as a `control` one.
RISKY_TOOL = re.compile(r"exec|shell|command|run|terminal|bash|eval|python|file|write|delete|"
                        r"browser|navigate|click|fetch|http|sql|query|send|email|message", re.I)


@dataclass(frozen=True)
class Wording:
    """A situation of one check that is worded (and possibly rated) apart from its default."""

    title: str
    remediation: str
    severity: Severity | None = None


@dataclass(frozen=True)
class CheckEntry:
    """Everything stable about one check id. `title` is a template: network titles take
    `{product}`, skill titles `{name}` (and what their cases name)."""

    id: str
    family: str  # network | config | skill
    title: str
    description: str  # one sentence: SARIF rule text, HTML legend, docs
    remediation: str  # the generic fix; fingerprints give a product's own
    references: tuple[str, ...] = ()
    severity: Severity | None = None  # fixed; None: the product's impact class decides
    lower_when_auth_enforced: bool = False  # the page still needs a credential it does not have
    lower_when: str | None = None  # a fact of the outcome (Outcome.data key) that, when true, lowers it a step
    lower_unless: str | None = None  # a fact that, unless true, lowers it a step
    lower_by: int = 0  # steps below the impact class's severity, always
    severity_from: str | None = None  # a fact holding the severity the check read (an advisory's, a rule's)
    cap_when: Mapping[str, Severity] = field(default_factory=dict)  # fact -> the most it may be
    intrusive: bool = False  # leaves a trace on the target: runs only with --intrusive
    order: int = 100  # run order among a product's checks (auth.missing feeds the others)
    cases: Mapping[str, Wording] = field(default_factory=dict)
    params: type[CheckParams] | None = None  # network checks this build runs: what a fingerprint gives

    def wording(self, case: str | None = None) -> Wording:
        if case is None:
            return Wording(self.title, self.remediation, self.severity)
        return self.cases[case]


def _network(check_id: str, title: str, description: str, remediation: str, *,
             references: tuple[str, ...] = (), order: int = 100, **kw) -> CheckEntry:
    return CheckEntry(check_id, "network", title, description, remediation, references, order=order, **kw)


def _config(check_id: str, title: str, description: str, remediation: str, severity: Severity) -> CheckEntry:
    return CheckEntry(check_id, "config", title, description, remediation, severity=severity)


SKILL_FORMAT = ("https://github.com/openclaw/clawhub/blob/main/docs/skill-format.md",)


def _skill(check_id: str, title: str, description: str, remediation: str, severity: Severity,
           **cases: Wording) -> CheckEntry:
    return CheckEntry(check_id, "skill", title, description, remediation, SKILL_FORMAT, severity=severity,
                      cases=cases)


_ENTRIES = [
    # ---- network (checks/): the product's impact class decides the severity
    _network(
        "auth.missing", "{product} answers privileged requests without authentication",
        "A privileged, read-only request succeeds with no credentials.",
        "Turn authentication on for this service and restart it.",
        references=("CWE-306",), order=10, params=AuthMissingParams,
    ),
    _network(
        "ws.origin.unchecked", "{product} accepts WebSocket connections from any web page (Origin not checked)",
        "A WebSocket (and the product's application-level connect) is accepted from a foreign Origin, "
        "so any web page the user visits can drive the service.",
        "Reject WebSocket upgrades whose Origin is not on an explicit allowlist.",
        references=("CWE-1385",), order=20, params=OriginParams, lower_when_auth_enforced=True,
    ),
    _network(
        "http.host.unchecked", "{product} answers requests for any Host name (reachable by DNS rebinding)",
        "The privileged request also succeeds when sent as a browser on a rebinding name sends it, "
        "so DNS rebinding reaches the service from a web page.",
        "Check the Host header against the names the service is meant to be reached by "
        "(loopback names only when bound to loopback), or turn authentication on.",
        references=("CWE-350",), order=30, params=HostUncheckedParams,
        lower_when="tls",  # a browser on the rebinding name stops at the certificate
    ),
    _network(
        "http.cors.permissive", "{product} lets any web page read its API (permissive CORS)",
        "A privileged HTTP API answers a foreign Origin with CORS headers that let a page read it.",
        "Send Access-Control-Allow-Origin only for an explicit list of trusted origins.",
        references=("CWE-942",), order=40, params=CorsParams, lower_when_auth_enforced=True,
        lower_when="uncredentialed",  # no Allow-Credentials: a page reads only what needs no cookie
    ),
    # advisories, exposure, rate limits (issue 19)
    _network(
        "version.vulnerable", "{product} runs a version with a known advisory",
        "The identified version (or the version band identification reports) falls in a known "
        "advisory's affected range.",
        "Upgrade to a version the advisory lists as fixed.",
        order=50, params=VersionParams, severity_from="severity",
    ),
    _network(
        "exposure.network", "{product} answers on a non-loopback address",
        "An agent service answers on a non-loopback address, so other machines can reach it; "
        "rated by the product's impact class when it also answers without authentication, a step "
        "lower when that is undecided and two when authentication is enforced.",
        "Bind the service to 127.0.0.1 (or ::1) unless other machines must reach it, and keep "
        "authentication on when they must.",
        references=("CWE-1327",), order=60, params=ExposureParams,
        lower_unless="auth_missing", lower_when_auth_enforced=True,
    ),
    _network(
        "tls.missing", "{product} speaks plaintext on a non-loopback address",
        "A non-loopback agent service speaks plaintext, so its traffic (tokens, prompts, files) "
        "can be read and changed on the way (a step below the product's impact class).",
        "Serve the service over TLS (or behind a TLS-terminating proxy), or keep it on loopback.",
        references=("CWE-319",), order=61, params=ExposureParams, lower_by=1,
    ),
    _network(
        "auth.ratelimit.missing", "{product} never throttles wrong credentials",
        "Repeated random wrong credentials are never throttled (only with --intrusive; it leaves "
        "failed-login entries; a step below the product's impact class, over loopback at most info, "
        "since products exempt loopback by design).",
        "Throttle or lock out repeated failed authentication attempts.",
        references=("CWE-307",), order=90, params=RateLimitParams, lower_by=1,
        cap_when={"loopback": Severity.INFO}, intrusive=True,
    ),
    _network(
        "mcp.tool.poisoned", "{product} offers tools whose definitions carry instructions to the model",
        "An MCP server's tool names, descriptions or schemas carry prompt injection, exfiltration "
        "instructions or hidden characters.",
        "Remove the server, or review its tool definitions before any agent uses it.",
        order=50, params=ToolPoisonedParams, severity_from="rule_severity",
    ),
    _network(
        "mcp.tools.changed", "{product} changed its tool definitions since the baseline",
        "An MCP server's tool definitions changed since the baseline (a rug pull).",
        "Review what changed before agents use the server again; pin the server's version.",
        order=60, params=ToolsChangedParams,
    ),
    # ---- local configuration (read from files by the local-mode audit, not built yet)
    _config("config.auth.none", "The agent's configuration turns authentication off",
            "The agent's configuration turns authentication off.",
            "Turn authentication on (a long random token or a password).", Severity.HIGH),
    _config("config.origins.wildcard", "The configuration allows every browser Origin",
            "The configuration allows every browser Origin.",
            "List the exact origins that need access instead of \"*\".", Severity.HIGH),
    _config("config.origins.host-fallback", "The configuration trusts the request's own Host as an Origin",
            "The configuration accepts the request's own Host header as an allowed Origin.",
            "Turn the Host-header Origin fallback off and list allowed origins explicitly.", Severity.HIGH),
    _config("config.tailscale.funnel", "Tailscale Funnel publishes the agent to the internet",
            "Tailscale Funnel publishes the agent to the internet.",
            "Turn Funnel off for the agent's port (tailscale funnel reset).", Severity.CRITICAL),
    _config("config.tailscale.serve", "Tailscale Serve exposes a gateway without authentication",
            "Tailscale Serve lets the whole tailnet reach a gateway whose auth is none.",
            "Turn the gateway's authentication on, or stop serving it to the tailnet.", Severity.HIGH),
    _config("config.proxies.wide", "The trusted-proxy list lets anyone claim to be a proxy",
            "The trusted-proxy list is wide enough that anyone can claim to be a proxy.",
            "List only the exact addresses of the proxies in front of the agent.", Severity.MEDIUM),
    _config("config.secrets.readable", "A file holding the agent's secrets is readable by other users",
            "A file holding the agent's secrets is readable by other users.",
            "Restrict the file to its owner (chmod 600) and rotate the secrets it held.", Severity.HIGH),
    # ---- local configuration added by `gatescan local` (local/*.py; listed in the README)
    _config("config.mdns.full", "The agent advertises its CLI path and SSH port on the LAN (mDNS full mode)",
            "The agent's mDNS beacon runs in full mode: every LAN neighbour learns the CLI path (the user name) "
            "and the SSH port.",
            "Set the mDNS mode to minimal, or off where nothing needs discovery.", Severity.MEDIUM),
    _config("config.hooks.token-reuse", "The webhook token is the gateway's operator token",
            "The hook token equals the gateway token, so a leaked webhook secret is the operator credential.",
            "Give hooks their own long random token and rotate both.", Severity.HIGH),
    _config("config.hooks.remote-code", "An agent hook downloads and runs code",
            "A Claude Code hook (settings or a plugin) pipes a download into a shell or interpreter, so whoever "
            "controls that URL runs code at every session.",
            "Remove the hook, or replace it with a reviewed local script.", Severity.HIGH),
    _config("config.hooks.suspicious", "An agent hook or helper command matches a malicious-skill rule",
            "A command Claude Code runs by itself (a hook, statusLine.command, apiKeyHelper) matches a static "
            "rule for malicious skills at high or above (credential reads, exfiltration, reverse shells); "
            "rated as that rule.",
            "Remove the command unless you wrote it and know what it sends where.", Severity.HIGH),
    _config("config.env.injection", "The agent's settings inject code into every process it starts",
            "An env entry of the agent's settings (NODE_OPTIONS, LD_PRELOAD, BASH_ENV ...) loads code into every "
            "process the agent starts.",
            "Remove the env entry unless you put it there and know what it loads.", Severity.HIGH),
    _config("config.env.base-url", "The agent's model API goes to a foreign endpoint",
            "An env entry points the model API (ANTHROPIC_BASE_URL) to a host that is neither the vendor's nor "
            "this machine: it reads every prompt, file and tool result.",
            "Remove the base URL override unless the endpoint is yours.", Severity.HIGH),
    _config("config.mcp.auto-approve", "Every project's MCP servers start without asking",
            "enableAllProjectMcpServers is on: a cloned repository's .mcp.json starts its servers unasked.",
            "Turn enableAllProjectMcpServers off and approve project servers one by one.", Severity.MEDIUM),
    _config("config.permissions.bypass", "The agent runs every tool without a permission prompt",
            "The default permission mode is bypassPermissions: every tool call runs without a prompt.",
            "Set the default permission mode back to default (or acceptEdits).", Severity.HIGH),
    _config("mcp.launcher.unpinned", "An MCP server is launched without a pinned version",
            "An MCP client starts a server with a launcher (npx -y, uvx) and no version, so whatever the registry "
            "serves at the next start runs with the user's rights.",
            "Pin the package to a reviewed version (pkg@1.2.3, pkg==1.2.3).", Severity.MEDIUM),
    _config("mcp.package.known-bad", "An MCP client launches a known-bad package",
            "An MCP client config launches a package on gatescan's known-bad list (rules/local/mcp-packages.yaml).",
            "Remove the server entry, then rotate what the server could read.", Severity.CRITICAL),
    _config("ide.auth.missing", "A Claude Code IDE lock file has no auth token",
            "A Claude Code IDE lock file has no auth token.",
            "Update the IDE integration (VS Code extension 1.0.24+, JetBrains plugin 0.1.9+).", Severity.HIGH),
    # ---- skills (skills/audit.py); severities: docs/skills.md
    _skill("skill.unlisted", "Skill not on the allowlist: {name}",
           "An installed skill is not on the allowlist.",
           "Review the skill and add it to the allowlist, or remove it.", Severity.MEDIUM),
    _skill("skill.modified", "Skill changed after install: {name}",
           "An installed skill's files no longer match a hash recorded at install (origin.json, lock) "
           "or in the allowlist.",
           "Compare the files with the published version (clawhub inspect / "
           "openclaw skills verify) and reinstall it if the change is not yours.", Severity.HIGH,
           approved_copy=Wording("Skill differs from its approved copy: {name}",
                                 "Review the changed files; re-approve (gatescan allowlist init) only if "
                                 "the change is intended, otherwise reinstall the approved version.")),
    _skill("skill.known-malicious", "Known malicious skill installed: {name}",
           "An installed skill matches a known-malicious skill.",
           "Remove the skill now, then rotate every credential the agent could "
           "read (API keys, ~/.openclaw/openclaw.json, SSH keys, browser sessions).", Severity.CRITICAL),
    _skill("skill.manifest.invalid", "Skill manifest cannot be read as written: {name}",
           "A skill's manifest cannot be parsed or lacks required fields.",
           "Fix the SKILL.md frontmatter (a '---' block of YAML with name and "
           "description); agents skip or misread a skill whose manifest does not parse.", Severity.LOW),
    _skill("skill.manifest.conflict", "Manifest blocks disagree: {name}",
           "A skill's manifest aliases disagree with each other.",
           "Keep one manifest block (metadata.openclaw); a skill that shows the "
           "registry one set of requirements and the runtime another is hiding something.", Severity.MEDIUM),
    _skill("skill.shadowed", "Skill hidden by another with the same name: {name}",
           "A skill never runs: the agent loads another skill of the same name first.",
           "Rename or remove one of the two; the agent runs only the higher-precedence copy.", Severity.LOW,
           # an approved skill hidden behind an unapproved one
           hijack=Wording("Skill hidden by another with the same name: {name}",
                          "Rename or remove one of the two; the agent runs only the higher-precedence copy, "
                          "which here is not the approved one.", Severity.MEDIUM)),
    _skill("skill.symlink.escape", "Symlink leaves {outside}: {name}",
           "A symlink under a skills root points outside it (or a SKILL.md outside its folder).",
           "Replace the link with the files it points to, or remove it; an agent "
           "that follows it reads (and may run) files nobody audited.", Severity.MEDIUM),
]

CATALOGUE: Mapping[str, CheckEntry] = {e.id: e for e in _ENTRIES}

SKILL_RULE_PREFIX = "skill.rule."
# `skill.rule.<rule-id>`: one per static rule; the rule's own data (rules/) words and rates it.
SKILL_RULE = CheckEntry(
    SKILL_RULE_PREFIX + "<rule-id>", "skill", "Skill matches a static rule: {name}",
    "A skill matches a static rule for malicious skills.",
    "Review the flagged file; remove the skill unless the match is benign.", SKILL_FORMAT,
)


def get(check_id: str) -> CheckEntry:
    """The entry for `check_id` (a `skill.rule.*` id gets the rule template); KeyError if none."""
    if check_id in CATALOGUE:
        return CATALOGUE[check_id]
    rule = check_id[len(SKILL_RULE_PREFIX):] if check_id.startswith(SKILL_RULE_PREFIX) else ""
    if rule:
        return replace(SKILL_RULE, id=check_id, description=f"A skill matches the static rule {rule}.")
    raise KeyError(check_id)


def describe(check: str, fallback: str = "") -> str:
    """One sentence for SARIF rules and the HTML legend; `fallback` (a finding's title) says
    more for a rule match and stands in for an id this build does not know (a newer report)."""
    if check in CATALOGUE:
        return CATALOGUE[check].description
    if check.startswith(SKILL_RULE_PREFIX):
        return f"A skill matches the static rule {check[len(SKILL_RULE_PREFIX):]}" + (f": {fallback}" if fallback else ".")
    return fallback or check


def impact_class(impact: str | None, tools: Iterable[str] | None = None) -> str:
    """The class a finding is rated by: the product's, raised to `control` for a `data` product
    whose (MCP) tools look like shell, file, browser, fetch, SQL or messaging ones."""
    cls = impact if impact in IMPACT_CLASSES else DEFAULT_IMPACT
    if cls == "data" and tools and any(RISKY_TOOL.search(t) for t in tools):
        cls = "control"
    return cls


def severity(check_id: str, impact: str | None = None, *, tools: Iterable[str] | None = None,
             auth_enforced: bool = False, facts: Mapping[str, Any] | None = None) -> Severity:
    """A finding's severity under its check's policy (docs/architecture.md; docs/checks.md, Severity);
    `facts` are the outcome's (Outcome.data) that `lower_when` names."""
    entry = get(check_id)
    facts = facts or {}
    if entry.severity_from and facts.get(entry.severity_from):
        read = facts[entry.severity_from]  # an advisory's severity, the worst matching rule's
        sev = read if isinstance(read, Severity) else Severity.parse(str(read))
    elif entry.severity is not None:
        sev = entry.severity
    else:
        sev = IMPACT_CLASSES[impact_class(impact, tools)][0]
    steps = entry.lower_by + int(auth_enforced and entry.lower_when_auth_enforced)
    steps += int(bool(entry.lower_when and facts.get(entry.lower_when)))
    steps += int(bool(entry.lower_unless and not facts.get(entry.lower_unless)))
    sev = list(Severity)[max(sev.rank - steps, 0)]
    for fact, cap in entry.cap_when.items():
        if facts.get(fact) and sev.rank > cap.rank:
            sev = cap
    return sev


def impact_table(products: Mapping[str, str]) -> list[dict]:
    """Rows for docs/checks.md: class, severity, meaning, and the products (id -> class) in it."""
    return [{"class": cls, "severity": sev.value, "meaning": meaning,
             "products": sorted(p for p, c in products.items() if c == cls)}
            for cls, (sev, meaning) in IMPACT_CLASSES.items()]
