"""ComfyUI twins: the node-graph image generation server on 8188, which has no authentication.

Facts: the ComfyUI source (Comfy-Org/ComfyUI 002c3fb server.py: routes, `/ws` first message,
create_cors_middleware; comfyanonymous/ComfyUI d00f563 middleware/origin_middleware.py):
- `GET /` serves the frontend's index.html (`<title>ComfyUI</title>`); `GET /system_stats` returns
  `system{os, ram_total, ram_free, comfyui_version, python_version, pytorch_version,
  embedded_python, argv}` and `devices[]`; `GET /queue` {"queue_running": [], "queue_pending": []}.
- `GET /ws?clientId=` upgrades and first sends {"type": "status", "data": {"status":
  {"exec_info": {"queue_remaining": 0}}, "sid": ...}}.
- Default (no --enable-cors-header): origin_only_middleware. A `Sec-Fetch-Site: cross-site`
  request is refused 403; when both Host and Origin are present and Host is loopback, an Origin
  netloc that differs from Host is refused 403 (ports compared only when both carry one). An
  Origin with no host (`null`) and any non-loopback Host (a rebinding name) pass.
- --enable-cors-header ORIGIN: no origin check at all; every answer carries
  Access-Control-Allow-Origin ORIGIN and Allow-Credentials true; OPTIONS is answered 200.
- aiohttp serves it (the lab's own aiohttp Server header matches).
"""

from __future__ import annotations

import json
import urllib.parse
import uuid

from aiohttp import web

from .base import LabService, app_service, is_loopback_name

_INDEX = ('<!doctype html><html lang="en"><head><meta charset="UTF-8"><title>ComfyUI</title>'
          '<meta name="viewport" content="width=device-width, initial-scale=1.0, maximum-scale=1.0, '
          'user-scalable=no"><link rel="stylesheet" type="text/css" href="user.css" />'
          '<script type="module" crossorigin src="./assets/index-BT6QnyuV.js"></script></head>'
          '<body class="litegraph grid"><div id="vue-app"></div></body></html>')


def _origin_refused(request: web.Request) -> bool:
    """origin_only_middleware (middleware/origin_middleware.py)."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    host, origin = request.headers.get("Host"), request.headers.get("Origin")
    if host is None or origin is None:
        return False
    host_domain = host.lower()
    parsed = urllib.parse.urlparse(origin)
    origin_domain = parsed.netloc.lower()
    host_parsed = urllib.parse.urlsplit("//" + host_domain)
    loopback = is_loopback_name(host_parsed.hostname)
    if parsed.port is None:
        host_domain = host_parsed.hostname
    if host_parsed.port is None:
        origin_domain = parsed.hostname
    return bool(loopback and host_domain and origin_domain and host_domain != origin_domain)


def _app(version: str, *, cors: str | None) -> web.Application:
    @web.middleware
    async def middleware(request: web.Request, handler):
        if cors is None:
            if _origin_refused(request):
                return web.Response(status=403)
            return web.Response() if request.method == "OPTIONS" else await handler(request)
        response = web.Response() if request.method == "OPTIONS" else await handler(request)
        response.headers["Access-Control-Allow-Origin"] = cors
        response.headers["Access-Control-Allow-Methods"] = "POST, GET, DELETE, PUT, OPTIONS, PATCH"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
        response.headers["Access-Control-Allow-Credentials"] = "true"
        return response

    async def root(request):
        return web.Response(text=_INDEX, content_type="text/html",
                            headers={"Cache-Control": "no-store, must-revalidate"})

    async def system_stats(request):
        return web.json_response({
            "system": {"os": "posix", "ram_total": 33554432000, "ram_free": 21474836480,
                       "comfyui_version": version, "python_version": "3.12.9 (main, Feb  4 2026, 14:38:38) [GCC 12.2.0]",
                       "pytorch_version": "2.7.1+cu128", "embedded_python": False, "argv": ["main.py"]},
            "devices": [{"name": "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync", "type": "cuda", "index": 0,
                         "vram_total": 25393692672, "vram_free": 24183472128,
                         "torch_vram_total": 0, "torch_vram_free": 0}]})

    async def queue(request):
        return web.json_response({"queue_running": [], "queue_pending": []})

    async def ws(request):
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        sid = request.rel_url.query.get("clientId") or uuid.uuid4().hex
        await sock.send_str(json.dumps({"type": "status", "data": {
            "status": {"exec_info": {"queue_remaining": 0}}, "sid": sid}}))
        async for _ in sock:
            pass
        return sock

    app = web.Application(middlewares=[middleware])
    app.router.add_get("/", root)
    app.router.add_get("/system_stats", system_stats)
    app.router.add_get("/queue", queue)
    app.router.add_get("/ws", ws)
    return app


SERVICES = [
    # Started with --enable-cors-header '*' (the usual fix for "my frontend can't reach it"):
    # no Origin check, CORS for every page. No auth exists in any version.
    LabService(
        key="comfyui-vulnerable",
        product="comfyui",
        version="0.3.66",
        twin="vulnerable",
        port=8188,
        expected=("auth.missing", "http.cors.permissive", "http.host.unchecked", "ws.origin.unchecked"),
        start=app_service(lambda: _app("0.3.66", cors="*")),
        notes="ComfyUI 0.3.66 --enable-cors-header '*'",
    ),
    # Defaults on loopback: foreign Origins and cross-site fetches are refused, but there is no
    # authentication at all, and the check compares Origin with Host only for a loopback Host:
    # a DNS-rebinding name (not loopback to the server) passes, so auth.missing and
    # http.host.unchecked stay.
    LabService(
        key="comfyui-hardened",
        product="comfyui",
        version="0.3.66",
        twin="hardened",
        port=8188,
        expected=("auth.missing", "http.host.unchecked"),
        start=app_service(lambda: _app("0.3.66", cors=None)),
        notes="ComfyUI 0.3.66 defaults (origin_only_middleware; no auth exists)",
    ),
]
