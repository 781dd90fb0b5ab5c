"""The survey on the touchscreen (Survei Kepuasan Masyarakat): offered from the home screen's tile,
never on the way from the applicant to the ticket.

Screens: `survey` (the nine elements, one per page, four large faces with the element's own words),
`surveyabout` (the optional respondent data and the service used, one tap per choice), `surveytext`
(one optional complaint on the on-screen keyboard). Every page leaves in one tap; idle goes home
and the answers, held only in memory (kiosk.survey.SurveySession), are gone. Sending writes one
outbox event on the worker; `SurveyGate` allows one response per session. Looks: screens/survey*.kv.
"""

from __future__ import annotations

import logging

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.graphics import Color, Ellipse, Line
from kivy.properties import BooleanProperty, DictProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from ..locale import both
from ..survey import MAX_COMPLAINT, QuestionsError, SurveyGate, SurveySession, load_questions, send
from .screens import KioskScreen

log = logging.getLogger("kiosk.ui.survey")
SCREENS = ("survey", "surveyabout", "surveytext")
INK = (0.07, 0.07, 0.07, 1)
# Red to green, and the mouth says it too (colour is not the only cue).
FACE_COLOURS = {1: (0.91, 0.36, 0.30, 1), 2: (0.98, 0.70, 0.30, 1), 3: (0.72, 0.86, 0.40, 1), 4: (0.35, 0.78, 0.42, 1)}
KEY_HEIGHT = 36
KEY_HEIGHT_PORTRAIT = 56  # a portrait screen has the room
SHOWN_CHARS = 40  # one line with the count on a 800 px screen
MOUTH_CURVE = {1: -1.0, 2: -0.4, 3: 0.45, 4: 1.0}  # < 0 frown, > 0 smile


def app():
    return App.get_running_app()


class Face(Widget):
    """A face for a score 1-4, drawn on the canvas (no image files): frown to broad smile."""

    score = NumericProperty(3)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, score=self._draw)
        self._draw()

    def _draw(self, *args):
        self.canvas.clear()
        d = min(self.width, self.height)
        if d <= 2:
            return
        score = int(self.score) if int(self.score) in FACE_COLOURS else 3
        cx, cy = self.center
        r = d / 2
        eye_w, eye_h = d * 0.09, d * 0.12
        mouth_w, mouth_y, depth = r * 0.5, cy - r * 0.38, r * 0.28 * MOUTH_CURVE[score]
        with self.canvas:
            Color(*FACE_COLOURS[score])
            Ellipse(pos=(cx - r, cy - r), size=(d, d))
            Color(*INK)
            Line(circle=(cx, cy, r - 1), width=max(1.0, d * 0.02))
            for side in (-1, 1):
                Ellipse(pos=(cx + side * r * 0.36 - eye_w / 2, cy + r * 0.18 - eye_h / 2), size=(eye_w, eye_h))
            # the corners sit at mouth_y; the middle dips for a smile and rises for a frown
            Line(bezier=(cx - mouth_w, mouth_y + depth / 2, cx, mouth_y - depth * 1.5, cx + mouth_w, mouth_y + depth / 2),
                 width=max(1.5, d * 0.035), cap="round")


class FaceButton(ButtonBehavior, BoxLayout):
    """One answer: the face and the element's word for that score (look: screens/survey.kv)."""

    score = NumericProperty(1)
    word = StringProperty("")
    chosen = BooleanProperty(False)

    def on_release(self):
        app().survey.answer(self.score)


class ChoiceChip(ButtonBehavior, BoxLayout):
    """One choice of the respondent data or the service (look: screens/surveyabout.kv)."""

    field = StringProperty("")
    code = StringProperty("")
    texts = DictProperty({})
    chosen = BooleanProperty(False)

    def on_release(self):
        app().survey.choose(self.field, self.code)


class SurveyFlow:
    """The survey's state and navigation for the App (`app.survey`)."""

    def __init__(self, kiosk_app):
        self.app = kiosk_app
        self.gate = SurveyGate(kiosk_app.kiosk_config.ui.idle_seconds)
        self.session: SurveySession | None = None
        self.index = 0
        self._questions = None
        self._watching = False

    @property
    def questions(self):
        if self._questions is None:
            self._questions = load_questions()
        return self._questions

    def touched(self, now: float) -> None:
        self.gate.touched(now)

    def _screen_changed(self, sm, current):
        if current not in SCREENS and self.session is not None and current != "message":
            self.session = None  # idle, lock, skip: nothing given so far is kept

    def start(self):
        """The home tile: the first element, or "already recorded" for the same session."""
        a = self.app
        if not self._watching:
            a.sm.bind(current=self._screen_changed)
            self._watching = True
        if not self.gate.may_start(a.monotonic()):
            a.show("message", title_key="survey.already_title", body_key="survey.already_body",
                   buttons=[("common.ok", a.go_home)])
            return
        try:
            questions = self.questions  # the file is read once, at the first start
        except QuestionsError as err:
            log.error("the survey cannot start: %s", err)
            a.show("message", title_key="error.title", body_key="error.body", buttons=[("common.ok", a.go_home)])
            return
        self.session = SurveySession()
        log.info("survey started (%d elements)", len(questions.elements))
        self.show_element(0)

    def show_element(self, index: int):
        self.index = index
        self.app.show("survey", index=index)

    def answer(self, score: int):
        if self.session is None:
            return
        element = self.questions.elements[self.index]
        self.session.answer(element.key, score)
        if self.index + 1 < len(self.questions.elements):
            self.show_element(self.index + 1)
        else:
            self.app.show("surveyabout")

    def back(self):
        """One page back; from the first element, home (the session's language kept)."""
        current = self.app.current
        if current == "surveytext":
            self.app.show("surveyabout")
        elif current == "surveyabout":
            self.show_element(len(self.questions.elements) - 1)
        elif self.index > 0:
            self.show_element(self.index - 1)
        else:
            self.skip()

    def skip(self):
        """Leave the survey in one tap: nothing is sent."""
        self.session = None
        self.app.go_home(end_session=False)

    def choose(self, field: str, code: str):
        if self.session is None:
            return
        if field == "service":
            self.session.service = None if self.session.service == code else code
        else:
            self.session.choose(field, code)
        self.app.screen("surveyabout").refresh_chosen()

    def about_done(self, keep: bool):
        if self.session is None:
            return
        if not keep:
            self.session.respondent.clear()
            self.session.service = None
        self.app.show("surveytext")

    def send(self, complaint: str | None):
        """Queue the response (once: a second tap finds it sent) and thank the applicant."""
        session, a = self.session, self.app
        if session is None or session.sent or not session.complete:
            return
        session.set_complaint(complaint)
        session.sent = True
        lang = a.lang

        def job(lobby):
            body = session.body(lobby.issuer.service_day(), lang)
            return send(lobby.store, lobby.config.kiosk.id, body, lobby.clock.now())

        a.call(job, on_done=self._sent)

    def _sent(self, event_id):
        log.info("survey response queued as event %s", event_id)
        self.gate.answered(self.app.monotonic())  # only a stored response closes the session's survey
        self.session = None
        self.app.show("message", title_key="survey.thanks_title", body_key="survey.thanks_body",
                      buttons=[("common.done", self.app.go_home)])


class SurveyScreen(KioskScreen):
    """One element: its question and four faces."""

    index = NumericProperty(0)
    element = ObjectProperty(None, allownone=True)
    chosen = NumericProperty(0)

    def prepare(self, index: int = 0, **kwargs) -> bool:
        flow = app().survey
        self.element = flow.questions.elements[index]
        self.index = index
        self.chosen = flow.session.answers.get(self.element.key, 0) if flow.session else 0
        return False

    def count_text(self, *deps) -> str:
        return app().t("survey.title", n=self.index + 1, total=len(app().survey.questions.elements))

    def text(self, what: str, *deps) -> str:
        if self.element is None:
            return ""
        return getattr(self.element, what)(app().lang)

    def word(self, score: int, *deps) -> str:
        return self.element.answer(score, app().lang) if self.element else ""


class SurveyaboutScreen(KioskScreen):
    """The optional data of the regulation's form and the service used."""

    def prepare(self, **kwargs) -> bool:
        a = app()
        box = self.ids.sections
        box.clear_widgets()
        if not hasattr(self, "_headings"):
            a.bind(lang=self._retitle)
        self._headings = []
        services = [(s.key, {"id": s.name_id, "en": s.name_en or s.name_id}) for s in a.kiosk_config.catalogue.services]
        fields = [("service", dict(zip(("id", "en"), both("survey.service"))), services)]
        fields += [(f.key, f.titles, [(code, {lang: f.label(code, lang) for lang in ("id", "en")}) for code in f.choices])
                   for f in a.survey.questions.respondent]
        for key, titles, choices in fields:
            heading = Factory.SurveyHeading()
            heading.titles = titles
            self._headings.append(heading)
            box.add_widget(heading)
            grid = Factory.ChipGrid(cols=2 if key == "service" else 4)
            for code, texts in choices:
                grid.add_widget(Factory.ChoiceChip(field=key, code=code, texts=texts))
            box.add_widget(grid)
        self.refresh_chosen()
        self._retitle()
        return False

    def _retitle(self, *args):
        lang = app().lang
        for heading in self._headings:
            heading.text = heading.titles.get(lang) or heading.titles["id"]

    def refresh_chosen(self):
        session = app().survey.session
        for chip in self.walk(restrict=True):
            if isinstance(chip, ChoiceChip):
                picked = (session.service if chip.field == "service" else session.respondent.get(chip.field)) if session else None
                chip.chosen = picked == chip.code


class SurveytextScreen(KioskScreen):
    """One optional complaint or suggestion, typed on the kiosk's own keyboard."""

    max_length = NumericProperty(MAX_COMPLAINT)
    typed = StringProperty("")

    def prepare(self, **kwargs) -> bool:
        from .keyboard import OnScreenKeyboard

        a = app()
        holder = self.ids.keyboard_box
        if not holder.children:
            self.keyboard = OnScreenKeyboard(layout="text", max_length=MAX_COMPLAINT)
            self.keyboard.bind(text=lambda kb, value: setattr(self, "typed", value))
            holder.add_widget(self.keyboard)
            fit = Clock.create_trigger(self._fit_captions, 0)
            self.keyboard.bind(size=fit, upper=fit)
            a.bind(lang=fit, large=fit, s=fit, portrait=fit)
        self._fit_captions()
        session = a.survey.session
        self.keyboard.text = (session.complaint or "") if session else ""
        return False

    def _fit_captions(self, *args):
        """Five rows of keys, the text and the buttons on 480 px: every key at this page's height."""
        kb = self.keyboard
        kb.key_height = app().s * (KEY_HEIGHT_PORTRAIT if app().portrait else KEY_HEIGHT)  # re-lays the rows

    def shown_text(self, *deps) -> str:
        a = app()
        if not self.typed:
            return a.t("survey.note_hint")
        tail = self.typed if len(self.typed) <= SHOWN_CHARS else "\u2026" + self.typed[-SHOWN_CHARS:]
        return f"{tail}   ({a.t('survey.note_count', n=len(self.typed), max=MAX_COMPLAINT)})"

    def send(self, with_text: bool):
        app().survey.send(self.typed if with_text else None)
