"""Voice mode against a faulty speech engine: whole applicant sessions by voice taps on the real
touchscreen under Xvfb, in a child process (tests/campaigns/voice_sessions.py) so Kivy's one window
never meets the UI tests' own. Every session must end with a printed ticket and voice mode off,
whatever espeak-ng and the sound card do; the touch handler never waits for speech."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from figures import record, sized
from voice_sessions import FAULTS

HERE = Path(__file__).resolve().parent
STALL_BOUND_S = 0.5  # a generous bound: a touch handler that waited for espeak-ng would take seconds


def test_voice_sessions_with_a_faulty_speech_engine(tmp_path, scale):
    if shutil.which("Xvfb") is None or shutil.which("espeak-ng") is None:
        pytest.skip("Xvfb and espeak-ng are needed (tools/ensure-debian-packages.sh)")
    sessions = sized(len(FAULTS), 10 * len(FAULTS), scale, minimum=len(FAULTS))
    r = subprocess.run([sys.executable, str(HERE / "voice_sessions.py"), str(tmp_path), str(sessions)],
                       capture_output=True, text=True, timeout=120 + 30 * sessions)
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    seen = json.loads(lines[-1]) if lines else {}
    numbers = seen.get("numbers", [])
    stall = seen.get("longest_touch_handler_s")
    ok = (r.returncode == 0 and not seen.get("errors") and len(numbers) == sessions and all(seen.get("printed", []))
          and stall is not None and stall < STALL_BOUND_S)
    record("voice", title="Voice mode: sessions by voice taps, speech engine faulty", scale=scale,
           runs=sessions, faults=sum(n for f, n in seen.get("sessions", {}).items() if f != "working"),
           tickets=len(numbers), lost=sessions - sum(seen.get("printed", [])), duplicated=len(numbers) - len(set(numbers)),
           longest_stall_s=stall, stall_means="the longest a voice touch held the UI thread", passed=ok,
           details={"sessions_by_engine_state": seen.get("sessions"), "voice_taps": seen.get("voice_taps"),
                    "tap_to_first_audio_ms (working engine)": seen.get("first_audio_ms"),
                    "speech_status_by_fault": seen.get("status_by_fault"), "errors": seen.get("errors")})
    assert r.returncode == 0 and lines, r.stderr[-3000:]
    assert not seen["errors"], seen["errors"]
    assert len(numbers) == sessions and len(set(numbers)) == sessions and all(seen["printed"])
    assert stall < STALL_BOUND_S, f"a voice touch held the UI thread {stall:.3f} s"
    assert seen["status_by_fault"].get("no-sound-card") == "no audio output"
    assert seen["first_audio_ms"]["taps"] > 0
