"""JSON routes for counter tokens beyond call-next, and the kiosk's command pull (docs/openapi.yaml).

The counter is the token's subject, as for `POST .../services/{prefix}/next`; the staff pages
(central/web/staff_pages.py) drive the same functions of central/counter_queue.py.
"""

from __future__ import annotations

from flask import g, jsonify

from shared.jsonapi import ApiError

from . import API_PREFIX, counter_queue, kiosk_commands
from .protocol import PREFIX_RE, utc_now_iso


def register(app, db, require, check_office_access, json_object) -> None:
    def counter_principal(office: str):
        principal = require("counter")
        check_office_access(principal, office)
        return principal

    def answer(ticket: dict, counter: str):
        return jsonify(ticket=ticket, counter=counter, server_time=utc_now_iso())

    def on_current(office: str, action):
        principal = counter_principal(office)
        try:
            ticket = action(db, office, principal.subject, f"token:{principal.subject}")
        except counter_queue.NoCurrentTicket as err:
            raise ApiError(409, "no_current_ticket", str(err)) from None
        return answer(ticket, principal.subject)

    @app.get(f"{API_PREFIX}/offices/<office>/counter")
    def get_counter(office: str):
        principal = counter_principal(office)
        ticket = counter_queue.current(db, office, principal.subject)
        return jsonify(ticket=ticket, counter=principal.subject, server_time=utc_now_iso())

    @app.post(f"{API_PREFIX}/offices/<office>/counter/recall")
    def post_recall(office: str):
        return on_current(office, counter_queue.recall)

    @app.post(f"{API_PREFIX}/offices/<office>/counter/skip")
    def post_skip(office: str):
        return on_current(office, counter_queue.skip)

    @app.post(f"{API_PREFIX}/offices/<office>/counter/done")
    def post_done(office: str):
        return on_current(office, counter_queue.done)

    @app.post(f"{API_PREFIX}/offices/<office>/counter/transfer")
    def post_transfer(office: str):
        principal = counter_principal(office)
        body = json_object()
        prefix = body.get("prefix")
        if not isinstance(prefix, str) or not PREFIX_RE.match(prefix):
            raise ApiError(400, "malformed", "prefix must be 1-8 letters A-Z (the service to transfer to)")
        try:
            ticket = counter_queue.transfer(db, office, principal.subject, prefix, f"token:{principal.subject}")
        except counter_queue.NoCurrentTicket as err:
            raise ApiError(409, "no_current_ticket", str(err)) from None
        return answer(ticket, principal.subject)

    @app.get(f"{API_PREFIX}/kiosks/<kiosk_id>/commands")
    def get_commands(kiosk_id: str):
        principal = require("kiosk")
        if kiosk_id != principal.subject:
            raise ApiError(403, "kiosk_mismatch", f"this token belongs to kiosk {principal.subject!r}")
        commands = kiosk_commands.pending_for(db, kiosk_id)
        g.note = f"commands={len(commands)}"
        return jsonify(kiosk_id=kiosk_id, commands=commands, server_time=utc_now_iso())

