"""My ticket (`/t/<token>`): one ticket's place in the queue, for the applicant's phone.

The token is the only key (central/protocol.py TICKET_TOKEN_RE); the page and its JSON
(`/api/v1/public/tickets/<token>`, docs/openapi.yaml) show the number, service, status, people
ahead, an estimated wait and the number now served in that series, nothing else. A token the
server has not seen may belong to a ticket issued while its kiosk was offline: the page says so
and keeps asking, and shows the ticket once it arrives.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, url_for

from shared.jsonapi import ApiError

from .. import API_PREFIX
from ..db import CentralDB
from ..protocol import TICKET_TOKEN_RE, utc_now_iso
from ..publicview import ticket_status
from .i18n import Texts

# How often the page asks while waiting (ms); it backs off on errors (static/ticket.js).
POLL_MS = 4000

TEXTS = Texts("ticket", {
    "title": ("Tiket antrean {number}", "Queue ticket {number}"),
    "title.unknown": ("Tiket antrean", "Queue ticket"),
    "js.status.waiting": ("Menunggu", "Waiting"),
    "js.status.called": ("Silakan ke loket {counter}", "Please go to counter {counter}"),
    "js.status.done": ("Selesai dilayani", "Served"),
    "js.status.expired": ("Antrean hari itu sudah ditutup", "That day's queue is closed"),
    "js.status.unknown": ("Tiket belum sampai di server", "Ticket not on the server yet"),
    "ahead": ("Orang di depan Anda", "People ahead of you"),
    "wait": ("Perkiraan waktu tunggu", "Estimated wait"),
    "js.wait.minutes": ("± {n} menit", "about {n} min"),
    "js.wait.unknown": ("belum diketahui", "not known yet"),
    "js.wait.next": ("Anda berikutnya", "You are next"),
    "serving": ("Sedang dilayani", "Now serving"),
    "js.serving": ("{number} di loket {counter}", "{number} at counter {counter}"),
    "js.none": ("-", "-"),
    "unknown.body": ("Tiket ini mungkin belum tersinkron: kios sedang offline atau baru saja mencetaknya. "
                     "Halaman ini akan menampilkan tiket Anda begitu sampai di server. Antrean Anda tetap berlaku.",
                     "This ticket may not have synced yet: its kiosk is offline or has just printed it. "
                     "This page shows your ticket as soon as it reaches the server. Your place is kept."),
    "refresh": ("Halaman ini diperbarui sendiri.", "This page refreshes by itself."),
    "js.offline": ("Tidak terhubung ke server; mencoba lagi…", "Not connected to the server; retrying…"),
    "js.updated": ("Diperbarui {time}", "Updated {time}"),
    "survey.ask": ("Bagaimana layanan kami? Isi survei kepuasan (1 menit).",
                   "How did we do? Take the satisfaction survey (1 minute)."),
    "survey.link": ("Isi survei", "Take the survey"),
    "notfound.body": ("Alamat tiket ini tidak dikenal. Pindai lagi QR pada tiket Anda.",
                      "This ticket address is not known. Scan the QR on your ticket again."),
})


def make_blueprint(db: CentralDB, limiter) -> Blueprint:
    bp = Blueprint("ticket", __name__)
    bp.before_request(limiter.guard)
    bp.context_processor(lambda: {"t": TEXTS.t})

    def status_of(token: str) -> dict | None:
        status = ticket_status(db, token)
        if status is None:
            return None
        status.pop("office")
        if status["status"] == "done":
            status["survey_url"] = url_for("phone_survey.form", token=token)
        return status

    @bp.get("/t/<token>")
    def page(token: str):
        if not TICKET_TOKEN_RE.match(token):
            return render_template("notfound.html", body=TEXTS.t("notfound.body")), 404
        status = status_of(token)
        return render_template(
            "ticket.html", token=token, status=status, poll_ms=POLL_MS,
            status_url=url_for("ticket.status_json", token=token), js_texts=TEXTS.all("js."),
        )

    @bp.get(f"{API_PREFIX}/public/tickets/<token>")
    def status_json(token: str):
        if not TICKET_TOKEN_RE.match(token):
            raise ApiError(404, "not_found", "a ticket token is 16-64 characters A-Z, a-z, 0-9, '-' or '_'")
        status = status_of(token)
        if status is None:
            raise ApiError(404, "not_synced", "no ticket with this token has reached the server yet; a ticket "
                                              "issued while its kiosk was offline arrives when the kiosk syncs")
        response = jsonify(**status, server_time=utc_now_iso())
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp
