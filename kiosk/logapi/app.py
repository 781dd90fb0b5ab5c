"""The log API as a WSGI app: routes, query checks, auth, rate limit and JSON-lines paging."""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timezone
from typing import Callable, Iterator

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import RequestRedirect

from .. import __version__
from ..store import Store
from .ratelimit import RateLimiter
from .records import log_bytes
from .tokens import BearerCheck

API = "/api/v1"
MAX_CURSOR = 2**63 - 1
MAX_BODY_BYTES = 1024  # no route takes a body
log = logging.getLogger("kiosk.logapi")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


DIGITS = frozenset("0123456789")


def _whole_number(name: str, text: str, lo: int, hi: int) -> int:
    # ASCII digits only: str.isdigit() also passes "²", "①" and Arabic-Indic digits.
    if not text or not DIGITS.issuperset(text) or len(text) > 19 or not lo <= int(text) <= hi:
        raise ApiError(400, "bad_parameter", f"{name} must be a whole number from {lo} to {hi}, got {text[:40]!r}")
    return int(text)


class _LogApp(Flask):
    body_gate = None  # set by create_app; the server asks it before reading any request body

    def raise_routing_exception(self, request):
        # A path that would redirect (`//tickets`, `..%2F`) is not an API path: JSON 404, never a 308.
        if isinstance(request.routing_exception, RequestRedirect):
            raise NotFound("no such endpoint (see docs/openapi-kiosk.yaml)")
        super().raise_routing_exception(request)


def create_app(*, kiosk_id: str, office: str, token: str, store_factory: Callable[[], Store],
               page_max: int, limiter: RateLimiter, failed_limiter: RateLimiter | None = None) -> Flask:
    """`limiter` paces requests with the right token; `failed_limiter` (by default as strict) the
    ones without, in buckets of their own, so wrong guesses from an address never use up the
    puller's allowance."""
    app = _LogApp("kiosk.logapi")
    app.json.sort_keys = False
    bearer = BearerCheck(token)
    failed_limiter = failed_limiter or RateLimiter(limiter.rate, int(limiter.burst))
    app.body_gate = lambda headers, length: length <= MAX_BODY_BYTES and bearer.accepts(headers.get("AUTHORIZATION"))

    @app.before_request
    def _guard():
        g.started = time.monotonic()
        client = request.remote_addr or "?"
        authorized = bearer.accepts(request.headers.get("Authorization"))
        wait = (limiter if authorized else failed_limiter).take(client)
        if wait:
            raise ApiError(429, "rate_limited", "too many requests; retry later",
                           {"Retry-After": str(max(1, math.ceil(wait)))})
        if not authorized:
            raise ApiError(401, "unauthorized", "a valid bearer token is required (the kiosk's log token)",
                           {"WWW-Authenticate": 'Bearer realm="kiosk-log"'})
        if (request.content_length or 0) > MAX_BODY_BYTES or "chunked" in request.headers.get("Transfer-Encoding", ""):
            raise ApiError(413, "too_large", "requests to the log API carry no body")

    @app.after_request
    def _access_log(response: Response):
        ms = (time.monotonic() - g.get("started", time.monotonic())) * 1000
        log.info("%s %s %s %s %.1fms", request.remote_addr, request.method, request.path, response.status_code, ms)
        return response

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        response = jsonify(error=err.code, message=err.message)
        response.status_code = err.status
        response.headers.update(err.headers)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        response = jsonify(error=(err.name or "error").lower().replace(" ", "_"), message=err.description)
        response.status_code = err.code or 500
        if getattr(err, "valid_methods", None):
            response.headers["Allow"] = ", ".join(err.valid_methods)
        return response

    @app.get(f"{API}/health")
    def health():
        with store_factory() as store:
            last = store.last_ticket()
        return jsonify(
            ok=True, kiosk_id=kiosk_id, office=office, version=__version__,
            server_time=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            last_cursor=last.cursor if last else 0,
        )

    @app.get(f"{API}/tickets")
    def tickets():
        unknown = sorted(set(request.args) - {"after", "limit"})
        if unknown:
            raise ApiError(400, "bad_parameter", f"unknown parameter {unknown[0][:40]!r} (known: after, limit)")
        if any(len(request.args.getlist(k)) > 1 for k in request.args):
            raise ApiError(400, "bad_parameter", "give each parameter once")
        after = _whole_number("after", request.args.get("after", "0"), 0, MAX_CURSOR)
        limit = _whole_number("limit", request.args.get("limit", str(page_max)), 1, 10**9)
        if limit > page_max:
            raise ApiError(400, "limit_too_large", f"limit must be at most {page_max} (agent.log_page_max); "
                                                   "page with the last record's cursor as after=")
        store = store_factory()
        return Response(_page(store, after, limit), content_type="application/x-ndjson; charset=utf-8",
                        headers={"Cache-Control": "no-store"})

    return app


def _page(store: Store, after: int, limit: int) -> Iterator[bytes]:
    """Stream one page in chunks of whole lines; the store is closed however the client goes away."""
    try:
        yield from log_bytes(store, after, limit)
    finally:
        store.close()
