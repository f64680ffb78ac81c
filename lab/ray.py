"""Ray dashboard twins: the cluster dashboard and Jobs API on 8265 (ShadowRay).

Facts, checked on the real `ray[default]` 2.60.0 (pip, `ray.init(include_dashboard=True)` offline
in a private namespace):
- `GET /` is the dashboard SPA (`<title>Ray Dashboard</title>`) and needs no token, in every mode.
- 2.60.0 starts with token authentication on ("Token authentication is enabled for this Ray
  cluster. Set RAY_AUTH_MODE=disabled to opt out"); every API route then answers 401 text/plain
  `Unauthorized: Missing authentication token`, so the version is not visible without the token.
  Before 2.52.0 no authentication existed (GHSA-q279-jhrf-cc6v names 2.52.0's opt-in token auth).
- Without auth: `GET /api/version` {"version": "4", "ray_version", "ray_commit", "session_name"};
  `GET /api/jobs/` a JSON list (submission_id, entrypoint ...). No Host check (a rebinding Host is
  answered), no CORS headers for a foreign Origin.
- `browsers_no_post_put_middleware`: a POST/PUT whose User-Agent starts with Mozilla gets 405
  `'POST' method not allowed for browser traffic.`; OPTIONS is 405 with Allow: GET,HEAD,POST.
- aiohttp serves it: `Server: Python/3.11 aiohttp/...` (the lab's own aiohttp header matches).
"""

from __future__ import annotations

import json

from aiohttp import web

from .base import LabService, app_service

_INDEX = ('<!doctype html><html lang="en"><head><meta charset="utf-8"/><link rel="shortcut icon" '
          'href="./favicon.ico"/><meta name="viewport" content="width=device-width,initial-scale=1"/>'
          '<title>Ray Dashboard</title><script defer="defer" src="./static/js/main.84605326.js"></script>'
          '<link href="./static/css/main.ec1426f1.css" rel="stylesheet"></head><body><noscript>You need to '
          'enable JavaScript to run this app.</noscript><div id="root"></div></body></html>')
_COMMITS = {"2.60.0": "b7f4259e944bf6959f721b106adc366ddfa0c356", "2.51.1": "0" * 40}  # 2.60.0 as observed; 2.51.1 not read


def _app(version: str, *, token: str | None) -> web.Application:
    @web.middleware
    async def guard(request: web.Request, handler):
        if token is not None and request.path != "/" and not request.path.startswith("/static/"):
            if request.headers.get("Authorization") != f"Bearer {token}":
                return web.Response(status=401, text="Unauthorized: Missing authentication token")
        if request.method in ("POST", "PUT") and request.headers.get("User-Agent", "").startswith("Mozilla"):
            return web.Response(status=405, text=f"'{request.method}' method not allowed for browser traffic.")
        return await handler(request)

    def _json(doc) -> web.Response:
        return web.Response(text=json.dumps(doc), content_type="application/json", charset="utf-8")

    async def root(request):
        return web.Response(text=_INDEX, content_type="text/html", headers={"Cache-Control": "no-store"})

    async def api_version(request):
        return _json({"version": "4", "ray_version": version, "ray_commit": _COMMITS[version],
                      "session_name": "session_2026-12-02_00-12-45_419922_30350"})

    async def jobs(request):
        return _json([{"type": "SUBMISSION", "job_id": "02000000", "submission_id": "raysubmit_Lk3t9QeVYp1xN2sA",
                       "driver_info": {"id": "02000000", "node_ip_address": "127.0.0.1", "pid": "30350"},
                       "status": "SUCCEEDED", "entrypoint": "python train.py --epochs 3", "message": None,
                       "error_type": None, "start_time": 1796170365000, "end_time": 1796170371000,
                       "metadata": {}, "runtime_env": {}}])

    async def options(request):
        return web.Response(status=405, text="405: Method Not Allowed", headers={"Allow": "GET,HEAD,POST"})

    app = web.Application(middlewares=[guard])
    app.router.add_get("/", root)
    app.router.add_get("/api/version", api_version)
    app.router.add_get("/api/jobs/", jobs)
    app.router.add_route("OPTIONS", "/api/jobs/", options)
    return app


SERVICES = [
    # 2.51.1: the last release before token authentication existed (ShadowRay, CVE-2023-48022;
    # the browser-UA bypass CVE-2025-62593 < 2.52.0). The Jobs API lists (and would run) jobs
    # for anyone, and a rebinding page reaches it.
    LabService(
        key="ray-dashboard-vulnerable",
        product="ray-dashboard",
        version="2.51.1",
        twin="vulnerable",
        port=8265,
        expected=("auth.missing", "http.host.unchecked", "version.vulnerable"),
        start=app_service(lambda: _app("2.51.1", token=None)),
        notes="Ray 2.51.1 dashboard, no authentication (ShadowRay)",
    ),
    # 2.60.0 defaults: token authentication on; the API (version included) needs the token.
    LabService(
        key="ray-dashboard-hardened",
        product="ray-dashboard",
        version="2.60.0",
        twin="hardened",
        port=8265,
        expected=(),
        start=app_service(lambda: _app("2.60.0", token="lab-ray-token-4c1e9a7f")),
        notes="Ray 2.60.0 dashboard, token authentication (the default)",
        version_observable=False,
    ),
]
