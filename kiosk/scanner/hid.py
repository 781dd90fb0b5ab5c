"""Telling a "keyboard wedge" scan from typing, by timing alone; no GUI here.

A HID scanner types its code as keys a few milliseconds apart, then Enter (or Tab). A person types
them 100 ms or more apart. The recogniser holds each key until it knows which it is: the next key
coming within `max_gap` makes a burst; a burst of at least `min_length` keys ending in the suffix is
one scan (delivered as a code, never as text); a key left alone longer than `max_gap` is released
as typed text. The caller feeds `feed(key, t)` and calls `tick(t)` at `deadline` to release held
typing (Kivy: a Clock event), and gives Typed text to whatever field has focus.

Keys are one printable character, or a name: "enter", "tab", or any other (passed through as typed).
"""

from __future__ import annotations

from dataclasses import dataclass

from .codes import MAX_CODE_LENGTH, CodeRules, Refused, check_code


@dataclass(frozen=True)
class Scan:
    code: str


@dataclass(frozen=True)
class Typed:
    key: str  # as fed: a character or a key name



class HidRecogniser:
    def __init__(self, *, max_gap_ms: float = 50, prefix: str = "", suffix: str = "enter",
                 rules: CodeRules = CodeRules()):
        if suffix not in ("enter", "tab"):
            raise ValueError('suffix must be "enter" or "tab"')
        self.max_gap = max_gap_ms / 1000.0
        self.prefix = prefix
        self.suffix = suffix
        self.rules = rules
        self._held: list[str] = []
        self._last_t: float | None = None
        self._discarding = False  # an over-long burst: swallowed up to its end

    @property
    def deadline(self) -> float | None:
        """When `tick` must be called to release held keys as typing (None: nothing held)."""
        if self._last_t is None or not (self._held or self._discarding):
            return None
        return self._last_t + self.max_gap

    def feed(self, key: str, t: float) -> list:
        out = self.tick(t)
        if key == self.suffix:
            if self._discarding:
                self._discarding = False
                self._last_t = None
                return out
            if len(self._held) >= max(self.rules.min_length, 2) or (self.prefix and self._held):
                out.append(self._scan("".join(self._held)))
                self._held.clear()
                self._last_t = None
                return out
            out += self._release()
            out.append(Typed(key))
            self._last_t = None
            return out
        if len(key) != 1:  # Backspace, arrows...: never part of a scan
            out += self._release()
            out.append(Typed(key))
            self._last_t = None
            return out
        self._last_t = t
        if self._discarding:
            return out
        self._held.append(key)
        if len(self._held) > MAX_CODE_LENGTH + len(self.prefix):
            out.append(Refused(f"a burst of more than {MAX_CODE_LENGTH} keys without {self.suffix}; ignored",
                               "".join(self._held[:40])))
            self._held.clear()
            self._discarding = True
        return out

    def tick(self, t: float) -> list:
        """Release what the gap has shown to be typing (or an unfinished burst)."""
        if self._last_t is None or t - self._last_t <= self.max_gap:
            return []
        self._last_t = None
        if self._discarding:
            self._discarding = False
            return []
        if len(self._held) >= max(self.rules.min_length, 2):
            # Too fast for a person, but the suffix never came: a scanner set up without Enter, or
            # a cut-off scan. Typing it into a field would put half a code there; refuse it instead.
            raw = "".join(self._held)
            self._held.clear()
            return [Refused(f"a fast burst of {len(raw)} keys without {self.suffix} at its end: {raw[:40]!r}", raw)]
        return self._release()

    def _release(self) -> list:
        out = [Typed(k) for k in self._held]
        self._held.clear()
        return out

    def _scan(self, raw: str):
        if self.prefix:
            if not raw.startswith(self.prefix):
                return Refused(f"missing the prefix {self.prefix!r}: {raw[:40]!r}", raw)
            raw = raw[len(self.prefix):]
        code = check_code(raw, self.rules)
        return code if isinstance(code, Refused) else Scan(code)
