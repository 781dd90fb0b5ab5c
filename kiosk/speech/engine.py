"""The speech engine: espeak-ng as a subprocess, one utterance at a time, never blocking the caller.

`speak()` only records the newest utterance and terminates the one playing (a kill(2), which does not
wait); a worker thread starts espeak-ng and waits for it under `max_seconds`. A missing or busy sound
card, or a missing espeak-ng, means silence: the worker logs one warning, keeps the status in memory
and (given a status file) on disk for `kiosk doctor`, and the caller never sees an exception.

espeak-ng 1.51 exits 0 even when ALSA cannot open the device; it then writes "error: ..." (and
ALSA's own "ALSA lib ..." lines) to stderr, so stderr is how a failed playback is recognised.

Where the audio goes is the sink's business: `PlaybackSink` lets espeak-ng play on the default sound
card; `WavSink` has it write one WAV file per utterance instead (tests, and a kiosk without speakers).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config.schema import SpeechSection

log = logging.getLogger("kiosk.speech")

MAX_TEXT_CHARS = 2000
STATUS_FILE = "speech-status.json"
LANG_VOICE = {"id": "voice_id", "en": "voice_en"}


@dataclass(frozen=True)
class SpeechStatus:
    ok: bool
    detail: str
    at: float  # unix time of the utterance that told us

    def to_json(self) -> dict:
        return asdict(self)


def status_path(data_dir: str | os.PathLike) -> Path:
    """Where the touchscreen process leaves the speech status for `kiosk doctor` (the data folder)."""
    return Path(data_dir) / STATUS_FILE


def read_status(path: str | os.PathLike) -> SpeechStatus | None:
    """The last status written to `path`, or None when there is none (or it cannot be read)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return SpeechStatus(bool(raw["ok"]), str(raw["detail"]), float(raw["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Sink:
    """Where utterance n's audio goes: the espeak-ng command line, and its stdout (a file descriptor)."""

    def command(self, argv: list[str], n: int) -> list[str]:
        return argv

    def output(self, n: int):
        return subprocess.DEVNULL

    def started(self, n: int) -> None:
        """espeak-ng is running (a sink that handed out a pipe's write end closes its copy here)."""

    def begin(self, n: int, text: str, lang: str) -> None:
        """Utterance n is about to start (a recorder notes what was said)."""


class PlaybackSink(Sink):
    """espeak-ng plays on the default sound card itself."""


class WavSink(Sink):
    """espeak-ng writes utterance n to `folder`/utterance-NNNN.wav; `paths` lists them in order and
    `said` what each one said, as (n, lang, text) (the recorder the UI tests listen to)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.paths: list[Path] = []
        self.said: list[tuple[int, str, str]] = []

    def begin(self, n: int, text: str, lang: str) -> None:
        self.said.append((n, lang, text))

    def command(self, argv: list[str], n: int) -> list[str]:
        path = self.folder / f"utterance-{n:04d}.wav"
        self.paths.append(path)
        return [*argv, "-w", str(path)]


def playback_problem(returncode: int, stderr: str) -> str:
    """Why a finished espeak-ng did not play, or "" when it did."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    # "ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default" -> "Unknown PCM default"
    alsa = [ln.split(") ", 1)[-1] for ln in lines if ln.startswith("ALSA lib")]
    errors = [ln for ln in lines if ln.lower().startswith("error")]
    why = "; ".join(dict.fromkeys([*alsa[-1:], *errors[-1:]]))[:300]
    if returncode != 0:
        return f"espeak-ng exited with {returncode}: {why or (lines or ['no message'])[-1][:200]}"
    if why:
        return f"no audio output: {why}"
    return ""


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Signal espeak-ng and anything it started (its own session: start_new_session=True)."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Speaker:
    """Speaks one utterance at a time; a new one cuts the one playing. Thread-safe, never raises."""

    def __init__(self, settings: SpeechSection = SpeechSection(), sink=None, *, espeak: str = "espeak-ng",
                 status_file: str | os.PathLike | None = None, env: dict | None = None):
        self.settings = settings
        self.sink = sink or PlaybackSink()
        self.espeak = espeak
        self.status_file = Path(status_file) if status_file else None
        self.env = {**os.environ, **env} if env else None  # extra variables, e.g. ALSA's, for espeak-ng
        self._cond = threading.Condition()
        self._pending: list[tuple[str, str]] | None = None  # (text, lang) parts, said one after another
        self._proc: subprocess.Popen | None = None
        self._cut: set[int] = set()  # pids terminated on purpose: their exit is not a device problem
        self._asked = 0  # utterances asked for
        self._done = 0  # the newest of them that has ended, been cut or been skipped
        self._closed = False
        self.status: SpeechStatus | None = None
        self._worker = threading.Thread(target=self._run, name="speech", daemon=True)
        self._worker.start()

    # the caller's side: nothing here waits for a process ----------------------------------

    def speak(self, text: str, lang: str = "id") -> None:
        """Say `text` in `lang` ("id" or "en"), cutting whatever is being said. Returns at once."""
        self.speak_parts([(text, lang)])

    def speak_parts(self, parts) -> None:
        """Say each (text, lang) in turn (one espeak-ng each: a sentence in each language), cutting
        whatever is being said; a later speak() cuts the rest. Returns at once."""
        if not self.settings.enabled or self._closed:
            return
        said = [(" ".join(str(text).split())[:MAX_TEXT_CHARS], lang if lang in LANG_VOICE else "id") for text, lang in parts]
        said = [(text, lang) for text, lang in said if text]
        if not said:
            return
        with self._cond:
            self._pending = said
            self._asked += 1
            self._terminate_current()
            self._cond.notify()

    def stop(self) -> None:
        """Silence now (the applicant's session ended)."""
        with self._cond:
            self._pending = None
            self._asked += 1  # the parts still to say belong to an older generation: dropped
            self._done = self._asked if self._proc is None else self._done
            self._terminate_current()
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._pending = None
            self._terminate_current()
            self._cond.notify()

    def wait_idle(self, timeout: float) -> bool:
        """For tests and the benchmark: wait until every utterance asked for has ended or been cut."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._done < self._asked or self._proc is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _terminate_current(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            self._cut.add(proc.pid)
            _signal_group(proc, signal.SIGTERM)

    # the worker's side ----------------------------------------------------------------------

    def argv(self, text: str, lang: str) -> list[str]:
        s = self.settings
        voice = getattr(s, LANG_VOICE[lang])
        # The text goes on stdin, so a text starting with "-" is never read as an option.
        return [self.espeak, "-v", voice, "-a", str(s.volume), "-s", str(s.rate)]

    def _run(self) -> None:
        n = 0
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    self._done = self._asked
                    self._cond.notify_all()
                    return
                parts = self._pending
                self._pending = None
                generation = self._asked
            for text, lang in parts:
                with self._cond:
                    if self._pending is not None or self._closed or self._asked != generation:
                        break  # cut by a newer utterance or by stop()
                    n += 1
                try:
                    self._say(n, text, lang)
                except Exception as e:  # a broken sink must not end speech for the rest of the day
                    log.exception("speech: utterance %d failed", n)
                    self._set_status(False, f"utterance failed: {e}")
            with self._cond:
                # With nothing pending, every utterance asked for is over (said, cut or dropped by stop()).
                self._done = self._asked if self._pending is None else generation
                self._cond.notify_all()

    def _say(self, n: int, text: str, lang: str) -> None:
        self.sink.begin(n, text, lang)
        argv = self.sink.command(self.argv(text, lang), n)
        try:
            with self._cond:
                if self._pending is not None or self._closed:
                    return  # already replaced: do not start it at all
                proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=self.sink.output(n),
                                        stderr=subprocess.PIPE, encoding="utf-8", errors="replace",
                                        start_new_session=True, env=self.env)
                self._proc = proc
            self.sink.started(n)
        except OSError as e:
            self._set_status(False, f"cannot run {self.espeak}: {e.strerror or e}")
            return
        try:
            _, err = proc.communicate(text, timeout=self.settings.max_seconds)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.communicate()
            self._set_status(False, f"espeak-ng took longer than {self.settings.max_seconds:g} s and was killed")
            return
        finally:
            with self._cond:
                self._proc = None
        with self._cond:
            cut = proc.pid in self._cut
            self._cut.discard(proc.pid)
        if cut:
            return
        problem = playback_problem(proc.returncode, err)
        self._set_status(not problem, problem or "spoke")

    def _set_status(self, ok: bool, detail: str) -> None:
        was = self.status
        self.status = SpeechStatus(ok, detail, time.time())
        if not ok and (was is None or was.ok or was.detail != detail):
            log.warning("speech: %s (the kiosk stays silent)", detail)
        if ok and was is not None and not was.ok:
            log.info("speech: audio output works again")
        if self.status_file and (was is None or was.ok != ok or was.detail != detail):
            self._write_status()

    def _write_status(self) -> None:
        tmp = self.status_file.with_name(self.status_file.name + ".tmp")
        try:
            tmp.write_text(json.dumps(self.status.to_json()), encoding="utf-8")
            os.replace(tmp, self.status_file)
        except OSError as e:
            log.warning("speech: cannot write %s: %s", self.status_file, e)
