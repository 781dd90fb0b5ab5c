"""No text cut off: every screen, both languages, normal and large text, landscape and portrait."""

from kiosk.ui.shots import STATES, overflow_problems

SIZES = [(800, 480), (1920, 1080), (1024, 600), (480, 800), (1080, 1920)]
LARGE_SIZES = {(800, 480), (480, 800)}  # the smallest screens are the hard case for large text


def test_overflow_check_detects_a_cut_label(kivy_window):
    from kivy.base import EventLoop
    from kivy.uix.label import Label

    lab = Label(text="Sentuh untuk mulai " * 5, size_hint=(None, None), size=(100, 30))
    kivy_window.add_widget(lab)
    try:
        EventLoop.idle()
        lab.texture_update()
        assert overflow_problems(lab, "probe")
    finally:
        kivy_window.remove_widget(lab)


def test_no_label_overflows_on_any_screen(make_driver):
    ui = make_driver()
    problems, checked = [], 0
    for size in SIZES:
        ui.window.size = size
        ui.pump(2)
        for large in (False, True) if size in LARGE_SIZES else (False,):
            for lang in ("id", "en"):
                for name, setup in STATES:
                    ui.app.lang, ui.app.large = lang, large
                    ui.app._request_snapshot()
                    ui.settle()
                    setup(ui.app)
                    ui.settle()
                    problems += overflow_problems(ui.app.root, f"{name}-{lang}{'-large' if large else ''}-{size[0]}x{size[1]}")
                    checked += 1
    assert checked >= 15 * 14
    assert not problems, "\n".join(problems)
