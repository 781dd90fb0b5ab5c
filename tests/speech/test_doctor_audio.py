"""`kiosk doctor`'s audio check on fake machines: no sound card, no espeak-ng, an unheard utterance."""

from __future__ import annotations

import dataclasses
import getpass

from kiosk.doctor import Doctor
from kiosk.doctor.audio import audio, sound_cards
from kiosk.doctor.checks import Scene
from kiosk.doctor.host import CommandResult, Host
from kiosk.speech import PlaybackSink, Speaker, status_path

ESPEAK = ("espeak-ng", "--version")
ESPEAK_OK = CommandResult(0, "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/espeak-ng-data\n", "")
CARDS = """ 0 [vc4hdmi0       ]: vc4-hdmi - vc4-hdmi-0
                      vc4-hdmi-0
 1 [Device         ]: USB-Audio - USB Audio Device
                      C-Media Electronics Inc. USB Audio Device at usb-xhci-hcd.0-1, full speed
"""


def machine(tmp_path, cards: str | None, espeak: CommandResult | None = ESPEAK_OK) -> Host:
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True, exist_ok=True)
    if cards is not None:
        (root / "proc/asound").mkdir(exist_ok=True)
        (root / "proc/asound/cards").write_text(cards)
    return Host(root=root, fake_commands=True, commands={ESPEAK: espeak} if espeak else {})


def check(config, host):
    return audio(Scene(config, host, getpass.getuser(), 2.0))


def test_sound_cards_are_read_from_proc():
    assert sound_cards(CARDS) == ["vc4-hdmi-0", "USB Audio Device"]
    assert sound_cards("--- no soundcards ---\n") == []


def test_a_kiosk_that_can_speak(config, tmp_path):
    r = check(config, machine(tmp_path, CARDS))
    assert r.status == "OK" and r.detail == "eSpeak NG text-to-speech: 1.51; sound card: vc4-hdmi-0, USB Audio Device"


def test_no_sound_card_is_a_warning_with_the_fix(config, tmp_path):
    for cards in (None, "--- no soundcards ---\n"):
        r = check(config, machine(tmp_path, cards))
        assert r.status == "WARN" and "no sound card" in r.detail and "dtparam=audio=on" in r.fix


def test_espeak_not_installed(config, tmp_path):
    r = check(config, machine(tmp_path, CARDS, espeak=None))
    assert r.status == "WARN" and "espeak-ng does not run" in r.detail and "apt-get install" in r.fix


def test_speech_turned_off_is_fine(config, tmp_path):
    off = dataclasses.replace(config, speech=dataclasses.replace(config.speech, enabled=False))
    assert check(off, machine(tmp_path, None, espeak=None)).status == "OK"


def test_an_utterance_the_touchscreen_could_not_play_is_reported(config, tmp_path):
    # The engine, run as the touchscreen runs it, against a sound card that will not open.
    speaker = Speaker(config.speech, PlaybackSink(), status_file=status_path(config.data_dir),
                      env={"ALSA_CONFIG_PATH": str(tmp_path / "missing.conf"), "PULSE_SERVER": "unix:/nonexistent"})
    try:
        speaker.speak("halo", "id")
        assert speaker.wait_idle(20)
    finally:
        speaker.close()
    r = check(config, machine(tmp_path, CARDS))
    assert r.status == "WARN" and "was not heard: no audio output" in r.detail and "fuser" in r.fix


def test_the_doctor_runs_the_audio_check(config, tmp_path):
    report = Doctor(str(config.path), host=machine(tmp_path, None), user=getpass.getuser(), timeout=2.0,
                    config_checks=(audio,), host_checks=()).run()
    by_name = {r.name: r for r in report.results}
    assert by_name["audio"].status == "WARN" and "no sound card" in by_name["audio"].detail
