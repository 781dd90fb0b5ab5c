"""Tap-to-first-audio latency of spoken guidance: from Speaker.speak() to the first audible sample
espeak-ng writes (--stdout, read from a pipe), against two baselines measured in the same run:

- start-up: `espeak-ng --stdout ""` from Popen to exit (what any utterance pays before speaking);
- direct:   `espeak-ng --stdout TEXT` from Popen to its first audible sample (espeak-ng without the engine).

Target (issue 13): median under 300 ms.

    .venv/bin/python bench/speech.py [--runs 20]   (exit status 1 if the target is missed)

A sound card adds its own buffer (ALSA period, typically 20-50 ms) after the first sample; that is
the same with or without the engine and is not measured here (this machine has no sound card).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.config.schema import SpeechSection
from kiosk.speech import Sink, Speaker, ticket_number_sentence

TARGET_S = 0.300
WAV_HEADER = 44
AUDIBLE = 328  # 1 % of full scale, 16-bit samples


def first_audible(fd: int) -> float | None:
    """Read a WAV stream from `fd` to its end; the perf_counter() when the first audible sample arrived."""
    seen = None
    pending = b""
    skipped = 0
    with os.fdopen(fd, "rb", buffering=0) as f:
        while chunk := f.read(4096):
            if seen is not None:
                continue
            if skipped < WAV_HEADER:
                take = min(WAV_HEADER - skipped, len(chunk))
                skipped += take
                chunk = chunk[take:]
            pending += chunk
            usable = len(pending) - len(pending) % 2
            samples = memoryview(pending[:usable]).cast("h")
            if any(abs(x) > AUDIBLE for x in samples):
                seen = time.perf_counter()
            pending = pending[usable:]
    return seen


class FirstAudioSink(Sink):
    """espeak-ng writes to a pipe; a reader thread notes when utterance n becomes audible."""

    def __init__(self):
        self.heard: dict[int, float | None] = {}
        self._write: dict[int, int] = {}
        self._readers: list[threading.Thread] = []

    def command(self, argv, n):
        return [*argv, "--stdout"]

    def output(self, n):
        r, w = os.pipe()
        self._write[n] = w
        t = threading.Thread(target=lambda: self.heard.__setitem__(n, first_audible(r)), daemon=True)
        t.start()
        self._readers.append(t)
        return w

    def started(self, n):
        os.close(self._write.pop(n))

    def join(self):
        for t in self._readers:
            t.join(10)


def engine_latency(text: str, runs: int) -> list[float]:
    sink = FirstAudioSink()
    speaker = Speaker(SpeechSection(), sink)
    out = []
    try:
        for n in range(1, runs + 1):
            t0 = time.perf_counter()
            speaker.speak(text, "id")
            if not speaker.wait_idle(20):
                raise RuntimeError("espeak-ng did not finish within 20 s")
            sink.join()
            if sink.heard.get(n) is None:
                raise RuntimeError(f"utterance {n} was silent")
            out.append(sink.heard[n] - t0)
    finally:
        speaker.close()
    return out


def direct_latency(text: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        r, w = os.pipe()
        t0 = time.perf_counter()
        p = subprocess.Popen(["espeak-ng", "-v", "id", "--stdout", text], stdout=w, stderr=subprocess.DEVNULL)
        os.close(w)
        seen = first_audible(r)
        p.wait(20)
        out.append(seen - t0)
    return out


def startup(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(["espeak-ng", "--stdout", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True, timeout=20)
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    text = ticket_number_sentence("A001", "id")
    base = startup(args.runs)
    direct = direct_latency(text, args.runs)
    engine = engine_latency(text, args.runs)
    b, d, e = (statistics.median(v) * 1000 for v in (base, direct, engine))
    p95 = sorted(engine)[round(0.95 * (len(engine) - 1))] * 1000
    print(f"text: {text!r}, {args.runs} runs each, medians")
    print(f"espeak-ng --stdout \"\" start-up   {b:7.1f} ms")
    print(f"espeak-ng direct, first audio   {d:7.1f} ms   {d / b:.2f}x start-up")
    print(f"speak() -> first audio          {e:7.1f} ms   {e / b:.2f}x start-up, {e / d:.2f}x direct; "
          f"p95 {p95:.1f} ms (target < {TARGET_S * 1000:.0f} ms)")
    return 0 if e / 1000 < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
