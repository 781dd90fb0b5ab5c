"""Voice mode: spoken guidance on the live touchscreen (issue 13), for one applicant at a time.

Turned on by the "Suara / Voice" button on home or a long press (LONG_PRESS_S) anywhere on home;
ended with the session (`KioskApp.end_session`: "Selesai", idle return, the staff gesture). While on:

- every screen shown is announced: its title and purpose (`screen_speech`);
- a touch on a button or tile speaks its label and state and arms it (a focus frame is drawn round
  it); a second touch on it within ARM_S activates it as a plain tap would (the screen-reader
  pattern). The first touch never reaches the widget. Any `ButtonBehavior` widget qualifies, so a new
  screen's buttons need no code (docs/ui.md, "Voice mode");
- a touch elsewhere repeats the screen's announcement and goes on as usual (scrolling a list);
- a drag that starts on a button scrolls the list the button is in (the first touch is voice mode's);
- "Still there?" is spoken when it shows.

The interception happens once, in KioskRoot (kioskapp.py), before any screen sees the touch.
Speaking is `Speaker.speak`, which only hands the text to the speech thread: nothing here waits for
espeak-ng or the sound card, and a missing sound card is silence (plus `kiosk doctor`'s warning).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.uix.behaviors import ButtonBehavior, ToggleButtonBehavior
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from .. import locale

ARM_S = 5.0  # a second touch on the same button within this many seconds activates it
LONG_PRESS_S = 2.0  # a press this long anywhere on home turns voice mode on
DRAG_PX = 20  # (x app.s) a voice touch that moves this far is a scroll, not a touch to hear
# In voice mode the ticket screen stays at least this long: its announcement alone takes ~20 s.
TICKET_S = 45
TITLE_IDS = ("titlebar", "title")  # where a screen without `spoken_title` keeps its title


def _said(obj, name: str) -> str:
    """`obj.name` as text: a string property, or a method returning one; "" when absent."""
    value = getattr(obj, name, None)
    if callable(value):
        value = value()
    return value if isinstance(value, str) else ""


def clean(text: str) -> str:
    """Screen text as a sentence for espeak-ng: bullets and separators become pauses."""
    for mark in ("•", "·"):
        text = text.replace(mark, ",")
    lines = [" ".join(line.split()).strip(" ,") for line in text.splitlines()]
    return " ".join(line if line[-1] in ".?!:" else line + "." for line in lines if line)


def join(parts) -> str:
    """Texts as one utterance, each a sentence."""
    return " ".join(filter(None, (clean(part) for part in parts)))


def has_text(lang: str, key: str) -> bool:
    return locale.translations(lang).gettext(key) != key


def visible(widget) -> bool:
    return widget.opacity > 0 and widget.width > 0 and widget.height > 0


def widget_label(widget) -> str:
    """What a button or tile says: its `speech`, else the texts of its visible labels in order."""
    own = _said(widget, "speech")
    if own:
        return clean(own)
    texts = []

    def visit(w):
        if w.opacity <= 0:
            return
        if isinstance(w, Label) and w.text:
            texts.append(w.text)
        for child in reversed(w.children):
            visit(child)

    visit(widget)
    return join(texts)


def widget_state(widget, lang: str) -> str:
    """Its state in words: `spoken_state`, else unavailable / selected / ticked from its properties."""
    own = _said(widget, "spoken_state")
    if own:
        return own
    if widget.disabled:
        return locale.t(lang, "voice.state_unavailable")
    if isinstance(widget, ToggleButtonBehavior):
        return locale.t(lang, "voice.state_selected" if widget.state == "down" else "voice.state_unselected")
    ticked = getattr(widget, "ticked", None)
    if isinstance(ticked, bool):
        return locale.t(lang, "voice.state_ticked" if ticked else "voice.state_unticked")
    return ""


def screen_texts(screen, skip=()) -> list[str]:
    """The visible texts of a screen that are not on a button, in reading order (`skip`: widgets left out)."""
    texts = []

    def visit(w):
        if w.opacity <= 0 or w in skip or isinstance(w, ButtonBehavior):
            return
        if isinstance(w, Label) and w.text:
            texts.append(w.text)
        for child in reversed(w.children):
            visit(child)

    visit(screen)
    return texts


def screen_speech(screen, lang: str) -> str:
    """Title, purpose and how to use it: `spoken_title` (else the `titlebar`/`title` widget's text),
    `spoken_purpose` (else the screen's texts that are not on buttons), then the catalogue's
    `voice.purpose_<name>` when there is one."""
    title_widget = next((screen.ids[i] for i in TITLE_IDS if i in screen.ids), None)
    title = _said(screen, "spoken_title") or (getattr(title_widget, "text", "") or "")
    purpose = _said(screen, "spoken_purpose")
    if not purpose and not hasattr(screen, "spoken_purpose"):
        skip = set(title_widget.walk(restrict=True)) if title_widget is not None else set()
        purpose = join(screen_texts(screen, skip))
    key = f"voice.purpose_{screen.name}"
    how = locale.t(lang, key) if has_text(lang, key) else ""
    return join([title, purpose, how])


def target_at(screen, x: float, y: float):
    """The button or tile under window point (x, y) on `screen` (the deepest one), or None."""

    def visit(w):
        if not visible(w):
            return None
        px, py = w.parent.to_widget(x, y) if w.parent is not None else (x, y)
        if not w.collide_point(px, py):
            return None
        for child in w.children:  # the top-most first, as Kivy dispatches touches
            found = visit(child)
            if found is not None:
                return found
        return w if isinstance(w, ButtonBehavior) and w is not screen else None

    return visit(screen)


def scroll_parent(widget):
    from kivy.uix.scrollview import ScrollView

    w = widget.parent
    while w is not None and w is not w.parent:
        if isinstance(w, ScrollView):
            return w
        w = w.parent
    return None


class VoiceFocus(Widget):
    """The frame round the armed button: yellow inside black, seen on any background. Takes no touch."""

    def __init__(self, **kwargs):
        super().__init__(size_hint=(None, None), size=(0, 0), **kwargs)
        self._target, self._scale = None, 1.0
        with self.canvas:
            self._dark = Color(0, 0, 0, 0)
            self._outer = Line(width=5)
            self._light = Color(1, 0.82, 0, 0)
            self._inner = Line(width=3)

    def show(self, widget, scale: float) -> None:
        """Frame `widget`, and follow it while a layout moves it."""
        self.hide()
        self._target, self._scale = widget, scale
        widget.bind(pos=self._follow, size=self._follow)
        self._follow()

    def _follow(self, *args) -> None:
        w, scale = self._target, self._scale
        if w.get_root_window() is None:  # taken off the screen (a list rebuilt)
            self.hide()
            return
        x, y = w.to_window(w.x, w.y)
        self.pos, self.size = (x, y), w.size
        self._outer.rectangle = (x - 4 * scale, y - 4 * scale, w.width + 8 * scale, w.height + 8 * scale)
        self._inner.rectangle = (x, y, w.width, w.height)
        self._dark.a = self._light.a = 1

    def hide(self) -> None:
        if self._target is not None:
            self._target.unbind(pos=self._follow, size=self._follow)
            self._target = None
        self._dark.a = self._light.a = 0
        self.size = (0, 0)

    @property
    def shown(self) -> bool:
        return self._light.a > 0

    def on_touch_down(self, touch):
        return False


@dataclass
class Armed:
    ref: weakref.ref
    screen: str
    kind: str
    label: str
    at: float


class Voice:
    """Voice mode of one KioskApp (its `voice`): on/off, the touch interception, the announcements."""

    def __init__(self, app):
        self.app = app
        self.armed: Armed | None = None
        self.focus = VoiceFocus()
        self._announce_ev = None
        self._hold_ev = None
        self._warned = False
        app.bind(lang=self._lang_changed, warn_left=self._warning)

    @property
    def speaker(self):
        return self.app.speaker

    @property
    def available(self) -> bool:
        return self.app.kiosk_config.speech.enabled

    # -- on and off ---------------------------------------------------------------------------

    def start(self) -> None:
        """Voice mode on for this applicant: say so in each language, the current one first, and
        what the screen is."""
        app = self.app
        if not self.available:
            return
        app.voice_on = True
        self._disarm()
        lang = app.lang
        others = [other for other in app.languages if other != lang]
        scr = app.sm.current_screen if app.sm is not None else None
        parts = [(locale.t(lang, "voice.on"), lang)]
        if scr is not None:
            parts.append((screen_speech(scr, lang), lang))
        parts += [(locale.t(other, "voice.on"), other) for other in others]
        self.speaker.speak_parts(parts)

    def end(self) -> None:
        """The session is over: voice mode off, and silence."""
        if self.app.voice_on:
            self.app.voice_on = False
            self.speaker.stop()
        self._disarm()
        if self._announce_ev is not None:
            self._announce_ev.cancel()

    def toggle(self) -> None:
        """The "Suara / Voice" button."""
        if self.app.voice_on:
            self.end()
            self.speaker.speak(locale.t(self.app.lang, "voice.off"), self.app.lang)
        else:
            self.start()

    def close(self) -> None:
        """The app stops. No property of the app changes here: a kv rule run now would leave kv's
        `app` proxy holding this stopped app (see KioskApp.shutdown)."""
        self._cancel_hold()
        if self._announce_ev is not None:
            self._announce_ev.cancel()
        self.speaker.close()

    # -- announcements ------------------------------------------------------------------------

    def shown(self, screen) -> None:
        """App.show() put `screen` up: announce it on the next frame, once its kv rules have run."""
        self._disarm()
        if self.app.voice_on:
            if self._announce_ev is not None:
                self._announce_ev.cancel()
            self._announce_ev = Clock.schedule_once(lambda dt: self.announce(), 0)

    def announce(self) -> None:
        app = self.app
        if app.voice_on and app.sm is not None and app.sm.current_screen is not None:
            self.speaker.speak(screen_speech(app.sm.current_screen, app.lang), app.lang)

    def _lang_changed(self, *args) -> None:
        if self.app.voice_on:
            self.shown(self.app.sm.current_screen)

    def _warning(self, app, left) -> None:
        if app.voice_on and left > 0 and not self._warned:
            self._warned = True
            self.speaker.speak(join([app.t("idle.title"), app.t("idle.body", n=int(left))]), app.lang)
        elif left <= 0:
            self._warned = False

    # -- touches (called by KioskRoot for every accepted touch) -------------------------------------

    def touch_down(self, touch) -> bool:
        """True when the touch is voice mode's: spoken and kept from the widgets."""
        app = self.app
        if app.corner.collide_point(*touch.pos) or app.sm is None:
            return False  # the staff gesture works as always
        if not app.voice_on:
            if self.available and app.current == "home":
                touch.ud["voice_hold"] = app.monotonic()
                self._cancel_hold()
                self._hold_ev = Clock.schedule_interval(lambda dt: self._check_hold(touch), 0.1)
            return False
        if app.warn_left > 0:
            return False  # "Still there?" takes any touch as the answer
        scr = app.sm.current_screen
        target = target_at(scr, *touch.pos)
        if target is None and _said(scr, "spoken_touch"):
            target = scr  # a screen that is itself the button (home: touch anywhere to start)
        if target is None:
            self.announce()
            return False
        if self._is_armed(target):
            self._disarm()
            touch.ud["voice_activates"] = (weakref.ref(target), app.current, app.lang)
            return False
        self._arm(target)
        touch.ud["voice_own"] = {"scroll": scroll_parent(target) if target is not scr else None, "dragging": False}
        return True

    def touch_move(self, touch) -> bool:
        own = touch.ud.get("voice_own")
        if own is None:
            return False
        sv = own["scroll"]
        if sv is None or not sv.children:
            return True
        if not own["dragging"]:
            if abs(touch.y - touch.oy) < DRAG_PX * self.app.s:
                return True
            own["dragging"] = True
            self._disarm()
        extra = sv.children[0].height - sv.height
        if extra > 0:
            sv.scroll_y = min(1.0, max(0.0, sv.scroll_y - touch.dy / extra))
        return True

    def touch_up(self, touch) -> bool:
        if "voice_hold" in touch.ud:
            self._cancel_hold()
            self._check_hold(touch, releasing=True)
            return bool(touch.ud.get("voice_long"))
        if "voice_own" in touch.ud:
            return True
        activated = touch.ud.get("voice_activates")
        if activated is not None:
            Clock.schedule_once(lambda dt: self._after_activation(*activated), 0)
        return False

    # -- internals ----------------------------------------------------------------------------

    def _check_hold(self, touch, releasing: bool = False) -> None:
        started = touch.ud.get("voice_hold")
        if started is None or touch.ud.get("voice_long"):
            return
        if not releasing and touch.time_end != -1:
            self._cancel_hold()
            return
        if self.app.monotonic() - started < LONG_PRESS_S or self.app.voice_on or self.app.current != "home":
            return
        self._cancel_hold()
        touch.ud["voice_long"] = True
        touch.ud["home_start"] = False  # the release must not also start the session
        for ref in list(touch.grab_list):  # nor press the button it was held on
            widget = ref()
            if isinstance(widget, ButtonBehavior):
                touch.ungrab(widget)
                widget.state = "normal"
        self.start()

    def _cancel_hold(self) -> None:
        if self._hold_ev is not None:
            self._hold_ev.cancel()
            self._hold_ev = None

    def _arm(self, target) -> None:
        app = self.app
        label = widget_label(target) if target is not app.sm.current_screen else clean(_said(target, "spoken_touch"))
        self.armed = Armed(weakref.ref(target), app.current, type(target).__name__, label, app.monotonic())
        state = widget_state(target, app.lang) if target is not app.sm.current_screen else ""
        self.speaker.speak(join([label, state, app.t("voice.again")]), app.lang)
        if target is not app.sm.current_screen:
            self.focus.show(target, app.s)

    def _is_armed(self, target) -> bool:
        a, app = self.armed, self.app
        if a is None or a.screen != app.current or app.monotonic() - a.at > ARM_S:
            return False
        was = a.ref()
        if was is target:
            return True
        # A list rebuilt meanwhile (a new snapshot) holds a new tile for the same service.
        gone = was is None or was.get_root_window() is None
        return gone and type(target).__name__ == a.kind and widget_label(target) == a.label

    def _disarm(self) -> None:
        self.armed = None
        self.focus.hide()

    def _after_activation(self, ref, screen: str, lang: str) -> None:
        """The touch that activated changed something on the same screen (a tick, a toggle): say it."""
        app = self.app
        target = ref()
        if not app.voice_on or app.current != screen or app.lang != lang or target is None:
            return  # a new screen or language announces itself
        if target.get_root_window() is None:
            return
        if target is app.sm.current_screen:
            return
        self.speaker.speak(widget_state(target, lang) or widget_label(target), lang)
