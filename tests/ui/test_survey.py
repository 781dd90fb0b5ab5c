"""The survey (Survei Kepuasan Masyarakat) on the real app under Xvfb, by taps: what reaches the
outbox is what the applicant touched, skipping takes one tap, idle discards, one response per session."""

from __future__ import annotations

import pytest

from kiosk.store import Store
from kiosk.ui.survey import FACE_COLOURS
from shared.survey_wire import ELEMENTS

TILE = "Sudah dilayani? Beri penilaian"
# The score tapped for each element, and the word the kiosk shows for it (shared/survey_questions.toml).
SCORES = [4, 3, 2, 1, 4, 3, 4, 2, 3]
WORDS = ["Sangat sesuai", "Mudah", "Kurang cepat", "Sangat mahal", "Sangat sesuai", "Mampu",
         "Sangat sopan dan ramah", "Ada tetapi tidak berfungsi", "Baik"]


def survey_events(ui):
    with Store(ui.config.store.path) as store:
        return [e.payload for e in store.pending_events(1000) if e.kind == "survey.response"]


def start(ui):
    assert ui.screen == "home"
    ui.tap_text(TILE)
    assert ui.screen == "survey" and ui.has("Survei kepuasan: 1 dari 9")


def answer_elements(ui, count=9):
    for i in range(count):
        assert ui.has(f"Survei kepuasan: {i + 1} dari 9")
        ui.tap_text(WORDS[i], exact=True)
    if count == 9:
        assert ui.screen == "surveyabout"


def type_on_keyboard(ui, text):
    from kiosk.ui.keyboard import SPACE

    kb = ui.current().keyboard
    for ch in text:
        ui.tap(kb.keys[SPACE if ch == " " else ch])


def test_full_response_by_taps_reaches_the_outbox_once(ui):
    start(ui)
    faces = [w for w in ui.widgets() if type(w).__name__ == "Face"]
    assert [f.score for f in faces] == [1, 2, 3, 4]
    # what the applicant sees: four faces in four colours (read back from the GPU)
    for face in faces:
        assert ui.pixel(face)[:3] == tuple(round(c * 255) for c in FACE_COLOURS[face.score][:3])
    answer_elements(ui, 2)
    ui.tap_text("Kembali", exact=True)  # back to element 2: the answer given is shown chosen
    assert ui.has("Survei kepuasan: 2 dari 9") and ui.current().chosen == 3
    ui.tap_text("Kurang mudah", exact=True)  # changed
    for i in range(2, 9):
        ui.tap_text(WORDS[i], exact=True)
    assert ui.screen == "surveyabout"
    service = ui.app.kiosk_config.catalogue.services[1]
    ui.tap_text(service.name_id, exact=True)
    ui.tap_text("Perempuan", exact=True)
    ui.tap_text("SMA", exact=True)
    ui.tap_text("25-34", exact=True)
    ui.tap_text("25-34", exact=True)  # touched again: undone
    ui.tap_text("Lanjut", exact=True)
    assert ui.screen == "surveytext" and ui.has("Ketik saran atau pengaduan Anda di sini")
    type_on_keyboard(ui, "antrean lama")
    assert ui.current().typed == "antrean lama", (ui.current().typed, ui.texts()[:8])
    assert ui.has("antrean lama") and ui.has("12 dari 500 huruf")
    ui.tap_text("Kirim", exact=True)
    ui.settle()
    assert ui.screen == "message" and ui.has("Terima kasih!")
    (event,) = survey_events(ui)
    body = event["response"]
    expected = dict(zip(ELEMENTS, SCORES))
    expected["procedure"] = 2
    assert body["answers"] == expected
    assert body["service"] == service.key and body["respondent"] == {"sex": "female", "education": "sma"}
    assert body["complaint"] == "antrean lama" and body["lang"] == "id" and body["ticket_id"] is None
    assert body["answered_on"] == "2026-11-26"
    assert event["kiosk_id"] == "ui-test" and "ticket" not in event


def test_skip_in_one_tap_at_every_step(ui):
    for answered in (0, 8):
        start(ui)
        answer_elements(ui, answered)
        ui.tap_text("Lewati survei", exact=True)
        assert ui.screen == "home"
    assert survey_events(ui) == []
    # the optional pages skip in one tap each: no respondent data, no complaint
    start(ui)
    answer_elements(ui)
    ui.tap_text("Perempuan", exact=True)
    ui.tap_text("Lewati", exact=True)
    assert ui.screen == "surveytext"
    ui.tap_text("Kirim tanpa saran", exact=True)
    ui.settle()
    (event,) = survey_events(ui)
    assert event["response"]["respondent"] is None and event["response"]["complaint"] is None


def test_one_response_per_session_and_idle_discards(ui):
    start(ui)
    answer_elements(ui, 3)
    ui.idle_for(ui.config.ui.idle_seconds)  # walked away: home, nothing kept
    assert ui.screen == "home"
    start(ui)
    assert ui.current().chosen == 0
    answer_elements(ui)
    ui.tap_text("Lewati", exact=True)
    ui.tap_text("Kirim tanpa saran", exact=True)
    ui.settle()
    ui.tap_text("Selesai", exact=True)
    assert ui.screen == "home"
    ui.tap_text(TILE)  # the same person again
    assert ui.screen == "message" and ui.has("Penilaian sudah tercatat")
    ui.tap_text("Oke", exact=True)
    assert len(survey_events(ui)) == 1
    ui.idle_for(ui.config.ui.idle_seconds + 1)  # the kiosk left alone: the next applicant may answer
    start(ui)


def test_english_and_the_ticket_path_never_meets_the_survey(ui):
    seen = []
    ui.app.sm.bind(current=lambda sm, name: seen.append(name))
    ui.tap_text("English", exact=True)
    ui.tap_text("Already served? Rate us")
    assert ui.has("Satisfaction survey: 1 of 9") and ui.has("Did the required documents fit the service you received?")
    ui.tap_text("Skip the survey", exact=True)
    seen.clear()
    ui.tap_text("Touch")
    ui.settle()
    view = ui.app.snapshot.services[0]
    ui.tap(ui.find(view.name_en or view.name_id, exact=True))
    for row in [w for w in ui.widgets() if w.__class__.__name__ == "DocRow"]:
        if row.doc.mandatory and not row.ticked:
            ui.tap(row)
    ui.tap_text("Take a queue number")
    if ui.screen == "priority":
        ui.tap_text("No, regular queue")
    ui.wait_for(lambda: ui.screen == "ticket", what="ticket screen")
    assert not {"survey", "surveyabout", "surveytext"} & set(seen)


@pytest.mark.parametrize("size", [(480, 800)])
def test_portrait_faces_in_two_rows(make_driver, size):
    ui = make_driver(size=size)
    start(ui)
    faces = [w for w in ui.widgets() if type(w).__name__ == "FaceButton"]
    rows = {round(f.y) for f in faces}
    assert len(rows) == 2 and all(f.width > 150 for f in faces)
