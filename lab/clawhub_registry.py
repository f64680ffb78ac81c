"""A ClawHub registry on loopback for `gatescan skills --registry` tests: the two endpoints the
skills audit calls, answering as ClawHub's HTTP API documents them (openclaw/clawhub
docs/http-api.md):

- `GET /api/v1/resolve?slug=&hash=[&ownerHandle=]`: `slug` and `hash` (the 64-hex bundle
  fingerprint) are required; the answer is `{slug, match: {version} | null, latestVersion:
  {version} | null}`; an unknown slug is a 404.
- `POST /api/v1/skills/-/security-verdicts` with `{"items": [{slug, version, ownerHandle?}]}`:
  1-100 unique `{slug, version}` pairs, else 400; one answer per item
  (`clawhub.skill.security-verdicts.v1`: `ok`, `decision` pass|fail, `reasons`,
  `requestedSlug`, `requestedVersion`, `publisherHandle`, `securityAuditUrl`,
  `security {status clean|suspicious|malicious, passed}`); a missing skill or version is an
  item with `error`, not a failed answer.
- Errors are plain text; a rate-limited request is a 429 with `Retry-After` (published limit
  3,000 reads a minute per IP). `throttle` answers the next N requests that way.

No SERVICES: this is a test peer for the audit, not a product the scan identifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SCHEMA = "clawhub.skill.security-verdicts.v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass
class Published:
    """One published skill version: its fingerprint and the verdict ClawHub holds for it."""

    slug: str
    owner: str
    version: str
    fingerprint: str
    status: str = "clean"  # clean | suspicious | malicious
    reasons: tuple[str, ...] = ()


@dataclass
class LabRegistry:
    published: list[Published] = field(default_factory=list)
    throttle: int = 0  # answer the next N requests with 429
    retry_after: str = "0"
    requests: list[tuple[str, str, Any]] = field(default_factory=list)  # (method, path, query or body)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get("/api/v1/resolve", self.resolve)
        app.router.add_post("/api/v1/skills/-/security-verdicts", self.verdicts)
        return app

    def _limited(self) -> web.Response | None:
        if self.throttle > 0:
            self.throttle -= 1
            return web.Response(status=429, text="Rate limit exceeded", headers={"Retry-After": self.retry_after})
        return None

    async def resolve(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", request.path, dict(request.query)))
        limited = self._limited()
        if limited is not None:
            return limited
        slug, digest = request.query.get("slug", ""), request.query.get("hash", "")
        owner = request.query.get("ownerHandle")
        if not slug or not _HEX64.fullmatch(digest):
            return web.Response(status=400, text="slug and a 64-hex hash are required")
        versions = [p for p in self.published if p.slug == slug and (not owner or p.owner == owner)]
        if not versions:
            return web.Response(status=404, text="Skill not found")
        match = next((p for p in versions if p.fingerprint == digest), None)
        return web.json_response({
            "slug": slug,
            "match": {"version": match.version} if match else None,
            "latestVersion": {"version": versions[-1].version},
        })

    async def verdicts(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="Invalid JSON")
        self.requests.append(("POST", request.path, body))
        limited = self._limited()
        if limited is not None:
            return limited
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= 100:
            return web.Response(status=400, text="items must hold 1-100 entries")
        pairs = [(i.get("slug"), i.get("version")) for i in items if isinstance(i, dict)]
        if len(pairs) != len(items) or len(set(pairs)) != len(pairs):
            return web.Response(status=400, text="items must be unique {slug, version} pairs")
        out = []
        for item in items:
            slug, version, owner = item.get("slug"), item.get("version"), item.get("ownerHandle")
            found = next((p for p in self.published if p.slug == slug and p.version == version
                          and (not owner or p.owner == owner)), None)
            if found is None:
                out.append({"ok": False, "decision": "fail", "reasons": ["version.not_found"],
                            "requestedSlug": slug, "requestedVersion": version,
                            "error": {"code": "version_not_found", "message": "Version not found"},
                            "security": None})
                continue
            clean = found.status == "clean"
            out.append({
                "ok": clean, "decision": "pass" if clean else "fail",
                "reasons": list(found.reasons) or ([] if clean else [f"security.{found.status}"]),
                "requestedSlug": slug, "requestedVersion": version, "slug": slug, "version": version,
                "publisherHandle": found.owner,
                "securityAuditUrl": f"https://clawhub.ai/{found.owner}/skills/{slug}/security-audit?version={version}",
                "security": {"status": found.status, "passed": clean,
                             "signals": {"staticScan": {"status": found.status, "reasonCodes": []}}},
            })
        return web.json_response({"schema": SCHEMA, "items": out})


async def start(registry: LabRegistry, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
    """Serve `registry`; returns the runner (await runner.cleanup()) and the base URL."""
    runner = web.AppRunner(registry.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0]
    return runner, f"http://{bound[0]}:{bound[1]}"
