"""Plain ASCII for the printer: normalisation and wrapping.

Every text byte we send is printable ASCII (0x20-0x7E), so the printer's code page never matters and
nothing is ever printed as mojibake. The rules, in order:

1. Known typographic characters get an ASCII spelling (curly quotes, dashes, ellipsis, bullets, ...).
2. NFKD decomposition, then combining marks are dropped: "Müller" -> "Muller", "ﬁ" -> "fi",
   full-width "Ａ" -> "A".
3. Control and format characters (including ESC/GS, so text can never inject a printer command,
   zero-width joiners and variation selectors) are dropped; any whitespace becomes one space.
4. Whatever is left outside ASCII (CJK, Arabic/Hebrew, emoji, symbols) becomes "?": one "?" per run
   of such characters, so an emoji sequence or a foreign word shows as a single "?" rather than a
   line of them.
"""
from __future__ import annotations

import textwrap
import unicodedata

REPLACEMENT = "?"

# Characters NFKD leaves alone but that have an obvious ASCII spelling.
_SPELLINGS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": "<", "\u203a": ">",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00ad": "",
    "\u2026": "...", "\u2022": "*", "\u00b7": "-", "\u2023": "*", "\u25cf": "*",
    "\u00d7": "x", "\u00f7": "/", "\u2192": "->", "\u2190": "<-",
    "\u20ac": "EUR", "\u00a3": "GBP", "\u00a5": "JPY", "\u00a9": "(c)", "\u00ae": "(R)",
    "\u2122": "TM", "\u2116": "No.",
    "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE",
    "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D",
    "\u00f0": "d", "\u00d0": "D", "\u00fe": "th", "\u00de": "Th", "\u0131": "i",
}


def to_ascii(text: str) -> str:
    """Return `text` as one line of printable ASCII, following the module's rules."""
    out: list[str] = []
    pending_unprintable = False
    for ch in unicodedata.normalize("NFKD", str(text)):
        if " " <= ch <= "~":
            piece = ch
        elif ch in _SPELLINGS:
            piece = _SPELLINGS[ch]
        else:
            cat = unicodedata.category(ch)
            if cat == "Mn" or cat == "Me" or cat == "Cf":
                continue  # accents after NFKD, ZWJ, variation selectors: invisible, drop
            if cat == "Cc":
                if ch not in "\t\n\r\x0b\x0c":
                    continue  # ESC, GS, DLE...: never let text smuggle a command in
                piece = " "
            elif ch.isspace() or cat in ("Zs", "Zl", "Zp"):
                piece = " "
            else:
                pending_unprintable = True
                continue
        if pending_unprintable:
            out.append(REPLACEMENT)
            pending_unprintable = False
        out.append(piece)
    if pending_unprintable:
        out.append(REPLACEMENT)
    return " ".join("".join(out).split())


def unprintable(text: str) -> list[str]:
    """The characters of `text` that print as "?" (no ASCII spelling), in order, each once."""
    text = str(text)
    if text.isascii():  # printable as it is, or control characters that are dropped: never "?"
        return []
    found: list[str] = []
    for ch in text:
        if ch != REPLACEMENT and to_ascii(ch) == REPLACEMENT and ch not in found:
            found.append(ch)
    return found


def wrap(text: str, width: int, *, first_prefix: str = "", indent: int = 0, hyphens: bool = True) -> list[str]:
    """Normalise and wrap to at most `width` columns; words longer than a line are split.

    The first line starts with `first_prefix` (layout text such as a checkbox: its spaces are kept),
    the others with `indent` spaces. `hyphens=False` never breaks after a hyphen (ids such as
    "kiosk-80" stay whole). Returns [] for empty text so callers decide whether an empty field
    prints a blank line.
    """
    if width < 1:
        raise ValueError(f"wrap width must be at least 1, got {width}")
    plain = to_ascii(text)
    if not plain:
        return []
    if max(len(first_prefix), indent) >= width:
        first_prefix, indent = first_prefix[: width - 1], min(indent, width - 1)
    return textwrap.wrap(plain, width, initial_indent=first_prefix, subsequent_indent=" " * indent,
                         break_long_words=True, break_on_hyphens=hyphens)
