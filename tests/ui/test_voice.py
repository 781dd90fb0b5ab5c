"""Voice mode on the real app under Xvfb, by real taps; the app's one Speaker (real espeak-ng) writes
each utterance to a WAV file instead of the sound card (`WavSink`, which also records the texts)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "speech"))
from speechkit import listen

from kiosk.speech import WavSink, read_status, status_path

RMS_FLOOR = 0.01  # as tests/speech: espeak-ng at volume 100 is ~0.08 RMS
NO_SOUND_CARD = {"ALSA_CONFIG_PATH": "/nonexistent/alsa.conf", "PULSE_SERVER": "unix:/nonexistent"}


class Ears:
    """What the kiosk said, in order, from the recorder sink."""

    def __init__(self, ui, sink: WavSink):
        self.ui, self.sink = ui, sink
        self.seen = 0

    def new(self) -> list[str]:
        """The utterances since the last call (after everything asked for has been said)."""
        self.ui.pump(2)  # a screen is announced on the frame after it shows
        assert self.ui.app.speaker.wait_idle(30)
        said = [text for _, _, text in self.sink.said[self.seen:]]
        self.seen = len(self.sink.said)
        return said

    def langs(self) -> list[str]:
        return [lang for _, lang, _ in self.sink.said]


@pytest.fixture
def voice_ui(ui, tmp_path):
    sink = WavSink(tmp_path / "said")
    ui.app.speaker.sink = sink
    return ui, Ears(ui, sink)


def voice_tap(ui, ears, text: str, exact: bool = False) -> list[str]:
    ui.tap_text(text, exact=exact)
    return ears.new()


def twice(ui, ears, text: str, exact: bool = False) -> tuple[list[str], list[str]]:
    """Touch to hear, then touch again to choose: what each touch made the kiosk say."""
    widget = ui.find(text, exact=exact)
    ui.tap(widget)
    first = ears.new()
    ui.tap(widget) if widget.get_root_window() is not None else ui.tap_text(text, exact=exact)
    return first, ears.new()


def voice_on(ui, ears) -> list[str]:
    said = voice_tap(ui, ears, "Suara / Voice")
    assert ui.app.voice_on and ui.screen == "home"
    return said


def test_first_touch_speaks_and_does_not_activate_the_second_does(voice_ui):
    ui, ears = voice_ui
    said = voice_on(ui, ears)
    assert said[0].startswith("Mode suara aktif.") and "Sentuh untuk mulai" in said[1]
    assert said[-1].startswith("Voice mode on.")  # the other language is told how to switch
    assert ui.has("Suara aktif / Voice on")

    # home is itself the button: one touch says what it does, the second starts
    assert voice_tap(ui, ears, "Sentuh untuk mulai", exact=True) == ["Sentuh untuk mulai. Sentuh sekali lagi untuk memilih."]
    assert ui.screen == "home"
    said = voice_tap(ui, ears, "Sentuh untuk mulai", exact=True)
    assert ui.screen == "services"
    assert said[-1].startswith("Pilih layanan (9 layanan).") and "Sentuh sebuah layanan" in said[-1]

    # a tile: its name and state first, with the focus frame round it; the screen stays
    view = ui.app.snapshot.service("informasi-pengaduan")
    tile = ui.find(view.name_id, exact=True)
    said = voice_tap(ui, ears, view.name_id, exact=True)
    assert ui.screen == "services"
    assert said == [f"H. {view.name_id}. {view.description_id} Buka. Sentuh sekali lagi untuk memilih."]
    assert ui.app.voice.focus.shown

    # too late: a second touch after ARM_S speaks again instead of choosing
    ui.tap_at(*tile.to_window(*tile.center), after=6.0)
    assert ears.new() == said and ui.screen == "services"
    said = voice_tap(ui, ears, view.name_id, exact=True)
    assert ui.screen == "detail" and said[-1].startswith(f"H {view.name_id}.")

    # a document row says whether it is ticked; the second touch ticks it and says so
    ui.tap_text("Kembali", exact=True)
    ears.new()
    assert ui.screen == "detail"  # the first touch on "Kembali" only spoke
    ui.tap_text("Kembali", exact=True)
    assert ui.screen == "services"
    ears.new()
    ui.tap_text(ui.app.snapshot.service("paspor-baru-dewasa").name_id, exact=True)
    ui.tap_text(ui.app.snapshot.service("paspor-baru-dewasa").name_id, exact=True)
    assert ui.screen == "detail"
    ears.new()
    row = next(w for w in ui.widgets() if w.__class__.__name__ == "DocRow")
    ui.tap(row)
    said = ears.new()
    assert not row.ticked and said[0].startswith("WAJIB. KTP-el") and said[0].endswith("belum dicentang. Sentuh sekali lagi untuk memilih.")
    ui.tap(row)
    assert row.ticked and ears.new() == ["dicentang"]
    assert not ui.jobs()


def take_ticket_by_voice(ui, ears, name: str, take: str, regular: str) -> list[str]:
    ui.tap_text("Sentuh untuk mulai") if ui.app.lang == "id" else ui.tap_text("Touch to start")
    ui.tap_text("Sentuh untuk mulai") if ui.app.lang == "id" else ui.tap_text("Touch to start")
    assert ui.screen == "services"
    for text in (name, take, regular):
        first, second = twice(ui, ears, text, exact=True)
        assert first and text in first[-1] and first[-1].endswith("once more to choose." if ui.app.lang == "en" else "lagi untuk memilih.")
    ui.wait_for(lambda: ui.screen == "ticket", what="the ticket screen")
    return second + ears.new()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_ticket_is_spoken_digit_by_digit_in_the_applicants_language(voice_ui, lang):
    ui, ears = voice_ui
    voice_on(ui, ears)
    if lang == "en":
        first, second = twice(ui, ears, "English", exact=True)
        assert first == ["English. Sentuh sekali lagi untuk memilih."]
        assert ui.app.lang == "en" and second[-1].startswith(ui.app.office)
        assert "Touch the middle of the screen twice" in second[-1]
        view = ui.app.snapshot.service("informasi-pengaduan")
        said = take_ticket_by_voice(ui, ears, view.name_en, "Take a queue number", "No, regular queue")
    else:
        view = ui.app.snapshot.service("informasi-pengaduan")
        said = take_ticket_by_voice(ui, ears, view.name_id, "Ambil nomor antrean", "Tidak, antrean biasa")
    ticket = said[-1]
    assert ui.screen == "ticket"
    assert ui.fake.wait_for_jobs(1) and "H001" in ui.job_text()
    if lang == "id":
        assert ticket == ("Nomor antrean Anda: H, nol, nol, satu. Layanan: Informasi & Pengaduan. Silakan ambil tiket Anda. "
                          "Silakan duduk di ruang tunggu dan dengarkan panggilan nomor Anda; nomor Anda juga tampil di layar antrean.")
    else:
        assert ticket == ("Your queue number: H, zero, zero, one. Service: Information & complaints. Please take your ticket. "
                          "Please sit in the waiting area and listen for your number; it is also shown on the queue display.")
    # and it was heard, in that language's voice, for as long as its words take
    n, spoken_lang, _ = next(entry for entry in ears.sink.said if entry[2] == ticket)
    assert spoken_lang == lang
    heard = listen(ears.sink.folder / f"utterance-{n:04d}.wav")
    expected = len(ticket.split()) / ui.config.speech.rate * 60
    assert heard.rms > RMS_FLOOR and expected * 0.5 < heard.seconds < expected * 2.5, (heard, expected)

    # the announcement is not cut by the ticket screen's usual 15 s: in voice mode it stays 45 s
    ui.idle_for(ui.config.ui.ticket_seconds + 1)
    assert ui.screen == "ticket" and ui.app.voice_on
    ui.idle_for(45)
    assert ui.screen == "home" and not ui.app.voice_on
    voice_on(ui, ears)
    ui.app.set_lang(lang)  # a new session, in the same language as before
    ears.new()

    # with the central server's queue figures the screen shows people ahead and the wait: so does the voice
    from kiosk.ui.shots import _result

    _result(True)(ui.app)
    said = ears.new()
    if lang == "id":
        assert said[-1].startswith("Nomor antrean Anda: A, satu, dua, tiga. Layanan: Paspor Baru Dewasa (M-Paspor).")
        assert "Orang di depan Anda: 12. Perkiraan waktu tunggu: 35 menit. Silakan ambil tiket Anda." in said[-1]
    else:
        assert said[-1].startswith("Your queue number: A, one, two, three. Service: New passport, adult (M-Paspor).")
        assert "People ahead of you: 12." in said[-1]


def test_idle_return_ends_voice_mode(voice_ui):
    ui, ears = voice_ui
    voice_on(ui, ears)
    ui.tap_text("Sentuh untuk mulai")
    ui.tap_text("Sentuh untuk mulai")
    assert ui.screen == "services"
    ears.new()
    ui.idle_for(ui.config.ui.idle_seconds - 10)
    assert ears.new() == ["Masih di sana? Layar akan kembali ke awal dalam 10 detik. Sentuh layar untuk melanjutkan."]
    ui.idle_for(10)
    assert ui.screen == "home" and not ui.app.voice_on and not ui.app.voice.focus.shown
    assert ears.new() == []  # the next applicant is not spoken to
    ui.tap_text("Sentuh untuk mulai")
    assert ui.screen == "services"  # one tap starts, as without voice mode
    assert ears.new() == []


def test_a_long_press_anywhere_on_home_turns_voice_mode_on(voice_ui):
    ui, ears = voice_ui
    x, y = ui.find("Sentuh untuk mulai").to_window(*ui.find("Sentuh untuk mulai").center)
    ui.press_and_hold(x, y, 0.5)
    assert ui.screen == "services" and not ui.app.voice_on  # a short press is the usual tap
    ui.app.go_home()
    ui.pump(2)
    english = ui.find("English", exact=True)
    ui.press_and_hold(*english.to_window(*english.center), 2.5)
    assert ui.app.voice_on and ui.screen == "home" and ui.app.lang == "id"  # the button under it was not pressed
    said = ears.new()
    assert said[0].startswith("Mode suara aktif.")


def test_no_sound_card_keeps_the_voice_flow_working(ui, tmp_path):
    ui.app.speaker.env = {**os.environ, **NO_SOUND_CARD}
    ui.tap_text("Suara / Voice")
    assert ui.app.voice_on
    view = ui.app.snapshot.service("informasi-pengaduan")
    for text in ("Sentuh untuk mulai", view.name_id, "Ambil nomor antrean", "Tidak, antrean biasa"):
        ui.tap_text(text, exact=text != "Sentuh untuk mulai")
        ui.tap_text(text, exact=text != "Sentuh untuk mulai")
    ui.wait_for(lambda: ui.screen == "ticket", what="the ticket screen")
    assert ui.fake.wait_for_jobs(1) and "H001" in ui.job_text()
    assert ui.app.speaker.wait_idle(30)
    status = read_status(status_path(ui.config.data_dir))
    assert status is not None and not status.ok and "no audio output" in status.detail
    ui.tap_text("Selesai")
    ui.tap_text("Selesai")
    assert ui.screen == "home" and not ui.app.voice_on


PROBE_KV = """
<VoiceProbeScreen@KioskScreen>:
    BoxLayout:
        orientation: 'vertical'
        TitleBar:
            id: titlebar
            text: 'Survei kepuasan'
        KLabel:
            text: 'Seberapa mudah persyaratannya?'
        ToggleButton:
            id: face
            text: 'Mudah'
        KButton:
            id: send
            text: 'Kirim'
            disabled: True
        KButton:
            id: skip
            text: 'Lewati'
            on_release: app.go_home()
"""


def test_a_new_screen_gets_voice_mode_without_code_of_its_own(voice_ui):
    """A screen another engineer adds (here: a survey-like page written only in kv) is announced and
    its buttons are touch-to-hear / touch-again-to-choose, with no voice code in it."""
    from kivy.factory import Factory
    from kivy.lang import Builder

    if "VoiceProbeScreen" not in Factory.classes:
        Builder.load_string(PROBE_KV)
    ui, ears = voice_ui
    voice_on(ui, ears)
    ui.app.sm.add_widget(Factory.VoiceProbeScreen(name="probe"))
    ui.app.show("probe")
    assert ears.new() == ["Survei kepuasan. Seberapa mudah persyaratannya?"]
    scr = ui.current()
    assert voice_tap(ui, ears, "Mudah", exact=True) == ["Mudah. tidak dipilih. Sentuh sekali lagi untuk memilih."]
    assert scr.ids.face.state == "normal"
    assert voice_tap(ui, ears, "Mudah", exact=True) == ["dipilih"]
    assert scr.ids.face.state == "down"
    assert voice_tap(ui, ears, "Kirim", exact=True) == ["Kirim. tidak tersedia. Sentuh sekali lagi untuk memilih."]
    assert voice_tap(ui, ears, "Lewati", exact=True) == ["Lewati. Sentuh sekali lagi untuk memilih."]
    assert ui.screen == "probe"
    ui.tap_text("Lewati", exact=True)
    assert ui.screen == "home" and not ui.app.voice_on
