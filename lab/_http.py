"""What several product twins share: JSON answers, Starlette's CORSMiddleware and a bearer-key
guard, so each product module states only its own facts (which paths, which refusal body).

Starlette's CORSMiddleware (encode/starlette `middleware/cors.py`) is what FastAPI servers use:
vLLM, text-generation-webui and Langflow add it with their own origins and credentials settings.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from aiohttp import web


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None,
                  separators: tuple[str, str] = (",", ":")) -> web.Response:
    return web.Response(text=json.dumps(doc, separators=separators), status=status,
                        content_type="application/json", headers=headers)


def starlette_cors(origins: Iterable[str] | str, *, credentials: bool) -> Callable:
    """CORSMiddleware(allow_origins=origins, allow_credentials=credentials, allow_methods=["*"],
    allow_headers=["*"]): a preflight from an allowed Origin is answered 200 "OK", from another 400
    "Disallowed CORS origin"; a simple request always reaches the app and gets
    Access-Control-Allow-Origin `*` (allow-all) or its own Origin (listed), nothing otherwise."""
    allow_all = origins == "*" or "*" in origins
    listed = set() if allow_all else set(origins)

    @web.middleware
    async def cors(request: web.Request, handler):
        origin = request.headers.get("Origin")
        if origin is None:
            return await handler(request)
        allowed = allow_all or origin in listed
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            headers = {"Vary": "Origin", "Access-Control-Max-Age": "600",
                       "Access-Control-Allow-Methods": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"}
            if allowed:
                # allow_all without credentials answers "*"; with credentials the Origin itself
                headers["Access-Control-Allow-Origin"] = "*" if allow_all and not credentials else origin
                wanted = request.headers.get("Access-Control-Request-Headers")
                if wanted:
                    headers["Access-Control-Allow-Headers"] = wanted
                if credentials:
                    headers["Access-Control-Allow-Credentials"] = "true"
                return web.Response(text="OK", headers=headers)
            return web.Response(status=400, text="Disallowed CORS origin", headers=headers)
        response = await handler(request)
        if allow_all:
            # a request carrying a cookie gets its Origin back instead of "*"
            response.headers["Access-Control-Allow-Origin"] = origin if "Cookie" in request.headers else "*"
        elif allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        if credentials and allowed:
            response.headers["Access-Control-Allow-Credentials"] = "true"
        return response

    return cors


def bearer_guard(key: str | None, guarded: Callable[[web.Request], bool],
                 refuse: Callable[[], web.Response], *, header_key: str | None = None) -> Callable:
    """Refuse a guarded request whose `Authorization: Bearer <key>` (or `header_key: <key>`) is
    missing or wrong; with no key configured every request passes (each product's default)."""

    @web.middleware
    async def guard(request: web.Request, handler):
        if key and guarded(request):
            sent = request.headers.get("Authorization", "")
            ok = sent == f"Bearer {key}" or (header_key is not None and request.headers.get(header_key) == key)
            if not ok:
                return refuse()
        return await handler(request)

    return guard
