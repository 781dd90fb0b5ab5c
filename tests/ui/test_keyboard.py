"""The on-screen keyboard (kiosk/ui/keyboard.py), both layouts, driven by real taps in the live window."""

from __future__ import annotations

import pytest


@pytest.fixture
def board(ui):
    """make(layout, **props) -> a keyboard laid over the whole window, tapped through the app's root."""
    from kivy.uix.floatlayout import FloatLayout

    from kiosk.ui.keyboard import OnScreenKeyboard

    holder = FloatLayout(size=ui.app.root.size)
    ui.app.root.add_widget(holder)

    def make(layout: str, **props):
        holder.clear_widgets()
        kb = OnScreenKeyboard(layout=layout, pos_hint={"x": 0, "y": 0}, **props)
        holder.add_widget(kb)
        ui.pump(3)
        return kb

    yield make
    ui.app.root.remove_widget(holder)


def tap_key(ui, kb, key):
    ui.tap(kb.keys[key])


def test_code_layout_types_capitals_digits_and_dash(ui, board):
    kb = board("code")
    for key in ["P", "S", "P", "-", "2", "0", "2", "6"]:
        tap_key(ui, kb, key)
    assert kb.text == "PSP-2026"
    tap_key(ui, kb, "backspace")
    assert kb.text == "PSP-202"
    assert kb.keys["backspace"].text == "Hapus"
    tap_key(ui, kb, "clear")
    assert kb.text == ""
    ui.app.set_lang("en")
    ui.pump(2)
    assert kb.keys["backspace"].text == "Delete" and kb.keys["clear"].text == "Clear"


def test_code_layout_keys_are_large_and_on_screen(ui, board):
    kb = board("code")
    w, h = ui.app.root.size
    for key, button in kb.keys.items():
        x0, y0 = button.to_window(button.x, button.y)
        assert 0 <= x0 and x0 + button.width <= w + 1 and 0 <= y0 and y0 + button.height <= h + 1, key
        assert button.height >= 60 and button.width >= 60, (key, button.size)  # 800x480: ~9 mm at 7"


def test_code_layout_stops_at_max_length(ui, board):
    kb = board("code", max_length=4)
    for key in "ABCDE":
        tap_key(ui, kb, key)
    assert kb.text == "ABCD"


def test_text_layout_shift_space_and_punctuation(ui, board):
    kb = board("text", max_length=300)
    tap_key(ui, kb, "shift")
    assert kb.keys["a"].text == "A"
    for key in ["a", "shift", "n", "t", "r", "i", "space", "l", "a", "m", "a", "!"]:
        tap_key(ui, kb, key)
    assert kb.text == "Antri lama!"
    assert kb.keys["space"].text == "Spasi"
    tap_key(ui, kb, "backspace")
    assert kb.text == "Antri lama"


def test_physical_keys_are_filtered_per_layout(ui, board):
    kb = board("code")
    assert kb.type_key("a") and kb.type_key("7") and kb.type_key("-")
    assert not kb.type_key(" ") and not kb.type_key("é") and not kb.type_key("escape")
    assert kb.text == "A7-"
    assert kb.type_key("backspace") and kb.text == "A7"
    text = board("text")
    assert text.type_key("H") and text.type_key("spacebar") and text.type_key("é")
    assert text.text == "H é"
