"""The survey response as it travels: the outbox event `survey.response` and what the central
server stores. One copy of the rules, run by the kiosk before it queues a response and by the
central server before it stores one (a malformed response is refused for good and quarantined).

The response is anonymous: nine scores, an optional service key, the optional respondent data of
the PermenPAN-RB 14/2017 form as *coded choices* (never free text, so nothing identifying can ride
along), one optional complaint text, and a ticket id only when the applicant chose to link it.
"""

from __future__ import annotations

import re
import unicodedata

KIND = "survey.response"
BODY_KEY = "response"  # the event's body key: kind's last part (kiosk Store.add_kiosk_event)

# U1-U9 in the regulation's order; central/ikm.py holds the same tuple (a test keeps them equal).
ELEMENTS = (
    "requirements", "procedure", "service_time", "cost", "product",
    "competence", "behaviour", "complaints", "facilities",
)
LOWEST, HIGHEST = 1, 4

# The form's respondent data as choices (codes; the words are the kiosk's and the reports').
RESPONDENT = {
    "age_band": ("17-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "sex": ("male", "female"),
    "education": ("sd", "smp", "sma", "diploma", "s1", "s2", "s3"),
    "occupation": ("pns", "tni", "polri", "swasta", "wirausaha", "pelajar", "lainnya"),
}
SOURCES = ("kiosk", "phone", "staff")
MAX_COMPLAINT = 500
MAX_ID = 128
SERVICE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DAY_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
# Spaces and line breaks a person types are fine; other control and format characters, private
# use, surrogates and unassigned code points are not text a person wrote.
_ALLOWED_SPACE = {" ", "\n"}


class SurveyInputError(ValueError):
    """A response that may not be stored or sent; the message names the field and why."""


def answers_problem(answers) -> str | None:
    if not isinstance(answers, dict):
        return "answers must be an object of the nine elements"
    unknown = sorted(str(k)[:40] for k in answers if k not in ELEMENTS)
    if unknown:
        return f"answers: unknown element(s) {', '.join(unknown[:5])}"
    missing = [e for e in ELEMENTS if e not in answers]
    if missing:
        return f"answers: missing element(s) {', '.join(missing)}"
    for element in ELEMENTS:
        v = answers[element]
        if isinstance(v, bool) or not isinstance(v, int) or not LOWEST <= v <= HIGHEST:
            return f"answers.{element} must be a whole number {LOWEST}-{HIGHEST}, not {str(v)[:20]!r}"
    return None


def respondent_problem(respondent) -> str | None:
    if respondent is None:
        return None
    if not isinstance(respondent, dict):
        return "respondent must be an object or null"
    for key, value in respondent.items():
        if key not in RESPONDENT:
            return f"respondent: unknown field {str(key)[:40]!r} (allowed: {', '.join(RESPONDENT)})"
        if value is not None and value not in RESPONDENT[key]:
            return f"respondent.{key} must be one of {', '.join(RESPONDENT[key])} or null"
    return None


def complaint_problem(text) -> str | None:
    if text is None:
        return None
    if not isinstance(text, str):
        return "complaint must be text or null"
    if len(text) > MAX_COMPLAINT:
        return f"complaint is {len(text)} characters, at most {MAX_COMPLAINT}"
    for i, ch in enumerate(text):
        if ch not in _ALLOWED_SPACE and unicodedata.category(ch)[0] in "CZ":
            return f"complaint: character {i + 1} (U+{ord(ch):04X}) is not allowed"
    return None


def clean_complaint(text: str | None) -> str | None:
    """The complaint as stored: trimmed, runs of spaces kept as typed; empty means none."""
    if text is None:
        return None
    text = text.strip()
    return text or None


def response_problem(body) -> str | None:
    """Why this event body (`{"answers", "service", "respondent", "complaint", "ticket_id", "answered_on",
    "lang"}`) cannot be stored, or None. Unknown top-level fields are tolerated (a newer kiosk)."""
    if not isinstance(body, dict):
        return f"{BODY_KEY} must be a JSON object"
    problem = answers_problem(body.get("answers"))
    if problem:
        return problem
    if not (isinstance(body.get("answered_on"), str) and DAY_RE.match(body["answered_on"])):
        return "answered_on must be a date YYYY-MM-DD"
    service = body.get("service")
    if service is not None and not (isinstance(service, str) and SERVICE_RE.match(service)):
        return "service must be a service key (a-z, 0-9, '-', '_', at most 64) or null"
    ticket_id = body.get("ticket_id")
    if ticket_id is not None and not (isinstance(ticket_id, str) and 0 < len(ticket_id) <= MAX_ID
                                      and ticket_id.isprintable()):
        return f"ticket_id must be 1-{MAX_ID} printable characters or null"
    lang = body.get("lang")
    if lang is not None and not (isinstance(lang, str) and LANG_RE.match(lang)):
        return "lang must be a language code (2-3 letters a-z) or null"
    return respondent_problem(body.get("respondent")) or complaint_problem(body.get("complaint"))


def check_response(body) -> dict:
    problem = response_problem(body)
    if problem:
        raise SurveyInputError(problem)
    return body
