"""The log API as a WSGI app: routes, query checks, auth, rate limit and JSON-lines paging."""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timezone
from typing import Callable, Iterator

from flask import Flask, Response, g, jsonify, request

from shared.jsonapi import ApiError, JsonApi

from .. import __version__
from ..store import Store
from .ratelimit import RateLimiter
from .records import log_bytes
from .tokens import BearerCheck

API = "/api/v1"
MAX_CURSOR = 2**63 - 1
MAX_BODY_BYTES = 1024  # no route takes a body
log = logging.getLogger("kiosk.logapi")
DIGITS = frozenset("0123456789")


def _whole_number(name: str, text: str, lo: int, hi: int) -> int:
    # ASCII digits only: str.isdigit() also passes "²", "①" and Arabic-Indic digits.
    if not text or not DIGITS.issuperset(text) or len(text) > 19 or not lo <= int(text) <= hi:
        raise ApiError(400, "bad_parameter", f"{name} must be a whole number from {lo} to {hi}, got {text[:40]!r}")
    return int(text)


def create_app(*, kiosk_id: str, office: str, token: str, store_factory: Callable[[], Store],
               page_max: int, limiter: RateLimiter, failed_limiter: RateLimiter | None = None) -> Flask:
    """`limiter` paces requests with the right token; `failed_limiter` (by default as strict) the
    ones without, in buckets of their own, so wrong guesses from an address never use up the
    puller's allowance."""
    app = JsonApi("kiosk.logapi", "docs/openapi-kiosk.yaml")
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
