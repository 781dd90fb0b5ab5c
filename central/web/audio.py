"""The lobby display's sounds, made on the server: a chime, and each call spoken by espeak-ng.

No browser speech (a TV's browser may have none, or a voice without Indonesian) and no network
beyond the office server. A call's WAV is rendered once and kept (the last CACHE_SIZE calls):
every display in the office asks for the same call at the same moment.
"""

from __future__ import annotations

import io
import math
import shutil
import struct
import subprocess
import threading
import wave
from collections import OrderedDict

from shared.spoken import call_sentence

ESPEAK = "espeak-ng"
VOICES = {"id": "id", "en": "en"}
RENDER_TIMEOUT_S = 10.0
CACHE_SIZE = 64
# Renders at once: a burst of displays must not start a burst of espeak processes.
_renders = threading.BoundedSemaphore(2)
_cache: OrderedDict[tuple, bytes] = OrderedDict()
_cache_lock = threading.Lock()


class SpeechUnavailable(Exception):
    """espeak-ng is missing, failed or took too long; the message says which."""


def call_wav(number: str, counter: str, lang: str) -> bytes:
    key = (number, counter, lang)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    wav = _render(call_sentence(number, counter, lang), VOICES[lang])
    with _cache_lock:
        _cache[key] = wav
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return wav


def _render(text: str, voice: str) -> bytes:
    exe = shutil.which(ESPEAK)
    if exe is None:
        raise SpeechUnavailable("espeak-ng is not installed (apt install espeak-ng)")
    with _renders:
        try:
            done = subprocess.run([exe, "-v", voice, "-s", "150", "--stdout", text], capture_output=True,
                                  timeout=RENDER_TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise SpeechUnavailable(f"espeak-ng took longer than {RENDER_TIMEOUT_S:.0f} s") from None
    if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
        raise SpeechUnavailable(f"espeak-ng failed (exit {done.returncode}): "
                                f"{done.stderr.decode(errors='replace').strip()[:200]}")
    return done.stdout


def _make_chime(rate: int = 22050) -> bytes:
    """Two soft notes (E5 then C5), each fading out: the usual 'ding-dong' before a call."""
    frames = bytearray()
    for freq, seconds in ((659.25, 0.45), (523.25, 0.7)):
        n = int(rate * seconds)
        for i in range(n):
            envelope = math.exp(-4.0 * i / n) * min(1.0, i / (rate * 0.01))
            frames += struct.pack("<h", int(12000 * envelope * math.sin(2 * math.pi * freq * i / rate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return out.getvalue()


CHIME = _make_chime()
