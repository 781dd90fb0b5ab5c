"""Child process for test_voice_sessions: applicant sessions taken entirely by voice taps (touch to
hear, touch again to choose) on the real touchscreen under Xvfb (tests/ui's Driver), while the app's
one Speaker is in turn working, slow, hung, without a sound card, or without espeak-ng. Prints one
JSON line with what it measured. Kivy is imported only in this process.

    python tests/campaigns/voice_sessions.py OUT_DIR SESSIONS
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "tests" / "ui"), str(REPO), str(REPO / "tests"), str(REPO / "bench")]

FAULTS = ("working", "no-sound-card", "slow-espeak", "hung-espeak", "no-espeak")
NO_SOUND_CARD = {"ALSA_CONFIG_PATH": "/nonexistent/alsa.conf", "PULSE_SERVER": "unix:/nonexistent"}
SERVICE = "informasi-pengaduan"  # no documents: every session takes the same taps


def delayed_espeak(folder: Path, name: str, delay: float) -> Path:
    script = folder / name
    script.write_text(f"#!/bin/sh\nsleep {delay}\nexec espeak-ng \"$@\"\n")
    script.chmod(0o755)
    return script


def main(out: Path, sessions: int) -> int:
    from conftest import start_xvfb  # tests/ui/conftest.py: the UI tests' own Xvfb

    proc, display = start_xvfb("1280x800x24")
    os.environ.update(DISPLAY=display, KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_NO_FILELOG="1",
                      KIVY_NO_CONFIG="1", KIVY_HOME=tempfile.mkdtemp(prefix="kivy-home-"), KIVY_WINDOW="sdl2")
    seen = {"sessions": {f: 0 for f in FAULTS}, "printed": [], "numbers": [], "voice_taps": 0, "errors": [],
            "status_by_fault": {}}
    handler_s: list[float] = []
    first_audio_s: list[float] = []
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
        from speech import FirstAudioSink  # bench/speech.py: notes when each utterance becomes audible

        from kiosk.config import load_config
        from kiosk.speech import PlaybackSink, WavSink
        from printer.fake import FakePrinter

        fake = FakePrinter().start()
        driver = Driver(Window, load_config(write_ui_config(out / "etc")), fake)
        app, speaker = driver.app, driver.app.speaker
        voice = app.voice
        touched: list[tuple[float, int]] = []  # (when, utterances begun before) of each first touch

        def timed(fn, first_touch: bool):
            def run(touch):
                asked = len(getattr(speaker.sink, "texts", ()))
                t = time.perf_counter()
                kept = fn(touch)
                handler_s.append(time.perf_counter() - t)
                if first_touch and kept:
                    touched.append((t, asked))
                return kept
            return run

        voice.touch_down = timed(voice.touch_down, True)
        voice.touch_up = timed(voice.touch_up, False)
        slow = delayed_espeak(out, "slow-espeak-ng", 1.5)
        hung = delayed_espeak(out, "hung-espeak-ng", 600)
        try:
            for i in range(sessions):
                fault = FAULTS[i % len(FAULTS)]
                first = FirstAudioSink()
                speaker.espeak, speaker.env, speaker.sink = "espeak-ng", None, WavSink(out / f"wav-{i}")
                if fault == "working":
                    speaker.sink = first
                elif fault == "no-sound-card":
                    speaker.env, speaker.sink = {**os.environ, **NO_SOUND_CARD}, PlaybackSink()
                elif fault == "slow-espeak":
                    speaker.espeak = str(slow)
                elif fault == "hung-espeak":
                    speaker.espeak = str(hung)
                else:
                    speaker.espeak = str(out / "no-such-espeak-ng")
                touched.clear()
                speaker.status = None  # this session's own status, not the last one's

                def tap(text, exact=True, fault=fault):
                    driver.tap_text(text, exact=exact)
                    seen["voice_taps"] += 1
                    if fault == "working":  # let it be heard; a faulty engine must not hold the taps up
                        assert speaker.wait_idle(30), "a working espeak-ng did not finish"

                tap("Suara / Voice")
                assert app.voice_on, "voice mode did not come on"
                view = app.snapshot.service(SERVICE)
                for text in ("Sentuh untuk mulai", view.name_id, "Ambil nomor antrean", "Tidak, antrean biasa"):
                    screen = driver.screen
                    tap(text, exact=text != "Sentuh untuk mulai")
                    assert driver.screen == screen, f"the first touch on {text!r} activated it ({fault})"
                    tap(text, exact=text != "Sentuh untuk mulai")
                driver.wait_for(lambda: driver.screen == "ticket", what="the ticket screen")
                number = driver.current().result.number
                seen["numbers"].append(number)
                assert fake.wait_for_jobs(len(seen["numbers"])), "the ticket was not printed"
                seen["printed"].append(number in driver.job_text())
                tap("Selesai")
                tap("Selesai")
                assert driver.screen == "home" and not app.voice_on, "voice mode outlived the session"
                seen["sessions"][fault] += 1
                if fault == "working":
                    first.join()
                    begun = sorted(first.texts)  # utterance numbers, in the order they began
                    first_audio_s += [first.first[begun[k]] - t for t, k in touched
                                      if k < len(begun) and begun[k] in first.first]
                speaker.stop()
                speaker.wait_idle(30)
                detail = speaker.status.detail.split(":")[0] if speaker.status else "none: every utterance was cut"
                seen["status_by_fault"].setdefault(fault, detail.replace(str(out), "<tmp>"))
        finally:
            driver.close()
            fake.stop()
    except AssertionError as e:
        seen["errors"].append(str(e))
    finally:
        proc.terminate()
        proc.wait(5)
    seen["longest_touch_handler_s"] = max(handler_s, default=0.0)
    seen["first_audio_ms"] = {"taps": len(first_audio_s),
                              "median": round(1000 * statistics.median(first_audio_s), 1) if first_audio_s else None,
                              "max": round(1000 * max(first_audio_s), 1) if first_audio_s else None}
    print(json.dumps(seen, ensure_ascii=False))
    return 1 if seen["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2])))
