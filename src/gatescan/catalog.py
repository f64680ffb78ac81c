"""What each stable check id means, in one sentence, for SARIF rules and the HTML legend.

Mirrors DESIGN.md's check-id table; an id missing here (a new config.* or skill.rule.*)
falls back to a generic description built from the id and the finding's title.
"""

from __future__ import annotations

CHECKS: dict[str, str] = {
    "auth.missing": "A privileged, read-only request succeeds with no credentials.",
    "ws.origin.unchecked": "A WebSocket (and the product's application-level connect) is accepted from a foreign Origin, "
                           "so any web page the user visits can drive the service.",
    "http.cors.permissive": "A privileged HTTP API answers a foreign Origin with CORS headers that let a page read it.",
    "http.host.unchecked": "The privileged request also succeeds when sent as a browser on a rebinding name sends it, "
                           "so DNS rebinding reaches the service from a web page.",
    "auth.ratelimit.missing": "Repeated wrong credentials are never throttled.",
    "version.vulnerable": "The identified version falls in a known advisory's range.",
    "exposure.network": "An agent service answers on a non-loopback address.",
    "tls.missing": "A non-loopback agent service speaks plaintext.",
    "config.auth.none": "The agent's configuration turns authentication off.",
    "config.origins.wildcard": "The configuration allows every browser Origin.",
    "config.origins.host-fallback": "The configuration accepts the request's own Host header as an allowed Origin.",
    "config.tailscale.funnel": "Tailscale Funnel publishes the agent to the internet.",
    "config.tailscale.serve": "Tailscale Serve lets the whole tailnet reach a gateway whose auth is none.",
    "config.proxies.wide": "The trusted-proxy list is wide enough that anyone can claim to be a proxy.",
    "config.secrets.readable": "A file holding the agent's secrets is readable by other users.",
    "ide.auth.missing": "A Claude Code IDE lock file has no auth token.",
    "skill.unlisted": "An installed skill is not on the allowlist.",
    "skill.modified": "An installed skill's files no longer match a hash recorded at install (origin.json, lock) "
                      "or in the allowlist.",
    "skill.known-malicious": "An installed skill matches a known-malicious skill.",
    "skill.manifest.invalid": "A skill's manifest cannot be parsed or lacks required fields.",
    "skill.manifest.conflict": "A skill's manifest aliases disagree with each other.",
    "skill.shadowed": "A skill never runs: the agent loads another skill of the same name first.",
    "skill.symlink.escape": "A symlink under a skills root points outside it (or a SKILL.md outside its folder).",
}


def describe(check: str, fallback: str = "") -> str:
    if check in CHECKS:
        return CHECKS[check]
    if check.startswith("skill.rule."):
        return f"A skill matches the static rule {check[len('skill.rule.'):]}" + (f": {fallback}" if fallback else ".")
    return fallback or check
