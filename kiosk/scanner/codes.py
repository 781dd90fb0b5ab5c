"""What a scanned code may be. The M-Paspor payload format is not public (DOMAIN.md), so a code is an
opaque string; it is only bounded: printable ASCII, a length range, no control characters."""

from __future__ import annotations

from dataclasses import dataclass

MAX_CODE_LENGTH = 256  # the most any rule may allow; also what a reader buffers before refusing


@dataclass(frozen=True)
class CodeRules:
    min_length: int = 4
    max_length: int = 64


@dataclass(frozen=True)
class Refused:
    """A frame that is not a code, and why (for the log and `kiosk scanner test`)."""

    reason: str
    raw: str = ""

    def __str__(self) -> str:
        return self.reason


def _show(raw: str, limit: int = 40) -> str:
    shown = raw[:limit].encode("ascii", "backslashreplace").decode("ascii")
    return repr(shown + ("..." if len(raw) > limit else ""))


def check_code(raw: str, rules: CodeRules = CodeRules()) -> str | Refused:
    """The code itself, or Refused with a reason that names the offending character or length."""
    for i, ch in enumerate(raw):
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            return Refused(f"control character U+{ord(ch):04X} at position {i + 1} in {_show(raw)}", raw)
        if ord(ch) > 0x7E:
            return Refused(f"non-ASCII character U+{ord(ch):04X} at position {i + 1} in {_show(raw)}", raw)
    if len(raw) < rules.min_length:
        return Refused(f"{len(raw)} characters, shorter than {rules.min_length}: {_show(raw)}", raw)
    if len(raw) > rules.max_length:
        return Refused(f"{len(raw)} characters, longer than {rules.max_length}: {_show(raw)}", raw)
    return raw
