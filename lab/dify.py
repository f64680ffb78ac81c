"""Dify twins: the docker-compose deployment's nginx on 80, which sends `/console/api`, `/api`,
`/v1` and `/files` to the Flask API (5001) and everything else to the Next.js web app.

Facts: langgenius/dify `api/controllers/console/setup.py` (`GET /console/api/setup` answers
`{"step":"not_started"}` until the first admin is created, then
`{"step":"finished","setup_at":...}`; `POST` creates that admin), `console/init_validate.py`
(`GET /console/api/init`: `{"status":"not_started"}` while an INIT_PASSWORD waits to be entered,
`{"status":"finished"}` otherwise), `api/controllers/service_api/index.py` (`GET /v1/` answers
`{"welcome":"Dify OpenAPI","api_version":"v1","server_version":<version>}` with no key),
`docker/nginx/conf.d/default.conf.template` (`server_name _`: any Host), and the public nuclei
template dify-panel (`<title>Dify` on `/signin` and `/`); `web/app/layout.tsx` puts
`data-api-prefix` and (sic) `data-pubic-api-prefix` on the page's body.
"""

from __future__ import annotations

from aiohttp import web

from ._http import json_response
from .base import LabService, app_service, strip_server_header

_PAGE = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dify</title>"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>"
         "<body class=\"h-full select-auto\" data-api-prefix=\"/console/api\" data-pubic-api-prefix=\"/api\" "
         "data-public-edition=\"SELF_HOSTED\"><div id=\"__next\"></div>"
         "<script src=\"/_next/static/chunks/main-app.js\" async></script></body></html>")


def _app(version: str, setup_at: str | None) -> web.Application:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=_PAGE, content_type="text/html")

    async def setup(request: web.Request) -> web.Response:
        if setup_at is None:
            return json_response({"step": "not_started"}, separators=(", ", ": "))
        return json_response({"step": "finished", "setup_at": setup_at}, separators=(", ", ": "))

    async def init(request: web.Request) -> web.Response:
        return json_response({"status": "finished"}, separators=(", ", ": "))

    async def index(request: web.Request) -> web.Response:
        return json_response({"welcome": "Dify OpenAPI", "api_version": "v1", "server_version": version},
                             separators=(", ", ": "))

    async def console_login_required(request: web.Request) -> web.Response:
        return json_response({"code": "unauthorized", "message": "Unauthorized.", "status": 401}, status=401)

    app = web.Application()
    app.router.add_get("/console/api/setup", setup)
    app.router.add_get("/console/api/init", init)
    app.router.add_get("/v1/", index)
    app.router.add_get("/console/api/{tail:.*}", console_login_required)
    app.router.add_get("/{tail:.*}", page)
    return strip_server_header(app, {"Server": "nginx/1.27.5"})


SERVICES = [
    # A fresh `docker compose up`: no admin yet and no INIT_PASSWORD, so the first visitor (or a
    # page that rebinds a name to it) creates the admin account.
    LabService(
        key="dify-vulnerable",
        product="dify",
        version="1.9.1",
        twin="vulnerable",
        port=80,
        expected=("auth.missing", "http.host.unchecked"),
        start=app_service(lambda: _app("1.9.1", None)),
        notes="Dify 1.9.1, setup not started (admin unclaimed)",
    ),
    # Set up: the console answers only logged-in users.
    LabService(
        key="dify-hardened",
        product="dify",
        version="1.11.2",
        twin="hardened",
        port=80,
        expected=(),
        start=app_service(lambda: _app("1.11.2", "2026-10-04T08:12:55")),
        notes="Dify 1.11.2, set up",
    ),
]
