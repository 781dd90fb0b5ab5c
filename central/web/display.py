"""The lobby display (`/display/<office>`): a full-screen page for a TV in the waiting room.

It asks `/api/v1/offices/<office>/display` every second (static/display.js) and shows the latest
call at each counter and the last few calls; a new call (a ticket's `called_at` or `counter`
changed, so a recall is a new call too) flashes, plays the chime and then the call spoken,
rendered on the server (central/web/audio.py). Polling, not a held connection: through a server
restart the page just gets errors for a while, shows that it is reconnecting, and carries on.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from shared.jsonapi import ApiError

from .. import API_PREFIX
from ..db import CentralDB
from ..protocol import office_problem, utc_now_iso
from ..publicview import display_state
from . import audio
from .i18n import LANGS, Texts

POLL_MS = 1000
NUMBER_RE = re.compile(r"^[A-Z]{1,8}[0-9]{1,6}$")
COUNTER_RE = re.compile(r"^[A-Za-z0-9._:-]{1,32}$")

TEXTS = Texts("display", {
    "title": ("Layar antrean {office}", "Queue display {office}"),
    "js.calling": ("Nomor antrean", "Now calling"),
    "js.to_counter": ("Loket {counter}", "Counter {counter}"),
    "js.waiting_first": ("Belum ada panggilan", "No calls yet"),
    "counters": ("Loket", "Counters"),
    "recent": ("Panggilan terakhir", "Last calls"),
    "js.reconnecting": ("Menghubungkan ulang ke server…", "Reconnecting to the server…"),
    "sound.enable": ("Klik untuk menyalakan suara", "Click to turn the sound on"),
    "notfound.body": ("Kode kantor tidak valid.", "Not a valid office code."),
})


def make_blueprint(db: CentralDB, limiter) -> Blueprint:
    bp = Blueprint("display", __name__)
    bp.before_request(limiter.guard)
    bp.context_processor(lambda: {"t": TEXTS.t})

    @bp.get("/display/<office>")
    def page(office: str):
        if office_problem(office):
            return render_template("notfound.html", body=TEXTS.t("notfound.body")), 404
        return render_template(
            "display.html", office=office, poll_ms=POLL_MS, js_texts=TEXTS.all("js."),
            state_url=url_for("display.state_json", office=office),
            audio_url=url_for("display.call_audio", number="NUMBER", counter="COUNTER"),
            chime_url=url_for("display.chime"),
        )

    @bp.get(f"{API_PREFIX}/offices/<office>/display")
    def state_json(office: str):
        problem = office_problem(office)
        if problem:
            raise ApiError(404, "not_found", problem)
        response = jsonify(**display_state(db, office), server_time=utc_now_iso())
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/display/audio/<number>/<counter>.wav")
    def call_audio(number: str, counter: str):
        lang = request.args.get("lang", "id")
        if not NUMBER_RE.match(number) or not COUNTER_RE.match(counter) or lang not in LANGS:
            raise ApiError(404, "not_found", "no such call")
        try:
            wav = audio.call_wav(number, counter, lang)
        except audio.SpeechUnavailable as err:
            raise ApiError(503, "speech_unavailable", str(err)) from None
        response = Response(wav, mimetype="audio/wav")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    @bp.get("/display/chime.wav")
    def chime():
        response = Response(audio.CHIME, mimetype="audio/wav")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    return bp
