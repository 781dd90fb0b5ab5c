"""Child process for test_ui_any_script: the real touchscreen under Xvfb (tests/ui's own Xvfb
start-up and Driver) with a catalogue whose names are emoji, right-to-left script, control
characters and long words. Taps home -> services -> detail, then the survey (a service in
right-to-left script chosen, a complaint typed on the keyboard), screenshots each screen, and
prints one JSON line with what it saw and what the outbox holds. Kivy is imported only in this process.

    python tests/campaigns/ui_any_script.py OUT_DIR
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "tests" / "ui"), str(REPO), str(REPO / "tests")]  # tests/ui first: its conftest

NAMES = [
    ("Paspor 🇮🇩 Baru 👨‍👩‍👧", "New passport 🛂✨"),
    ("جواز سفر جديد", "דרכון חדש \u202eESREVER\u202c"),
    # (control characters are refused by the catalogue's validation: kiosk/config/fields.py)
    ("Ze\u0301\u0301bra \u200d\ufe0f ｆｕｌｌ", "ｆｕｌｌ ｗｉｄｔｈ " + "Pemohonwajibdatangsendiri" * 3),
]


def catalogue_text() -> str:
    from tomlgen import document_toml

    services = []
    for i, (name_id, name_en) in enumerate(NAMES):
        services.append({"key": f"svc-{i}", "prefix": "ABC"[i], "name_id": name_id[:80], "name_en": name_en[:80],
                         "description_id": (name_id * 4)[:160], "description_en": (name_en * 4)[:160],
                         "documents": [{"id": name_id[:200], "en": name_en[:200]}]})
    week = ["00:00-24:00"]
    return document_toml({"hours": {d: week for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                          "services": services})


def survey(driver, shot, seen) -> None:
    """The survey with the same catalogue: its services (any script) as choices, then a complaint typed
    on the kiosk's keyboard; records what the outbox holds."""
    from kiosk.store import Store
    from kiosk.ui.keyboard import SHIFT, SPACE

    driver.app.go_home()
    driver.settle()
    driver.tap_text("Sudah dilayani? Beri penilaian")
    shot("survey")
    for _ in range(9):
        driver.tap(next(w for w in driver.widgets() if type(w).__name__ == "FaceButton" and w.score == 4))
    shot("surveyabout")
    rtl = driver.app.snapshot.service("svc-1")
    driver.tap(driver.find(rtl.name_id, exact=True))
    driver.tap_text("Lanjut", exact=True)
    kb = driver.current().keyboard
    for key in [SHIFT, "a", SHIFT, "n", "t", "r", "e", "'", "!", SPACE, "?", "-", ",", "."]:
        driver.tap(kb.keys[key])
    shot("surveytext")
    driver.tap_text("Kirim", exact=True)
    driver.settle()
    with Store(driver.config.store.path) as store:
        bodies = [e.payload["response"] for e in store.pending_events(100) if e.kind == "survey.response"]
    seen["survey"] = [{"service": b["service"], "complaint": b["complaint"]} for b in bodies]


def main(out: Path) -> int:
    from conftest import start_xvfb  # tests/ui/conftest.py: the UI tests' own Xvfb

    proc, display = start_xvfb("1280x800x24")
    os.environ.update(DISPLAY=display, KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_NO_FILELOG="1",
                      KIVY_NO_CONFIG="1", KIVY_HOME=tempfile.mkdtemp(prefix="kivy-home-"), KIVY_WINDOW="sdl2")
    seen = {"screens": [], "shots": [], "texts": []}
    try:
        from kivy.base import EventLoop
        from kivy.config import Config

        Config.set("graphics", "width", "800")
        Config.set("graphics", "height", "480")
        for option in list(Config.options("input")):
            Config.remove_option("input", option)
        from kivy.core.window import Window

        EventLoop.ensure_window()
        from driver import Driver, write_ui_config

        from kiosk.config import load_config
        from printer.fake import FakePrinter

        cat = out / "services.toml"
        cat.write_text(catalogue_text(), encoding="utf-8")
        fake = FakePrinter().start()
        driver = Driver(Window, load_config(write_ui_config(out / "etc", catalogue=cat)), fake)
        try:
            def shot(name):
                driver.settle()
                seen["screens"].append(driver.screen)
                seen["texts"].append(driver.screen_text()[:2000])
                Window.screenshot(str(out / f"{name}.png"))
                seen["shots"].append(name)

            shot("home")
            driver.tap_text("Sentuh untuk mulai")
            shot("services")
            for name_id, _ in NAMES:
                view = driver.app.snapshot.service(f"svc-{NAMES.index((name_id, _))}")
                widget = driver.find(view.name_id, exact=True)
                seen.setdefault("found", []).append(widget is not None)
            first = driver.app.snapshot.service("svc-0")
            driver.tap(driver.find(first.name_id, exact=True))
            shot("detail")
            survey(driver, shot, seen)
        finally:
            driver.close()
            fake.stop()
    finally:
        proc.terminate()
        proc.wait(5)
    print(json.dumps(seen, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
