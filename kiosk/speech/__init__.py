"""Offline spoken guidance: espeak-ng run as a subprocess, never blocking the caller.

`Speaker` (engine.py) speaks one utterance at a time; `words` (texts.py) turns what the screen shows
into what the voice says, through the same gettext catalogues. No Kivy here: the UI drives it.
"""

from .engine import PlaybackSink, Sink, Speaker, SpeechStatus, WavSink, read_status, status_path
from .texts import ticket_number_sentence, ticket_number_words

__all__ = [
    "PlaybackSink", "Sink", "Speaker", "SpeechStatus", "WavSink", "read_status", "status_path",
    "ticket_number_words", "ticket_number_sentence",
]
