"""Gradio app twins: a `demo.launch()` without auth, and one launched with `auth=`.

Facts, checked against the real gradio 6.31.0 (PyPI) in a private namespace (a
`gr.Interface(fn=lambda x: x, inputs="text", outputs="text")`), source gradio-app/gradio
`routes.py`, `route_utils.py` (CustomCORSMiddleware):
- `GET /`: the SPA with `<gradio-app`, `__gradio_mode__ = "app"` and `window.gradio_config`;
  without auth that config is inlined, `"version"` first; with auth it is only
  `{"auth_required":true,...}` (no version anywhere). Server: uvicorn.
- `GET /config`: the app config (`version`, `api_prefix: "/gradio_api"`, `mode`, `components`,
  `protocol: "sse_v3"`, `mcp_server`, ...); `GET /gradio_api/info` the named endpoints;
  `GET /gradio_api/login_check` is `null`. With auth all three (and `openapi.json`) answer 401
  `{"detail":{"error":"Not authenticated","auth_message":null}}`. Unknown paths: 404
  `{"detail":"Not Found"}`.
- CORS (CustomCORSMiddleware, strict by default): no request is refused; a request carrying an
  Origin always gets `Access-Control-Allow-Credentials: true`, and the Origin is reflected when
  the request's Host is not `localhost`/`127.0.0.1`/`0.0.0.0` (any Origin) or the Origin is one
  of those names. Any other 127.x address or a LAN address reflects every Origin; a rebinding
  Host does too. `null` counts only when strict CORS is off. A preflight gets 200 "OK".
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from aiohttp import web

from .base import LabService, app_service, host_only, strip_server_header

_LOCAL = ("localhost", "127.0.0.1", "0.0.0.0")
_NOT_AUTH = {"detail": {"error": "Not authenticated", "auth_message": None}}


def _config(version: str, root: str) -> dict:
    return {"version": version, "api_prefix": "/gradio_api", "mode": "interface", "app_id": 14428253722318382881,
            "dev_mode": False, "analytics_enabled": False,
            "components": [{"id": 1, "type": "textbox", "props": {"label": "x"}},
                           {"id": 2, "type": "textbox", "props": {"label": "output"}}],
            "title": "Gradio", "enable_queue": True, "protocol": "sse_v3", "mcp_server": False,
            "dependencies": [{"id": 0, "targets": [[1, "submit"]], "api_name": "lambda"}], "root": root}


_INFO = {"named_endpoints": {"/lambda": {"parameters": [{"label": "x", "parameter_name": "x",
                                                          "type": {"type": "string"}}],
                                          "returns": [{"label": "output", "type": {"type": "string"}}]}},
         "unnamed_endpoints": {}}

_PAGE = """<!doctype html>
<html lang="en" style="margin: 0; padding: 0; min-height: 100%; display: flex; flex-direction: column;">
<head><meta charset="utf-8" /><title>Gradio</title>
<script>window.__gradio_mode__ = "app"; window.gradio_config = {config};</script>
<script type="module" crossorigin src="./assets/index-D1d7c8b2.js"></script></head>
<body style="width: 100%; margin: 0; padding: 0; display: flex; flex-direction: column; flex-grow: 1">
<gradio-app control_page_title="true" embed="false" eager="true" style="display: flex; flex-direction: column; flex-grow: 1"></gradio-app>
</body></html>"""


def _app(version: str, *, auth: bool) -> web.Application:
    def dumps(doc) -> str:
        return json.dumps(doc, separators=(",", ":"))

    @web.middleware
    async def cors(request: web.Request, handler):
        origin = request.headers.get("Origin")
        if origin is None:
            return await handler(request)
        valid = host_only(request.host or "").lower() not in _LOCAL or (urlsplit(origin).hostname or origin) in _LOCAL
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            headers = {"Access-Control-Allow-Methods": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
                       "Access-Control-Max-Age": "600", "Access-Control-Allow-Credentials": "true"}
            if valid:
                headers["Access-Control-Allow-Origin"] = origin
            if "Access-Control-Request-Headers" in request.headers:
                headers["Access-Control-Allow-Headers"] = request.headers["Access-Control-Request-Headers"]
            return web.Response(text="OK", headers=headers)
        response = await handler(request)
        response.headers["Access-Control-Allow-Credentials"] = "true"
        if valid:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    def guarded(doc_of):
        async def handler(request: web.Request) -> web.Response:
            if auth:
                return web.json_response(_NOT_AUTH, status=401, dumps=dumps)
            return web.json_response(doc_of(request), dumps=dumps)
        return handler

    async def page(request: web.Request) -> web.Response:
        root = f"http://{request.host}"
        config = ({"auth_required": True, "auth_message": None, "space_id": None, "root": root,
                   "page": {"": {"layout": {}}}, "pages": [""], "components": [], "dependencies": [],
                   "current_page": ""} if auth else _config(version, root))
        return web.Response(text=_PAGE.replace("{config}", dumps(config)), content_type="text/html", charset="utf-8")

    async def not_found(request: web.Request) -> web.Response:
        return web.json_response({"detail": "Not Found"}, status=404)

    app = web.Application(middlewares=[cors])
    app.router.add_get("/", page)
    app.router.add_get("/config", guarded(lambda r: _config(version, f"http://{r.host}")))
    app.router.add_get("/gradio_api/info", guarded(lambda r: _INFO))
    app.router.add_get("/gradio_api/login_check", guarded(lambda r: None))
    app.router.add_route("*", "/{tail:.*}", not_found)
    return strip_server_header(app, {"Server": "uvicorn"})


SERVICES = [
    # `demo.launch()` as the docs show it, no auth. On any address but localhost/127.0.0.1/0.0.0.0
    # (the lab's 127.0.10.x, a LAN IP, a rebinding name) every Origin is reflected with credentials.
    LabService(key="gradio-vulnerable", product="gradio", version="6.31.0", twin="vulnerable", port=7860,
               expected=("auth.missing", "http.cors.permissive", "http.host.unchecked"),
               start=app_service(lambda: _app("6.31.0", auth=False)),
               notes="gradio 6.31.0 demo.launch(), no auth"),
    # demo.launch(auth=(user, password)): the API needs the login cookie; the version is not shown.
    LabService(key="gradio-hardened", product="gradio", version="6.31.0", twin="hardened", port=7860,
               expected=(), version_observable=False,
               start=app_service(lambda: _app("6.31.0", auth=True)),
               notes="gradio 6.31.0 demo.launch(auth=...): API behind the login, version hidden"),
]
