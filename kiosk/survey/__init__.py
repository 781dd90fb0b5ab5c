"""The kiosk's Survei Kepuasan Masyarakat without a screen: questions, one applicant's answers, the event.

The questions and their answer words live in shared/survey_questions.toml (both languages; the
central server's phone survey asks the same), loaded and checked against the wire's element keys
and respondent codes by shared/survey_questions.py. A `SurveySession` holds one applicant's
answers in memory only: nothing is written until they send, so walking away
(idle) or skipping discards everything. `send` writes one outbox event `survey.response` in one
transaction; the agent delivers it exactly once like any other event. `SurveyGate` allows one
response per applicant session on this kiosk. No Kivy here (kiosk/ui/survey.py is the screen).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from shared import survey_wire
from shared.survey_questions import (  # noqa: F401 - the kiosk's names for them (kiosk/ui/survey.py, tests)
    LANGS,
    QUESTIONS,
    Element,
    Questions,
    QuestionsError,
    RespondentField,
    load_questions,
)
from shared.survey_wire import ELEMENTS, RESPONDENT, SurveyInputError, check_response, clean_complaint

if TYPE_CHECKING:
    from ..store import Store

KIND = survey_wire.KIND
MAX_COMPLAINT = survey_wire.MAX_COMPLAINT


@dataclass
class SurveySession:
    """One applicant's answers; in memory until `body()` is sent."""

    answers: dict[str, int] = field(default_factory=dict)
    respondent: dict[str, str] = field(default_factory=dict)
    service: str | None = None
    complaint: str | None = None
    ticket_id: str | None = None
    sent: bool = False

    def answer(self, element: str, score: int) -> None:
        if element not in ELEMENTS:
            raise SurveyInputError(f"unknown element {element!r}")
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 4:
            raise SurveyInputError(f"{element}: score must be 1-4, not {score!r}")
        self.answers[element] = score

    def choose(self, key: str, code: str | None) -> None:
        """Set (or, with None or the same code again, clear) one respondent field."""
        if key not in RESPONDENT or (code is not None and code not in RESPONDENT[key]):
            raise SurveyInputError(f"respondent.{key}: {code!r} is not a choice")
        if code is None or self.respondent.get(key) == code:
            self.respondent.pop(key, None)
        else:
            self.respondent[key] = code

    def set_complaint(self, text: str | None) -> None:
        text = clean_complaint(text)
        problem = survey_wire.complaint_problem(text)
        if problem:
            raise SurveyInputError(problem)
        self.complaint = text

    @property
    def complete(self) -> bool:
        return all(e in self.answers for e in ELEMENTS)

    def next_element(self) -> str | None:
        return next((e for e in ELEMENTS if e not in self.answers), None)

    def body(self, answered_on: date, lang: str) -> dict:
        """The event body, checked by the same rules the server applies."""
        if not self.complete:
            raise SurveyInputError(f"not every element is answered (next: {self.next_element()})")
        return check_response({
            "answers": {e: self.answers[e] for e in ELEMENTS},
            "answered_on": answered_on.isoformat(),
            "service": self.service,
            "respondent": dict(self.respondent) or None,
            "complaint": self.complaint,
            "ticket_id": self.ticket_id,
            "lang": lang,
        })


def send(store: Store, kiosk_id: str, body: dict, created_at: datetime) -> str:
    """Queue one checked response in the outbox; returns its event id."""
    check_response(body)
    with store.transaction():
        return store.add_kiosk_event(KIND, kiosk_id, body, created_at.isoformat(timespec="milliseconds"))


class SurveyGate:
    """One response per applicant session on this kiosk: after a response, the next one may start
    only once the kiosk has been left untouched for `quiet_s` (ui.idle_seconds: the same quiet
    spell that ends a session), so one person cannot stuff the index by tapping through again.
    Times are monotonic seconds; `touched` is called for every accepted touch."""

    def __init__(self, quiet_s: float):
        self.quiet_s = quiet_s
        self._answered_at: float | None = None
        self._last = float("-inf")

    def touched(self, now: float) -> None:
        if self._answered_at is not None and now - self._last >= self.quiet_s:
            self._answered_at = None  # a quiet spell since the response: a new applicant
        self._last = max(self._last, now)

    def may_start(self, now: float) -> bool:
        self.touched(now)
        return self._answered_at is None

    def answered(self, now: float) -> None:
        self._answered_at = now
        self._last = max(self._last, now)
