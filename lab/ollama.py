"""Ollama twins: the model server on 11434, which has no authentication at all.

Facts: the ollama/ollama source (fb30760 server/routes.go, envconfig/config.go) and
gin-contrib/cors's docs; CVE ranges from the Ollama advisories.
"""

from __future__ import annotations

import ipaddress
import json
import re

from aiohttp import web

from .base import LabService, app_service, strip_server_header

# `GET /api/tags` as routes.go ListHandler shapes it [SRC]; one small model is enough.
_TAGS = {
    "models": [
        {
            "name": "llama3.2:1b",
            "model": "llama3.2:1b",
            "modified_at": "2026-10-02T09:14:51.127463021Z",
            "size": 1321098329,
            "digest": "baf6a787fdffd633537aa2eb51cfd54cb93ff08e28040095462bb63daf552878",
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "llama",
                "families": ["llama"],
                "parameter_size": "1.2B",
                "quantization_level": "Q8_0",
            },
        }
    ]
}

# envconfig.AllowedOrigins: OLLAMA_ORIGINS plus localhost/127.0.0.1/0.0.0.0 on any port
# (http and https), app://, file://, tauri://, vscode-webview://, vscode-file:// [SRC].
_DEFAULT_ORIGINS = re.compile(
    r"^(https?://(localhost|127\.0\.0\.1|0\.0\.0\.0)(:\d+)?|(app|file|tauri|vscode-webview|vscode-file)://.*)$"
)


def _host_allowed(host_header: str) -> bool:
    """allowedHostsMiddleware (0.1.29+, commit fc8c04458) for a loopback listener [SRC]."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host in ("", "localhost") or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # the machine's own hostname is also allowed; a lab has none to offer
    return ip.is_loopback or ip.is_private or ip.is_unspecified or ip.is_link_local


def _app(version: str, *, origins_any: bool, host_check: bool) -> web.Application:
    @web.middleware
    async def guard(request: web.Request, handler):
        # The host check runs first and answers an empty 403 (gin AbortWithStatus).
        if host_check and not _host_allowed(request.host or ""):
            return web.Response(status=403)
        origin = request.headers.get("Origin")
        if origin is not None and not origins_any and not _DEFAULT_ORIGINS.match(origin):
            return web.Response(status=403)  # gin-contrib/cors aborts a disallowed Origin [DOC]
        response = await handler(request)
        if origin is not None:
            # OLLAMA_ORIGINS=* (or an allowed origin): the origin is reflected.
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    def _json(doc) -> web.Response:
        return web.Response(text=json.dumps(doc, separators=(",", ":")), content_type="application/json",
                            charset="utf-8")

    async def root(request: web.Request) -> web.Response:
        # GET and HEAD / : the plain-text banner [SRC routes.go].
        return web.Response(text="Ollama is running", content_type="text/plain", charset="utf-8")

    async def api_version(request: web.Request) -> web.Response:
        return _json({"version": version})

    async def api_tags(request: web.Request) -> web.Response:
        return _json(_TAGS)

    async def api_ps(request: web.Request) -> web.Response:
        return _json({"models": []})

    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, text="404 page not found", content_type="text/plain")

    app = web.Application(middlewares=[guard])
    app.router.add_get("/", root)  # aiohttp adds HEAD for GET routes
    app.router.add_get("/api/version", api_version)
    app.router.add_get("/api/tags", api_tags)
    app.router.add_get("/api/ps", api_ps)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return strip_server_header(app)  # Go's net/http sends no Server header


SERVICES = [
    # 0.1.28: before the DNS-rebinding Host check (CVE-2024-28224, fixed 0.1.29) and inside
    # Probllama's range (CVE-2024-37032, < 0.1.34), started with OLLAMA_ORIGINS=* so every
    # page may read the API. No auth exists in any version (CVE-2025-63389).
    LabService(
        key="ollama-vulnerable",
        product="ollama",
        version="0.1.28",
        twin="vulnerable",
        port=11434,
        expected=("auth.missing", "http.cors.permissive", "http.host.unchecked", "version.vulnerable"),
        start=app_service(lambda: _app("0.1.28", origins_any=True, host_check=False)),
        notes="Ollama 0.1.28, OLLAMA_ORIGINS=*, no Host check",
    ),
    # Hardened as far as Ollama goes: a current release on loopback with the default origin
    # allowlist (foreign Origin: 403) and the Host allowlist (rebinding name: 403). It still
    # has no authentication at all, so any local process (or anything that reaches the port)
    # can use it: auth.missing stays; the defence is the bind address and a proxy with auth.
    LabService(
        key="ollama-hardened",
        product="ollama",
        version="0.17.1",
        twin="hardened",
        port=11434,
        expected=("auth.missing",),
        start=app_service(lambda: _app("0.17.1", origins_any=False, host_check=True)),
        notes="Ollama 0.17.1 defaults on loopback (no auth exists; Origin and Host allowlists on)",
    ),
]
