"""The speech engine with the real espeak-ng: rendered to WAV and heard by sox, cut, timed out, unplugged."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import time
from pathlib import Path

import pytest
from speechkit import listen

from kiosk.config.schema import SpeechSection
from kiosk.speech import PlaybackSink, Speaker, WavSink, read_status, ticket_number_sentence

RMS_FLOOR = 0.01  # espeak-ng at volume 100 speaks at ~0.08 RMS; silence is 0
SPEECH = SpeechSection()


@pytest.fixture
def speakers():
    made = []

    def make(*args, **kwargs) -> Speaker:
        made.append(Speaker(*args, **kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


def slow_espeak(tmp_path: Path, first_delay: float, later_delay: float = 0.0) -> Path:
    """A real espeak-ng behind a real start-up delay; each run leaves its pid in pids.txt."""
    script = tmp_path / "slow-espeak-ng"
    script.write_text(f"""#!/bin/sh
if [ -e "{tmp_path}/started" ]; then delay={later_delay}; else touch "{tmp_path}/started"; delay={first_delay}; fi
echo $$ >> "{tmp_path}/pids.txt"
sleep $delay
exec espeak-ng "$@"
""")
    script.chmod(0o755)
    return script


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_espeak_ng_has_both_voices():
    out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, timeout=10).stdout
    names = {line.split()[1] for line in out.splitlines()[1:] if line.split()}
    assert {SPEECH.voice_id, SPEECH.voice_en} <= names


def test_the_ticket_number_is_heard_for_a_plausible_time(speakers, tmp_path):
    sink = WavSink(tmp_path)
    speaker = speakers(SPEECH, sink)
    text = ticket_number_sentence("A001", "id")
    assert text == "Nomor antrean Anda: A, nol, nol, satu."
    speaker.speak(text, "id")
    assert speaker.wait_idle(20)
    heard = listen(sink.paths[0])
    assert heard.rms > RMS_FLOOR
    # 7 words at 150 words per minute is 2.8 s; pauses at the commas lengthen it, espeak-ng's pace shortens it.
    words = len(text.split())
    expected = words / SPEECH.rate * 60
    assert expected * 0.5 < heard.seconds < expected * 2.5, (heard, expected)
    assert speaker.status.ok and speaker.status.detail == "spoke"


def test_the_configured_voice_volume_and_rate_are_the_ones_heard(speakers, tmp_path):
    text = "nol, satu, dua, tiga"
    direct = tmp_path / "direct-id.wav"
    subprocess.run(["espeak-ng", "-v", "id", "-a", "100", "-s", "150", "-w", str(direct), text], check=True, timeout=20)

    def render(lang: str, **options) -> Path:
        sink = WavSink(tmp_path / f"{lang}-{len(list(tmp_path.iterdir()))}")
        speaker = speakers(dataclasses.replace(SPEECH, **options), sink)
        speaker.speak(text, lang)
        assert speaker.wait_idle(20)
        return sink.paths[0]

    indonesian, english = render("id"), render("en")
    # espeak-ng is deterministic: the engine's Indonesian is byte for byte espeak-ng's own -v id.
    assert indonesian.read_bytes() == direct.read_bytes()
    assert english.read_bytes() != indonesian.read_bytes()
    assert listen(english).rms > RMS_FLOOR
    quiet, loud = listen(render("id", volume=40)), listen(render("id", volume=160))
    assert loud.rms > 2 * quiet.rms
    slow, fast = listen(render("id", rate=90)), listen(render("id", rate=250))
    assert slow.seconds > 1.5 * fast.seconds


def test_speak_returns_at_once_even_when_espeak_is_slow(speakers, tmp_path):
    sink = WavSink(tmp_path / "wav")
    speaker = speakers(SPEECH, sink, espeak=str(slow_espeak(tmp_path, 3.0, 3.0)))
    worst = 0.0
    for i in range(5):
        t = time.monotonic()
        speaker.speak(f"nomor {i}", "id")
        worst = max(worst, time.monotonic() - t)
        time.sleep(0.05)
    t = time.monotonic()
    speaker.stop()
    worst = max(worst, time.monotonic() - t)
    assert worst < 0.5  # a generous bound: blocking would take espeak's 3 s
    assert speaker.wait_idle(10)


def test_a_new_utterance_cuts_the_previous_process(speakers, tmp_path):
    sink = WavSink(tmp_path / "wav")
    speaker = speakers(SPEECH, sink, espeak=str(slow_espeak(tmp_path, 30.0)))
    speaker.speak("kalimat pertama yang panjang", "id")
    pids = tmp_path / "pids.txt"
    deadline = time.monotonic() + 10
    while not pids.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    first = int(pids.read_text().split()[0])
    assert alive(first)
    speaker.speak("A, nol, nol, satu", "id")
    assert speaker.wait_idle(20)
    assert not alive(first)
    # The first utterance never got to its audio; the second is there and audible, and the cut is no fault.
    assert not sink.paths[0].exists()
    assert listen(sink.paths[1]).rms > RMS_FLOOR
    assert speaker.status.ok


def test_a_hung_espeak_is_killed_after_max_seconds(speakers, tmp_path, caplog):
    speaker = speakers(dataclasses.replace(SPEECH, max_seconds=1.0), WavSink(tmp_path / "wav"),
                       espeak=str(slow_espeak(tmp_path, 30.0)))
    t = time.monotonic()
    speaker.speak("halo", "id")
    assert speaker.wait_idle(10)
    assert time.monotonic() - t < 5
    first = int((tmp_path / "pids.txt").read_text().split()[0])
    assert not alive(first)
    assert not speaker.status.ok and "longer than 1 s" in speaker.status.detail


def test_no_audio_device_is_silence_a_warning_and_a_status(speakers, tmp_path, caplog):
    status_file = tmp_path / "speech-status.json"
    # ALSA without its configuration has no "default" device: the unplugged sound card, for real.
    no_card = {"ALSA_CONFIG_PATH": str(tmp_path / "missing-alsa.conf"), "PULSE_SERVER": "unix:/nonexistent"}
    speaker = speakers(SPEECH, PlaybackSink(), status_file=status_file, env=no_card)
    caplog.set_level(logging.WARNING, logger="kiosk.speech")
    t = time.monotonic()
    speaker.speak("Nomor antrean Anda: A, nol, nol, satu.", "id")
    speaker.speak("Your queue number: A, zero, zero, one.", "en")
    assert time.monotonic() - t < 0.5  # a generous bound on a call that must not wait for espeak
    assert speaker.wait_idle(20)
    assert not speaker.status.ok and speaker.status.detail.startswith("no audio output")
    assert [r.message for r in caplog.records if "no audio output" in r.message]
    on_disk = read_status(status_file)
    assert on_disk == speaker.status
    assert json.loads(status_file.read_text())["ok"] is False


def test_missing_espeak_is_silence_and_a_status(speakers, tmp_path):
    speaker = speakers(SPEECH, WavSink(tmp_path), espeak=str(tmp_path / "no-such-espeak-ng"),
                       status_file=tmp_path / "speech-status.json")
    speaker.speak("halo", "id")
    assert speaker.wait_idle(5)
    assert not speaker.status.ok and "cannot run" in speaker.status.detail
    assert not read_status(tmp_path / "speech-status.json").ok


def test_disabled_speech_never_starts_espeak(speakers, tmp_path):
    sink = WavSink(tmp_path)
    speaker = speakers(dataclasses.replace(SPEECH, enabled=False), sink)
    speaker.speak("halo", "id")
    assert speaker.wait_idle(2)
    assert sink.paths == [] and speaker.status is None


def test_a_text_starting_with_a_dash_is_spoken_not_parsed(speakers, tmp_path):
    sink = WavSink(tmp_path)
    speaker = speakers(SPEECH, sink)
    speaker.speak("--version", "en")
    assert speaker.wait_idle(20)
    assert speaker.status.ok and listen(sink.paths[0]).rms > RMS_FLOOR


def test_ticket_words_in_both_languages():
    from kiosk.speech import ticket_number_words

    assert ticket_number_words("A001", "id") == "A, nol, nol, satu"
    assert ticket_number_words("A001", "en") == "A, zero, zero, one"
    assert ticket_number_words("b0789", "id") == "B, nol, tujuh, delapan, sembilan"
    assert ticket_number_sentence("C250", "en") == "Your queue number: C, two, five, zero."
    assert os.sep not in ticket_number_words("A/1", "id")


def test_a_failing_sink_costs_one_utterance_not_the_worker(speakers, tmp_path):
    class FlakySink(WavSink):
        def command(self, argv, n):
            if n == 1:
                raise OSError(28, "No space left on device")
            return super().command(argv, n)

    sink = FlakySink(tmp_path)
    speaker = speakers(SPEECH, sink)
    speaker.speak("satu", "id")
    assert speaker.wait_idle(10)
    assert not speaker.status.ok and "No space left" in speaker.status.detail
    speaker.speak("dua", "id")
    assert speaker.wait_idle(20)
    assert speaker.status.ok and listen(sink.paths[0]).rms > RMS_FLOOR


def test_parts_are_said_in_turn_each_in_its_voice(speakers, tmp_path):
    sink = WavSink(tmp_path)
    speaker = speakers(SPEECH, sink)
    speaker.speak_parts([("Mode suara aktif.", "id"), ("", "en"), ("Voice mode on.", "en")])
    assert speaker.wait_idle(20)
    assert [(lang, text) for _, lang, text in sink.said] == [("id", "Mode suara aktif."), ("en", "Voice mode on.")]
    assert all(listen(p).rms > RMS_FLOOR for p in sink.paths)


def test_a_new_utterance_or_stop_drops_the_parts_not_yet_said(speakers, tmp_path):
    sink = WavSink(tmp_path / "wav")
    # each part waits before speaking (30 s the first, 2 s the others), so the cuts land mid-part
    speaker = speakers(SPEECH, sink, espeak=str(slow_espeak(tmp_path, 30.0, 2.0)))
    pids = tmp_path / "pids.txt"

    def started(count: int) -> None:  # that many espeak-ng runs have begun
        deadline = time.monotonic() + 10
        while (len(pids.read_text().split()) if pids.exists() else 0) < count:
            assert time.monotonic() < deadline, "espeak-ng did not start"
            time.sleep(0.02)

    speaker.speak_parts([("satu", "id"), ("dua", "id"), ("tiga", "id")])
    started(1)
    speaker.speak("empat", "id")
    assert speaker.wait_idle(20)
    assert [text for _, _, text in sink.said] == ["satu", "empat"]
    speaker.speak_parts([("lima", "id"), ("enam", "id")])
    started(3)
    speaker.stop()
    assert speaker.wait_idle(20)
    assert [text for _, _, text in sink.said] == ["satu", "empat", "lima"]
