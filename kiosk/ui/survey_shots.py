"""The survey's screens in a known state, for `kiosk screenshots` and the text-overflow test
(added to kiosk.ui.shots.STATES). Sample answers only: nothing is sent."""

from __future__ import annotations

from ..survey import SurveySession


def _fresh(app) -> SurveySession:
    app.survey.session = SurveySession()
    return app.survey.session


def _element(index: int, chosen: int = 0):
    def setup(app):
        session = _fresh(app)
        for element in app.survey.questions.elements[:index]:
            session.answer(element.key, 3)
        if chosen:
            session.answer(app.survey.questions.elements[index].key, chosen)
        app.survey.show_element(index)

    return setup


def _about(app):
    session = _fresh(app)
    for element in app.survey.questions.elements:
        session.answer(element.key, 4)
    session.service = app.kiosk_config.catalogue.services[0].key
    session.choose("sex", "female")
    session.choose("education", "s1")
    app.show("surveyabout")


def _text(app):
    _about(app)
    scr = app.show("surveytext")
    scr.keyboard.text = "Antrean di loket B lama, mohon ditambah petugas pada jam sibuk."


def _thanks(app):
    app.show("message", title_key="survey.thanks_title", body_key="survey.thanks_body",
             buttons=[("common.done", lambda: None)])


STATES = [
    ("survey-element", _element(0)),
    ("survey-element-chosen", _element(6, chosen=4)),  # the longest answer words
    ("survey-about", _about),
    ("survey-complaint", _text),
    ("survey-thanks", _thanks),
]
