"""The SKM survey on the phone (`/t/<token>/survey`): the kiosk's nine elements and 1-4 answers
(shared/survey_questions.toml, the one copy), offered on the ticket's page once it is served.

One response per ticket: central/survey.py stores at most one per ticket id (a second answer
gets the thank-you page, nothing is counted twice). No CSRF token: the form carries no session
or cookie authority; what it needs is the ticket's token, which only its holder has, and the
public rate limit caps what one address can send.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from shared.survey_questions import load_questions
from shared.survey_wire import MAX_COMPLAINT, RESPONDENT, SurveyInputError

from .. import survey
from ..db import CentralDB
from ..protocol import TICKET_TOKEN_RE
from ..publicview import ticket_by_token
from .i18n import Texts, current

TEXTS = Texts("phone_survey", {
    "title": ("Survei kepuasan", "Satisfaction survey"),
    "intro": ("Nomor {number}: nilai layanan kami hari ini. Sembilan pertanyaan, jawaban Anda anonim.",
              "Number {number}: rate our service today. Nine questions; your answers are anonymous."),
    "respondent": ("Tentang Anda (boleh dikosongkan)", "About you (optional)"),
    "none": ("-", "-"),
    "complaint": ("Saran atau pengaduan (boleh dikosongkan)", "Suggestion or complaint (optional)"),
    "send": ("Kirim", "Send"),
    "thanks": ("Terima kasih! Jawaban Anda sudah kami terima.", "Thank you! We have received your answers."),
    "already": ("Survei untuk tiket ini sudah diisi. Terima kasih.", "The survey for this ticket has been answered. Thank you."),
    "not_yet": ("Survei dapat diisi setelah Anda selesai dilayani.", "The survey opens once you have been served."),
    "missing": ("Mohon jawab kesembilan pertanyaan.", "Please answer all nine questions."),
    "back": ("Kembali ke tiket", "Back to the ticket"),
    "notfound.body": ("Alamat tiket ini tidak dikenal. Pindai lagi QR pada tiket Anda.",
                      "This ticket address is not known. Scan the QR on your ticket again."),
})


def make_blueprint(db: CentralDB, limiter) -> Blueprint:
    bp = Blueprint("phone_survey", __name__)
    bp.before_request(limiter.guard)
    bp.context_processor(lambda: {"t": TEXTS.t})
    questions = load_questions()

    def page(ticket: dict, token: str, *, state: str, problem: str | None = None, status: int = 200):
        return render_template("survey.html", ticket=ticket, token=token, state=state, problem=problem,
                               questions=questions, lang=current(), max_complaint=MAX_COMPLAINT,
                               form=request.form), status

    def served_ticket(token: str):
        if not TICKET_TOKEN_RE.match(token):
            return None
        return ticket_by_token(db, token)

    @bp.get("/t/<token>/survey")
    def form(token: str):
        ticket = served_ticket(token)
        if ticket is None:
            return render_template("notfound.html", body=TEXTS.t("notfound.body")), 404
        if not ticket["done_at"]:
            return page(ticket, token, state="not_yet")
        if request.args.get("sent"):
            return page(ticket, token, state="thanks")
        if survey_answered(db, ticket["id"]):
            return page(ticket, token, state="already")
        return page(ticket, token, state="form")

    @bp.post("/t/<token>/survey")
    def send(token: str):
        ticket = served_ticket(token)
        if ticket is None:
            return render_template("notfound.html", body=TEXTS.t("notfound.body")), 404
        if not ticket["done_at"]:
            return page(ticket, token, state="not_yet", status=409)
        answers = {}
        for element in questions.elements:
            value = request.form.get(element.key, "")
            if value not in ("1", "2", "3", "4"):
                return page(ticket, token, state="form", problem=TEXTS.t("missing"), status=400)
            answers[element.key] = int(value)
        respondent = {key: request.form[key] for key in RESPONDENT if request.form.get(key)} or None
        complaint = request.form.get("complaint", "").strip() or None
        try:
            new = survey.record_response(db, ticket["office"], answers, source="phone", ticket_id=ticket["id"],
                                         respondent=respondent, complaint=complaint, service=ticket["service"],
                                         lang=current())
        except SurveyInputError as err:
            return page(ticket, token, state="form", problem=str(err), status=400)
        if not new:
            return page(ticket, token, state="already", status=409)
        return redirect(url_for("phone_survey.form", token=token, sent=1), code=303)

    return bp


def survey_answered(db: CentralDB, ticket_id: str) -> bool:
    return db.conn().execute("SELECT 1 FROM survey_responses WHERE ticket_id = ?", (ticket_id,)).fetchone() is not None
