"""A tiny ESC/POS document builder: styled, wrapped lines in, bytes out.

It remembers the printer's current style and only sends the commands that change it, which keeps a
ticket a few hundred bytes. Text is always normalised to ASCII (see text.py) and wrapped to what
fits at the current character width, so the printer never wraps or truncates on its own.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import commands as cmd
from .text import to_ascii, wrap

LEFT, CENTER, RIGHT = cmd.ALIGN_LEFT, cmd.ALIGN_CENTER, cmd.ALIGN_RIGHT
CODE_PAGE = 0  # PC437; every byte we send is ASCII, pinned so the output never depends on setup


@dataclass(frozen=True)
class Style:
    align: int = LEFT
    bold: bool = False
    width: int = 1
    height: int = 1
    underline: int = 0
    reverse: bool = False


class Document:
    def __init__(self, columns: int):
        self.columns = columns
        self._out = bytearray(cmd.INITIALIZE + cmd.select_code_page(CODE_PAGE) + cmd.select_charset(0))
        self._style = Style()  # what ESC @ leaves us with

    def _apply(self, style: Style) -> None:
        cur = self._style
        if style.align != cur.align:
            self._out += cmd.align(style.align)
        if style.bold != cur.bold:
            self._out += cmd.bold(style.bold)
        if (style.width, style.height) != (cur.width, cur.height):
            self._out += cmd.char_size(style.width, style.height)
        if style.underline != cur.underline:
            self._out += cmd.underline(style.underline)
        if style.reverse != cur.reverse:
            self._out += cmd.reverse(style.reverse)
        self._style = style

    def width_at(self, size: int) -> int:
        return max(1, self.columns // size)

    def line(self, text: str, style: Style = Style()) -> None:
        """One line exactly as given (normalised), cut to fit; use `para` for wrapped text."""
        plain = to_ascii(text)[: self.width_at(style.width)]
        self._apply(style)
        self._out += plain.encode("ascii") + cmd.LF

    def para(self, text: str, style: Style = Style(), indent: int = 0, first_prefix: str = "") -> int:
        """Wrapped text; continuation lines are indented by `indent` spaces. Returns lines printed."""
        width = self.width_at(style.width)
        head = first_prefix  # our own layout text (marks, indents): spaces are meaningful, keep them
        lines = wrap(text, max(1, width - max(len(head), indent)))
        if not lines:
            return 0
        self._apply(style)
        for i, ln in enumerate(lines):
            lead = head if i == 0 else " " * indent
            self._out += (lead + ln)[:width].encode("ascii") + cmd.LF
        return len(lines)

    def blank(self, n: int = 1) -> None:
        # A bare LF is as tall as the current character height: drop to normal size first.
        if n > 0:
            self._apply(Style(align=self._style.align))
            self._out += cmd.LF * n

    def rule(self, char: str = "-") -> None:
        # Full width, so alignment is irrelevant: keep the current one rather than pay to change it.
        self.line(char * self.columns, Style(align=self._style.align))

    def qr(self, data: bytes, module_dots: int, align: int = CENTER) -> None:
        self._apply(Style(align=align))
        self._out += cmd.qr_code(data, module_dots)

    def nv_logo(self, key: str, align: int = CENTER) -> None:
        self._apply(Style(align=align))
        self._out += cmd.nv_graphics_print(key)

    def cut(self, cutter: bool, feed_after: int = 4) -> None:
        """Feed the last printed line past the tear bar or cutter, then (partial) cut."""
        self._apply(Style())
        if cutter:
            self._out += cmd.feed_and_partial_cut(0)
        else:
            self._out += cmd.feed_lines(feed_after)

    def raw(self, data: bytes) -> None:
        self._out += data

    def bytes(self) -> bytes:
        return bytes(self._out)
