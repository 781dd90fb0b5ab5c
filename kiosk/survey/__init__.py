"""The kiosk's Survei Kepuasan Masyarakat without a screen: questions, one applicant's answers, the event.

The questions and their answer words live in `questions.toml` (both languages), checked against
the wire's element keys and respondent codes (shared/survey_wire.py) when loaded. A `SurveySession`
holds one applicant's answers in memory only: nothing is written until they send, so walking away
(idle) or skipping discards everything. `send` writes one outbox event `survey.response` in one
transaction; the agent delivers it exactly once like any other event. `SurveyGate` allows one
response per applicant session on this kiosk. No Kivy here (kiosk/ui/survey.py is the screen).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from shared import survey_wire
from shared.survey_wire import ELEMENTS, RESPONDENT, SurveyInputError, check_response, clean_complaint

from ..store import Store

KIND = survey_wire.KIND
QUESTIONS = Path(__file__).with_name("questions.toml")
MAX_COMPLAINT = survey_wire.MAX_COMPLAINT
LANGS = ("id", "en")


class QuestionsError(ValueError):
    """questions.toml does not say what the survey needs; the message names the entry."""


@dataclass(frozen=True)
class Element:
    key: str
    titles: dict[str, str]
    questions: dict[str, str]
    answers: dict[str, tuple[str, ...]]  # lang -> the four words, score 1..4

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["id"]

    def question(self, lang: str) -> str:
        return self.questions.get(lang) or self.questions["id"]

    def answer(self, score: int, lang: str) -> str:
        return (self.answers.get(lang) or self.answers["id"])[score - 1]


@dataclass(frozen=True)
class RespondentField:
    key: str
    titles: dict[str, str]
    choices: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["id"]

    def label(self, code: str, lang: str) -> str:
        return (self.labels.get(lang) or self.labels["id"])[self.choices.index(code)]


@dataclass(frozen=True)
class Questions:
    elements: tuple[Element, ...]
    respondent: tuple[RespondentField, ...]

    def element(self, key: str) -> Element:
        return next(e for e in self.elements if e.key == key)


def _texts(entry: dict, where: str, name: str, count: int | None = None) -> dict:
    out = {}
    for lang in LANGS:
        value = entry.get(f"{name}_{lang}")
        if count is None:
            if not (isinstance(value, str) and value.strip()):
                raise QuestionsError(f"{where}: {name}_{lang} must be a non-empty text")
            out[lang] = value
        else:
            if not (isinstance(value, list) and len(value) == count and all(isinstance(v, str) and v.strip() for v in value)):
                raise QuestionsError(f"{where}: {name}_{lang} must list {count} non-empty texts")
            out[lang] = tuple(value)
    return out


def load_questions(path: Path | str = QUESTIONS) -> Questions:
    """The survey's questions; QuestionsError names the file and entry when they do not fit the wire."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise QuestionsError(f"{path.name}: {err}") from None
    raw_elements = data.get("elements")
    if not isinstance(raw_elements, list):
        raise QuestionsError(f"{path.name}: [[elements]] missing")
    keys = [e.get("key") if isinstance(e, dict) else None for e in raw_elements]
    if tuple(keys) != ELEMENTS:
        raise QuestionsError(f"{path.name}: elements must be, in this order: {', '.join(ELEMENTS)} (found {keys})")
    elements = tuple(
        Element(e["key"], _texts(e, f"{path.name}: elements[{i}]", "title"),
                _texts(e, f"{path.name}: elements[{i}]", "question"),
                _texts(e, f"{path.name}: elements[{i}]", "answers", 4))
        for i, e in enumerate(raw_elements))
    fields = []
    for i, r in enumerate(data.get("respondent") or []):
        where = f"{path.name}: respondent[{i}]"
        key = r.get("key") if isinstance(r, dict) else None
        if key not in RESPONDENT:
            raise QuestionsError(f"{where}: key must be one of {', '.join(RESPONDENT)}")
        if tuple(r.get("choices") or ()) != RESPONDENT[key]:
            raise QuestionsError(f"{where}: choices must be {', '.join(RESPONDENT[key])}")
        fields.append(RespondentField(key, _texts(r, where, "title"), RESPONDENT[key],
                                      _texts(r, where, "labels", len(RESPONDENT[key]))))
    return Questions(elements, tuple(fields))


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
