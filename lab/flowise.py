"""Flowise twins: the flow builder's Express server on 3000.

Checked against the real flowise@3.1.4 (npm, run in a private namespace after building its
sqlite3 binding by hand): `/api/v1/chatflows` 401 `{"error":"Unauthorized Access"}` (also for
`/API/V1/...` and unknown `/api/v1/*` paths), `/api/v1/ping` "pong", `/api/v1/version`
`{"version":"3.1.4"}`, no Access-Control-Allow-Origin for a foreign Origin, any Host answered.

Facts: the npm package flowise@3.1.4 as installed here (`dist/index.js`: every `/api/v1/*` path
outside `WHITELIST_URLS` needs the session cookie or an API key, else 401
`{"error":"Unauthorized Access"}`, and so does any case variant of `/api/v1/` (the fix for
CVE-2024-31621); `x-powered-by` off; the UI's index.html for every other path;
`dist/utils/XSS.js`: CORS_ORIGINS is empty by default, so no Origin is granted, `null` never is,
and `*` reflects any Origin without credentials; `dist/utils/constants.js` WHITELIST_URLS
includes `/api/v1/ping` ("pong"), `/api/v1/version` (`{"version": <package version>}`) and
`/api/v1/settings`; flowise-ui's `build/index.html` title "Flowise - Build AI Agents,
Visually"; 1.x and 2.x pages said "Flowise - Low-code LLM apps builder"). Before 3.0 the API had no login at all unless FLOWISE_USERNAME/FLOWISE_PASSWORD were
set (FlowiseAI/Flowise docs "Authorization"; the public nuclei template
flowise-chatflows-exposure reads `/api/v1/chatflows` without credentials).
"""

from __future__ import annotations

from aiohttp import web

from ._http import json_response
from .base import LabService, app_service, strip_server_header

_PAGE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"/>"
         "<link rel=\"icon\" href=\"/favicon.ico\"/><title>{title}</title>"
         "<meta name=\"description\" content=\"Open source generative AI development platform for building AI "
         "agents, LLM orchestration, and more\"/></head><body><noscript>You need to enable JavaScript to run this "
         "app.</noscript><div id=\"root\"></div></body></html>")
_WHITELIST = ("/api/v1/ping", "/api/v1/version", "/api/v1/settings", "/api/v1/public-chatflows", "/api/v1/prediction/",
              "/api/v1/auth/", "/api/v1/account/")
_CHATFLOW = {"id": "4b2c1a9e-7d3f-4e8a-9c61-2f5d8b0e7a13", "name": "Support agent", "deployed": False,
             "isPublic": False, "apikeyid": None, "chatbotConfig": None, "category": None, "type": "CHATFLOW",
             "flowData": "{\"nodes\":[],\"edges\":[]}", "createdDate": "2026-10-02T09:14:51.000Z",
             "updatedDate": "2026-10-02T09:14:51.000Z"}


def _app(version: str, title: str, *, login: bool, cors_origins: str) -> web.Application:
    @web.middleware
    async def cors(request: web.Request, handler):
        # the `cors` package with XSS.getCorsOptions(): "*" reflects the Origin, "" grants none
        origin = request.headers.get("Origin")
        granted = bool(origin) and origin.lower() != "null" and (
            cors_origins == "*" or origin.lower() in [o.strip().lower() for o in cors_origins.split(",") if o.strip()])
        if request.method == "OPTIONS" and granted:
            response = web.Response(status=204)
        else:
            response = await handler(request)
        if granted:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    @web.middleware
    async def api_auth(request: web.Request, handler):
        path = request.path
        if login and "/api/v1/" in path.lower():
            if "/api/v1/" not in path or not path.startswith(_WHITELIST):
                return json_response({"error": "Unauthorized Access"}, status=401)
        return await handler(request)

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=_PAGE.format(title=title), content_type="text/html")

    async def ping(request: web.Request) -> web.Response:
        return web.Response(text="pong", content_type="text/html")

    async def version_(request: web.Request) -> web.Response:
        return json_response({"version": version})

    async def settings(request: web.Request) -> web.Response:
        return json_response({"PLATFORM_TYPE": "open source"} if login else {})

    async def chatflows(request: web.Request) -> web.Response:
        return json_response([_CHATFLOW])

    app = web.Application(middlewares=[cors, api_auth])
    app.router.add_get("/api/v1/ping", ping)
    app.router.add_get("/api/v1/version", version_)
    app.router.add_get("/api/v1/settings", settings)
    app.router.add_get("/api/v1/chatflows", chatflows)
    app.router.add_get("/{tail:.*}", page)
    # Express with x-powered-by disabled names nothing; getIframeSecurityHeaders() on every answer
    # (seen on the real 3.1.4)
    return strip_server_header(app, {"Content-Security-Policy": "frame-ancestors 'self'",
                                     "X-Frame-Options": "SAMEORIGIN"})


SERVICES = [
    # 2.2.6 as `npx flowise start` runs it: no FLOWISE_USERNAME, so no login, and CORS_ORIGINS=*
    # set (any page reads the flows, which hold the tool and credential wiring).
    LabService(
        key="flowise-vulnerable",
        product="flowise",
        version="2.2.6",
        twin="vulnerable",
        port=3000,
        expected=("auth.missing", "http.cors.permissive", "http.host.unchecked", "version.vulnerable"),
        start=app_service(lambda: _app("2.2.6", "Flowise - Low-code LLM apps builder", login=False, cors_origins="*")),
        notes="Flowise 2.2.6, no login, CORS_ORIGINS=*",
    ),
    # 3.1.4 defaults: login required for the API, no CORS origin granted.
    LabService(
        key="flowise-hardened",
        product="flowise",
        version="3.1.4",
        twin="hardened",
        port=3000,
        expected=(),
        start=app_service(lambda: _app("3.1.4", "Flowise - Build AI Agents, Visually", login=True, cors_origins="")),
        notes="Flowise 3.1.4 defaults (login, no CORS origins)",
    ),
]
