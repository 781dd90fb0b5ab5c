"""Cutting a serial byte stream into frames: optional prefix, the code, the suffix.

Suffix "enter" ends a frame at CR, LF or CRLF (scanners are set to either); "tab" at TAB.
A frame that grows past MAX_CODE_LENGTH without its suffix is refused and dropped, so a scanner
sending garbage cannot make the reader buffer without bound.
"""

from __future__ import annotations

from .codes import MAX_CODE_LENGTH, CodeRules, Refused, check_code

SUFFIXES = {"enter": b"\r\n", "tab": b"\t"}


class SerialFramer:
    def __init__(self, *, prefix: str = "", suffix: str = "enter", rules: CodeRules = CodeRules()):
        if suffix not in SUFFIXES:
            raise ValueError(f"suffix must be one of {', '.join(SUFFIXES)}")
        self.prefix = prefix
        self.ends = SUFFIXES[suffix]
        self.rules = rules
        self._buf = bytearray()
        self._overflowing = False

    def reset(self) -> None:
        """A new connection: a half frame from before the unplug is lost, never glued to the next."""
        self._buf.clear()
        self._overflowing = False

    def feed(self, data: bytes) -> list[str | Refused]:
        out: list[str | Refused] = []
        for byte in data:
            if byte in self.ends:
                if self._overflowing:
                    self._overflowing = False
                elif self._buf:
                    out.append(self._frame(bytes(self._buf)))
                self._buf.clear()  # CRLF: the LF after a CR closes an empty frame, which is skipped
                continue
            if self._overflowing:
                continue
            self._buf.append(byte)
            if len(self._buf) > MAX_CODE_LENGTH + len(self.prefix):
                out.append(Refused(f"no end of code after {len(self._buf)} bytes; dropped up to the next "
                                   "end of line", self._buf[:40].decode("latin-1")))
                self._buf.clear()
                self._overflowing = True
        return out

    def _frame(self, raw: bytes) -> str | Refused:
        text = raw.decode("latin-1")  # every byte maps to one character: non-ASCII is refused by check_code
        if self.prefix:
            if not text.startswith(self.prefix):
                return Refused(f"missing the prefix {self.prefix!r}: {text[:40]!r}", text)
            text = text[len(self.prefix):]
        return check_code(text, self.rules)
