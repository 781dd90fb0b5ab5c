"""The HTTP API (docs/openapi.yaml): batches of events in, catalogue / queue / time out."""

from __future__ import annotations

import logging
import sqlite3
import time

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from . import API_PREFIX, __version__
from .auth import Principal, authenticate
from .db import CentralDB
from .protocol import PREFIX_RE, office_problem, utc_now_iso
from .quarantine import quarantined_kiosks

log = logging.getLogger("central.access")

MAX_BATCH = 500
MAX_BODY_BYTES = 4 * 1024 * 1024
BUSY_RETRY_AFTER_S = 1


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def create_app(db: CentralDB, max_batch: int = MAX_BATCH) -> Flask:
    app = Flask("central")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False

    @app.before_request
    def _start_timer():
        g.started = time.monotonic()
        g.note = ""

    @app.after_request
    def _access_log(response: Response):
        principal = g.get("principal")
        who = f"{principal.role}={principal.subject}" if principal else "anonymous"
        ms = (time.monotonic() - g.get("started", time.monotonic())) * 1000
        log.info("%s %s %s %s %.1fms %s", request.method, request.path, response.status_code, who, ms, g.get("note", ""))
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
        return response

    @app.errorhandler(sqlite3.OperationalError)
    def _db_busy(err: sqlite3.OperationalError):
        # A locked database is load, not a fault: tell the kiosk when to come back.
        logging.getLogger("central").warning("database busy: %s", err)
        response = jsonify(error="busy", message="the server is busy; retry later")
        response.status_code = 503
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_S)
        return response

    def require(*roles: str) -> Principal:
        principal = authenticate(db, request.headers.get("Authorization"))
        if principal is None:
            raise ApiError(401, "unauthorized", "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})
        if principal.role not in roles:
            raise ApiError(403, "forbidden", f"a {principal.role} token may not call this endpoint")
        g.principal = principal
        return principal

    def json_object() -> dict:
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict):
            raise ApiError(400, "malformed", "the request body must be a JSON object")
        return body

    def kiosk_office(principal: Principal, body: dict) -> str | None:
        """Check the body speaks for the token's kiosk; return the office it reports."""
        kiosk_id = body.get("kiosk_id", principal.subject)
        if kiosk_id != principal.subject:
            raise ApiError(403, "kiosk_mismatch", f"this token belongs to kiosk {principal.subject!r}")
        office = body.get("office")
        problem = office_problem(office)
        if problem:
            raise ApiError(400, "malformed", problem)
        fixed = (db.kiosk(principal.subject) or {}).get("office_fixed")
        if fixed and office and office != fixed:
            raise ApiError(403, "office_mismatch", f"kiosk {principal.subject!r} belongs to office {fixed!r}")
        return office

    def check_office_access(principal: Principal, office: str) -> None:
        problem = office_problem(office)
        if problem:
            raise ApiError(404, "not_found", problem)
        if principal.role == "kiosk":
            fixed = (db.kiosk(principal.subject) or {}).get("office_fixed")
            if fixed and fixed != office:
                raise ApiError(403, "office_mismatch", f"kiosk {principal.subject!r} belongs to office {fixed!r}")

    @app.get(f"{API_PREFIX}/health")
    def health():
        return jsonify(ok=True, version=__version__, server_time=utc_now_iso())

    @app.post(f"{API_PREFIX}/events")
    def post_events():
        principal = require("kiosk")
        body = json_object()
        office = kiosk_office(principal, body)
        events = body.get("events")
        if not isinstance(events, list):
            raise ApiError(400, "malformed", "events must be a list")
        to_apply, over = events[:max_batch], events[max_batch:]
        accepted, rejected = db.ingest(principal.subject, office, to_apply)
        for event in over:
            event_id = event.get("event_id") if isinstance(event, dict) else None
            rejected.append({
                "event_id": event_id if isinstance(event_id, str) else None,
                "reason": "batch_limit", "retry": True,
                "detail": f"at most {max_batch} events are applied per request",
            })
        g.note = f"events={len(events)} accepted={len(accepted)} rejected={len(rejected)}"
        return jsonify(accepted=accepted, rejected=rejected, server_time=utc_now_iso())

    @app.post(f"{API_PREFIX}/heartbeat")
    def post_heartbeat():
        principal = require("kiosk")
        body = json_object()
        office = kiosk_office(principal, body)
        db.record_heartbeat(principal.subject, office, body)
        return jsonify(ok=True, server_time=utc_now_iso())

    @app.get(f"{API_PREFIX}/offices/<office>/catalogue")
    def get_catalogue(office: str):
        principal = require("kiosk", "counter")
        check_office_access(principal, office)
        catalogue = db.catalogue(office)
        if catalogue is None:
            raise ApiError(404, "no_catalogue", f"no catalogue is installed for office {office!r}")
        if request.if_none_match.contains_weak(catalogue.etag.strip('"')):
            response = Response(status=304)
            g.note = "not_modified"
        else:
            response = Response(catalogue.body, status=200, content_type="application/toml; charset=utf-8")
        response.headers["ETag"] = catalogue.etag
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get(f"{API_PREFIX}/offices/<office>/queue")
    def get_queue(office: str):
        principal = require("kiosk", "counter")
        check_office_access(principal, office)
        day = request.args.get("service_day") or None
        return jsonify(**db.queue_stats(office, day), server_time=utc_now_iso())

    @app.get(f"{API_PREFIX}/offices/<office>/quarantine")
    def get_quarantine(office: str):
        principal = require("counter")
        check_office_access(principal, office)
        kiosks = quarantined_kiosks(db, office)
        g.note = f"kiosks={len(kiosks)}"
        return jsonify(office=office, kiosks=kiosks, server_time=utc_now_iso())

    @app.post(f"{API_PREFIX}/offices/<office>/services/<prefix>/next")
    def post_next(office: str, prefix: str):
        principal = require("counter")
        check_office_access(principal, office)
        if not PREFIX_RE.match(prefix):
            raise ApiError(404, "not_found", "prefix must be 1-8 letters A-Z")
        ticket = db.call_next(office, prefix, principal.subject)
        if ticket is None:
            return Response(status=204)
        return jsonify(ticket=ticket, counter=principal.subject, server_time=utc_now_iso())

    return app
