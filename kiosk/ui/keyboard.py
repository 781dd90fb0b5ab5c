"""The one on-screen keyboard of the kiosk (there is no system keyboard on a kiosk), in two layouts:

- "code": a booking code. Large keys: the digits, A-Z in alphabetical order (easier to find for
  someone who never typed on a QWERTY keyboard), "-", Delete and Clear. Letters are capitals.
- "text": a simple full keyboard for a short free text: digits, QWERTY letters with a case
  switch, common punctuation, Space and Delete.

The keyboard edits its own `text` (bounded by `max_length`); it is not a focus-taking TextInput,
so a scanner's keys can never land in it by accident. The screen shows `text` wherever it likes:

    kb = OnScreenKeyboard(layout="text", max_length=300)
    kb.bind(text=lambda kb, value: ...)

`type_key(key)` takes a key from a physical keyboard (one character, "backspace", "spacebar")
the way a tap would, for a technician's USB keyboard. Key captions come from the catalogue
(keyboard.*), so they follow `app.lang`.
"""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

BACKSPACE = "backspace"
CLEAR = "clear"
SHIFT = "shift"
SPACE = "space"

# Each row: (key, width in key units). A key is the character it types, or one of the names above.
CODE_ROWS = [
    [(c, 1) for c in "1234567890"],
    [(c, 1) for c in "ABCDEFGHIJ"],
    [(c, 1) for c in "KLMNOPQRST"],
    [(c, 1) for c in "UVWXYZ-"] + [(BACKSPACE, 1.5), (CLEAR, 1.5)],
]
TEXT_ROWS = [
    [(c, 1) for c in "1234567890"] + [(BACKSPACE, 1.5)],
    [(c, 1) for c in "qwertyuiop"] + [("?", 1)],
    [(c, 1) for c in "asdfghjkl"] + [("'", 1), ("!", 1)],
    [(SHIFT, 1.5)] + [(c, 1) for c in "zxcvbnm"] + [(",", 1), (".", 1), ("-", 1)],
    [(SPACE, 6)],
]
LAYOUTS = {"code": CODE_ROWS, "text": TEXT_ROWS}
CAPTION_KEYS = {BACKSPACE: "keyboard.backspace", CLEAR: "keyboard.clear", SPACE: "keyboard.space",
                SHIFT: "keyboard.shift"}


class OnScreenKeyboard(BoxLayout):
    layout = OptionProperty("code", options=tuple(LAYOUTS))
    text = StringProperty("")
    max_length = NumericProperty(64)
    upper = BooleanProperty(False)  # "text" layout: capitals for the next letters until switched back
    key_height = NumericProperty(0)  # 0: from the layout (code keys are larger)

    def __init__(self, **kwargs):
        kwargs.setdefault("orientation", "vertical")
        super().__init__(**kwargs)
        self.keys: dict[str, object] = {}
        self.bind(layout=self._build, upper=self._captions, key_height=self._sizes)
        App.get_running_app().bind(lang=self._captions, s=self._sizes, f=self._sizes)
        self._build()

    # -- building -----------------------------------------------------------------------------

    def _build(self, *args):
        self.clear_widgets()
        self.keys = {}
        rows = LAYOUTS[self.layout]
        units = max(sum(w for _, w in row) for row in rows)
        for row in rows:
            box = BoxLayout(orientation="horizontal", size_hint_y=None)
            # a shorter row is centred between spacers, so a key is as wide on every row
            margin = (units - sum(w for _, w in row)) / 2
            if margin:
                box.add_widget(Widget(size_hint_x=margin))
            for key, width in row:
                # as tall as its row (a key taller than its row would overlap the row above and
                # take its taps); _sizes sets its font, no kv rule re-sets it when app.f changes
                button = Factory.KeyFace(size_hint_x=width)
                button.kb_key = key
                button.bind(on_release=lambda b: self.press(b.kb_key))
                if key in CAPTION_KEYS:
                    button.bind(width=self._fit)
                box.add_widget(button)
                self.keys[key] = button
            if margin:
                box.add_widget(Widget(size_hint_x=margin))
            self.add_widget(box)
        self._sizes()
        self._captions()

    def _sizes(self, *args):
        a = App.get_running_app()
        height = self.key_height or a.s * (58 if self.layout == "code" else 50)
        gap = a.s * 6
        self.spacing = gap
        for box in self.children:
            box.spacing = gap
            box.height = height
            for button in box.children:
                if not hasattr(button, "kb_key"):
                    continue
                if button.kb_key in CAPTION_KEYS:
                    self._fit(button)
                    continue
                # large text on a page that fixed its key height: the caption still fits its key
                # (a line of text is about 1.4 font sizes tall)
                button.font_size = min(a.f * (28 if self.layout == "code" else 22), height / 1.4)
        self.size_hint_y = None
        self.height = len(self.children) * height + max(0, len(self.children) - 1) * gap

    def caption(self, key: str) -> str:
        if key in CAPTION_KEYS:
            return App.get_running_app().t(CAPTION_KEYS[key])
        return key.upper() if self.upper and key.isalpha() else key

    def _captions(self, *args):
        for key, button in self.keys.items():
            button.text = self.caption(key)
            if key in CAPTION_KEYS:
                self._fit(button)
            if key == SHIFT:
                button.bold = self.upper

    def _fit(self, button, *args):
        """A word key ("Kosongkan") on a narrow screen: a smaller font rather than a cut-off word;
        from its full size again whenever the key's width or word changes (never only shrinking)."""
        a = App.get_running_app()
        height = self.key_height or a.s * (58 if self.layout == "code" else 50)
        button.font_size = min(a.f * 18, height / 1.4)
        room = button.width - 8
        if room <= 0:
            return
        button.texture_update()
        if button.texture_size[0] > room:
            button.font_size = max(9, button.font_size * room / button.texture_size[0] - 0.5)

    # -- typing -------------------------------------------------------------------------------

    def press(self, key: str) -> None:
        """A tap on `key` (a character, or BACKSPACE, CLEAR, SPACE, SHIFT)."""
        if key == BACKSPACE:
            self.text = self.text[:-1]
        elif key == CLEAR:
            self.text = ""
        elif key == SHIFT:
            self.upper = not self.upper
        elif key == SPACE:
            self._append(" ")
        else:
            self._append(key.upper() if self.layout == "code" or self.upper else key)

    def _append(self, ch: str) -> None:
        if len(self.text) < self.max_length:
            self.text += ch

    def type_key(self, key: str) -> bool:
        """A key from a physical keyboard: True if it was one this layout takes."""
        if key == "backspace":
            self.press(BACKSPACE)
            return True
        if key == "spacebar":
            key = " "
        if len(key) != 1 or not key.isprintable():
            return False
        if self.layout == "code":
            if not (key.isascii() and (key.isalnum() or key == "-")):
                return False
            self.press(key)
        else:
            self._append(key)
        return True
