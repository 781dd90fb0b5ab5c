"""The HTTP API (docs/openapi.yaml): batches of events in, catalogue / queue / time out."""

from __future__ import annotations

import json
import logging
import re
import time

from flask import Flask, Response, g, jsonify, request

from shared.jsonapi import ApiError, JsonApi

from . import API_PREFIX, __version__, bookings, counter_api, counter_queue, kiosk_commands, survey
from .auth import Principal, authenticate
from .db import CentralDB
from .dialect import Busy
from .protocol import (
    PREFIX_RE,
    json_depth_problem,
    loads_keeping_texts,
    may_hold_lone_surrogate,
    office_problem,
    unencodable_path,
    utc_now_iso,
)
from .quarantine import quarantined_kiosks
from .web import public_form
from .web import register as register_web

log = logging.getLogger("central.access")

SERVICE_DAY_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_BATCH = 500
MAX_BODY_BYTES = 4 * 1024 * 1024
BUSY_RETRY_AFTER_S = 1
LOG_PAGE_MAX = 1000
MAX_CURSOR = 2**63 - 1
# Per-event refusals that say a kiosk reached for another kiosk's ticket or office: logged, counted.
TENANCY_REASONS = ("not_owner", "office_mismatch")


def body_gate(db: CentralDB):
    """Whether the server may read a request's body at all: only a valid token's, and not oversize.

    Otherwise the app gets the request without its body and answers 401 or 413 at once. A public
    page's small form (the phone survey, central/web/phone_survey.py) needs no token.
    """
    def allowed(headers: dict, content_length: int) -> bool:
        if public_form(headers, content_length):
            return True
        return content_length <= MAX_BODY_BYTES and authenticate(db, headers.get("AUTHORIZATION")) is not None
    return allowed


def with_etag(body: bytes | str, etag: str, content_type: str, cache_control: str) -> Response:
    """The body, or 304 when the client's If-None-Match already holds `etag` (what the kiosks'
    agent pulls: catalogue, bookings)."""
    if request.if_none_match.contains_weak(etag.strip('"')):
        response = Response(status=304)
        g.note = "not_modified"
    else:
        response = Response(body, status=200, content_type=content_type)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = cache_control
    return response


def create_app(db: CentralDB, max_batch: int = MAX_BATCH, pull_health=None, public_limit: tuple | None = None) -> Flask:
    """`pull_health`: the log-pull scheduler's health() when `serve --pull-every` runs one;
    `public_limit`: (requests per second, burst) per client address on the public pages."""
    app = JsonApi("central", "docs/openapi.yaml")
    app.body_gate = body_gate(db)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

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

    @app.errorhandler(Busy)
    def _db_busy(err: Busy):
        # A locked database, a lost race or a lost connection is load, not a fault: tell the kiosk
        # when to come back (its batch was not applied; the retry is safe).
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
        return json_body()[0]

    def json_body(keep_texts_of: str = "") -> tuple[dict, list[str] | None]:
        """The request's JSON object and, with `keep_texts_of`, the text of each item of that list."""
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise ApiError(413, "too_large", f"the request body must be at most {MAX_BODY_BYTES} bytes")
        data = request.get_data(cache=False)
        problem = json_depth_problem(data)
        if problem:
            raise ApiError(400, "malformed", problem)
        try:
            body, texts = loads_keeping_texts(data, keep_texts_of) if keep_texts_of else (json.loads(data), None)
        except (ValueError, RecursionError):
            raise ApiError(400, "malformed", "the request body must be a JSON object") from None
        if not isinstance(body, dict):
            raise ApiError(400, "malformed", "the request body must be a JSON object")
        where = unencodable_path(body) if may_hold_lone_surrogate(data) else None
        if where:
            raise ApiError(400, "malformed", f"{where} is not valid Unicode text (a lone surrogate?)")
        return body, texts

    def home_office(principal: Principal) -> str | None:
        """The office a token acts for: bound by the token, or (an unbound kiosk) the first it reported."""
        if principal.role == "kiosk":
            kiosk = db.kiosk(principal.subject) or {}
            return kiosk.get("office_fixed") or kiosk.get("office")
        return principal.office

    def kiosk_office(principal: Principal, body: dict) -> str | None:
        """Check the body speaks for the token's kiosk and its office; return that office."""
        kiosk_id = body.get("kiosk_id", principal.subject)
        if kiosk_id != principal.subject:
            raise ApiError(403, "kiosk_mismatch", f"this token belongs to kiosk {principal.subject!r}")
        office = body.get("office")
        problem = office_problem(office)
        if problem:
            raise ApiError(400, "malformed", problem)
        home = home_office(principal)
        if home and office and office != home:
            # 409, not 403: the token is fine, the kiosk's configuration names the wrong office.
            raise ApiError(409, "office_mismatch", f"kiosk {principal.subject!r} belongs to office {home!r}, not "
                                                   f"{office!r}: fix kiosk.office_code or issue a token for that office")
        return home or office

    def check_office_access(principal: Principal, office: str) -> None:
        problem = office_problem(office)
        if problem:
            raise ApiError(404, "not_found", problem)
        home = home_office(principal)
        if home and home != office:
            raise ApiError(403, "office_mismatch", f"this {principal.role} token acts for office {home!r} only")

    @app.get(f"{API_PREFIX}/health")
    def health():
        if pull_health is None:
            return jsonify(ok=True, version=__version__, server_time=utc_now_iso())
        pulls = pull_health()
        return jsonify(ok=True, version=__version__, server_time=utc_now_iso(),
                       log_pull={k: pulls[k] for k in ("running", "rounds", "restarts", "last_round_at", "sources_failing")})

    @app.post(f"{API_PREFIX}/events")
    def post_events():
        principal = require("kiosk")
        body, texts = json_body("events")
        office = kiosk_office(principal, body)
        events = body.get("events")
        if not isinstance(events, list):
            raise ApiError(400, "malformed", "events must be a list")
        to_apply, over = events[:max_batch], events[max_batch:]
        accepted, rejected = db.ingest(principal.subject, office, to_apply, texts)
        survey.record_events(db, principal.subject, office, to_apply, accepted)
        bookings.record_checkins(db, principal.subject, office, to_apply, accepted)
        refused = [r for r in rejected if r["reason"] in TENANCY_REASONS]
        if refused:
            db.count_refused(principal.token_id, len(refused))
            logging.getLogger("central").warning(
                "kiosk %s (token %s) was refused %s: %s", principal.subject, principal.token_id,
                refused[0]["reason"], refused[0]["detail"])
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
        kiosk_commands.confirm_from_heartbeat(db, principal.subject, body)
        return jsonify(ok=True, server_time=utc_now_iso())

    @app.get(f"{API_PREFIX}/offices/<office>/catalogue")
    def get_catalogue(office: str):
        principal = require("kiosk", "counter")
        check_office_access(principal, office)
        catalogue = db.catalogue(office)
        if catalogue is None:
            raise ApiError(404, "no_catalogue", f"no catalogue is installed for office {office!r}")
        return with_etag(catalogue.body, catalogue.etag, "application/toml; charset=utf-8", "no-cache")

    @app.get(f"{API_PREFIX}/offices/<office>/queue")
    def get_queue(office: str):
        principal = require("kiosk", "counter")
        check_office_access(principal, office)
        day = request.args.get("service_day") or None
        if day is not None and not SERVICE_DAY_RE.match(day):
            raise ApiError(400, "malformed", "service_day must be YYYY-MM-DD")
        stats = counter_queue.queue_stats(db, office, day)
        return jsonify(**stats, booked=bookings.booked_counts(db, office, stats["service_day"]), server_time=utc_now_iso())

    @app.get(f"{API_PREFIX}/offices/<office>/bookings")
    def get_bookings(office: str):
        principal = require("kiosk", "counter")
        check_office_access(principal, office)
        day = request.args.get("day") or db.current_service_day(office) or utc_now_iso()[:10]
        if not SERVICE_DAY_RE.match(day):
            raise ApiError(400, "malformed", "day (the kiosk's service day) must be YYYY-MM-DD")
        try:
            body, etag = bookings.office_list(db, office, day)
        except (ValueError, OverflowError):
            raise ApiError(400, "malformed", "day must be a real date YYYY-MM-DD (before 9999-12-31)") from None
        return with_etag(body, etag, "application/json", "no-cache, private")

    @app.get(f"{API_PREFIX}/offices/<office>/bookings/duplicates")
    def get_booking_duplicates(office: str):
        principal = require("counter")
        check_office_access(principal, office)
        day = request.args.get("day") or None
        if day is not None and not SERVICE_DAY_RE.match(day):
            raise ApiError(400, "malformed", "day must be YYYY-MM-DD")
        found = bookings.duplicates(db, office, day)
        g.note = f"duplicates={len(found)}"
        return jsonify(office=office, day=day, duplicates=found, server_time=utc_now_iso())

    @app.get(f"{API_PREFIX}/offices/<office>/quarantine")
    def get_quarantine(office: str):
        principal = require("counter")
        check_office_access(principal, office)
        kiosks = quarantined_kiosks(db, office)
        g.note = f"kiosks={len(kiosks)}"
        return jsonify(office=office, kiosks=kiosks, server_time=utc_now_iso())

    @app.get(f"{API_PREFIX}/tickets")
    def get_tickets():
        """This server's ticket log by cursor: the kiosk log API's protocol (docs/openapi-kiosk.yaml),
        so a national server pulls office servers as it pulls kiosks (central/logpull.py)."""
        principal = require("log")
        unknown = sorted(set(request.args) - {"after", "limit"})
        if unknown:
            raise ApiError(400, "bad_parameter", f"unknown parameter {unknown[0][:40]!r} (known: after, limit)")
        if any(len(request.args.getlist(k)) > 1 for k in request.args):
            raise ApiError(400, "bad_parameter", "give each parameter once")
        after = whole_number("after", request.args.get("after", "0"), 0, MAX_CURSOR)
        limit = whole_number("limit", request.args.get("limit", str(LOG_PAGE_MAX)), 1, 10**9)
        if limit > LOG_PAGE_MAX:
            raise ApiError(400, "limit_too_large", f"limit must be at most {LOG_PAGE_MAX}; "
                                                   "page with the last record's cursor as after=")
        lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                 for r in db.ticket_log(after, limit, principal.office)]
        g.note = f"records={len(lines)}"
        return Response("".join(lines), content_type="application/x-ndjson; charset=utf-8",
                        headers={"Cache-Control": "no-store"})

    @app.post(f"{API_PREFIX}/offices/<office>/services/<prefix>/next")
    def post_next(office: str, prefix: str):
        principal = require("counter")
        check_office_access(principal, office)
        if not PREFIX_RE.match(prefix):
            raise ApiError(404, "not_found", "prefix must be 1-8 letters A-Z")
        ticket = counter_queue.call_next(db, office, prefix, principal.subject, f"token:{principal.subject}")
        if ticket is None:
            return Response(status=204)
        return jsonify(ticket=ticket, counter=principal.subject, server_time=utc_now_iso())

    counter_api.register(app, db, require, check_office_access, json_object)

    @app.get(f"{API_PREFIX}/offices/<office>/ikm")
    def get_ikm(office: str):
        """The survey index over a date range (docs/openapi.yaml); ?format=csv for a spreadsheet."""
        principal = require("counter")
        check_office_access(principal, office)
        args = request.args
        fmt = args.get("format", "json")
        if fmt not in ("json", "csv"):
            raise ApiError(400, "malformed", "format must be json or csv")
        first, today = survey.default_range()
        try:
            report = survey.ikm_report(db, office, args.get("from") or first, args.get("to") or today,
                                       args.get("by") or None)
        except survey.SurveyInputError as err:
            raise ApiError(400, "malformed", str(err)) from None
        g.note = f"respondents={report.count}"
        if fmt == "csv":
            response = Response(survey.csv_text(report), content_type="text/csv; charset=utf-8")
            response.headers["Content-Disposition"] = (
                f'attachment; filename="ikm-{office}-{report.date_from}-{report.date_to}.csv"')
            return response
        return jsonify(**report.to_dict(), server_time=utc_now_iso())

    register_web(app, db, *(public_limit or ()))
    return app


def whole_number(name: str, text: str, low: int, high: int) -> int:
    """A query parameter of ASCII digits within [low, high] (int() would take '²' or '١')."""
    if not (text.isascii() and text.isdigit() and len(text) <= 19) or not low <= int(text) <= high:
        raise ApiError(400, "bad_parameter", f"{name} must be a whole number from {low} to {high}")
    return int(text)
