"""kiosk/survey: the questions file, one applicant's answers, the outbox event, one response per session."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from kiosk.store import Store
from kiosk.survey import QUESTIONS, QuestionsError, SurveyGate, SurveySession, load_questions, send
from shared.survey_wire import ELEMENTS, RESPONDENT, SurveyInputError

DAY = date(2026, 11, 26)
AT = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)


def test_questions_cover_the_nine_elements_in_both_languages():
    q = load_questions()
    assert tuple(e.key for e in q.elements) == ELEMENTS
    assert q.element("cost").answer(4, "id") == "Gratis / sesuai tarif resmi"
    assert q.element("cost").answer(1, "en") == "Very expensive"
    assert {f.key for f in q.respondent} == set(RESPONDENT)
    assert q.respondent[1].label("female", "id") == "Perempuan"


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('key = "cost"', 'key = "price"'), "elements must be, in this order"),
    (lambda t: t.replace('"Murah", "Gratis / sesuai tarif resmi"]', '"Murah"]'), r"elements\[3\]: answers_id must list 4"),
    (lambda t: t.replace('question_en = "Was the fee you paid fair?"', ''), r"elements\[3\]: question_en must be"),
    (lambda t: t.replace('choices = ["male", "female"]', 'choices = ["m", "f"]'), r"respondent\[1\]: choices must be"),
    (lambda t: t + "[[elements\n", "questions.toml"),
])
def test_a_questions_file_that_does_not_fit_says_where(tmp_path, edit, message):
    path = tmp_path / "questions.toml"
    path.write_text(edit(QUESTIONS.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(QuestionsError, match=message):
        load_questions(path)


def test_session_checks_each_answer_and_builds_the_body():
    s = SurveySession()
    with pytest.raises(SurveyInputError):
        s.answer("cost", 5)
    with pytest.raises(SurveyInputError):
        s.answer("parking", 3)
    for i, e in enumerate(ELEMENTS):
        with pytest.raises(SurveyInputError, match=f"next: {e}"):
            s.body(DAY, "id")
        s.answer(e, i % 4 + 1)
    s.answer("cost", 2)  # a changed answer replaces the first
    s.choose("sex", "female")
    s.choose("age_band", "25-34")
    s.choose("age_band", "25-34")  # the same choice again clears it
    with pytest.raises(SurveyInputError):
        s.choose("name", "Budi")
    s.set_complaint("  Toilet kotor  ")
    with pytest.raises(SurveyInputError, match="at most 500"):
        s.set_complaint("x" * 501)
    body = s.body(DAY, "en")
    assert body["answers"]["cost"] == 2 and body["answers"]["requirements"] == 1 and len(body["answers"]) == 9
    assert body["respondent"] == {"sex": "female"} and body["complaint"] == "Toilet kotor"
    assert (body["answered_on"], body["lang"], body["ticket_id"], body["service"]) == ("2026-11-26", "en", None, None)


def test_send_queues_one_anonymous_event(tmp_path):
    s = SurveySession(service="paspor-baru-dewasa")
    for e in ELEMENTS:
        s.answer(e, 3)
    with Store(tmp_path / "k.db") as store:
        event_id = send(store, "kiosk-1", s.body(DAY, "id"), AT)
        (event,) = store.pending_events(10)
    assert event.event_id == event_id and event.kind == "survey.response" and event.ticket_id is None
    payload = event.payload if isinstance(event.payload, dict) else json.loads(event.payload)
    assert payload["response"]["answers"] == dict.fromkeys(ELEMENTS, 3)
    assert payload["response"]["service"] == "paspor-baru-dewasa"
    assert payload["created_at"] == "2026-11-26T03:00:00.000+00:00"
    bad = {**s.body(DAY, "id"), "complaint": "a\x07b"}
    with Store(tmp_path / "k.db") as store, pytest.raises(SurveyInputError):
        send(store, "kiosk-1", bad, AT)


def test_gate_one_response_per_session():
    gate = SurveyGate(quiet_s=45)
    assert gate.may_start(100)
    gate.answered(160)
    assert not gate.may_start(170)  # the same person tapping the tile again
    gate.touched(200)
    assert not gate.may_start(240)  # touches in between: still the same session
    assert gate.may_start(240 + 45)  # untouched for 45 s: the next applicant
