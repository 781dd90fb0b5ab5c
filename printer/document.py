"""A tiny ESC/POS document builder: styled, wrapped lines in, bytes out.

It remembers the printer's current style and only sends the commands that change it, which keeps a
ticket a few hundred bytes. Text is always normalised to ASCII (see text.py) and wrapped to what
fits at the current character width, so the printer never wraps or truncates on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from . import commands as cmd
from .text import to_ascii, wrap

LEFT, CENTER, RIGHT = cmd.ALIGN_LEFT, cmd.ALIGN_CENTER, cmd.ALIGN_RIGHT
FONT_A, FONT_B = 0, 1
CODE_PAGE = 0  # PC437; every byte we send is ASCII, pinned so the output never depends on setup


@dataclass(frozen=True)
class Style:
    align: int = LEFT
    bold: bool = False
    width: int = 1
    height: int = 1
    underline: int = 0
    reverse: bool = False
    font: int = FONT_A
    spacing: int | None = None  # line feed in dots; None = the printer's default (ESC 2)


class Document:
    def __init__(self, columns: int, font_b_columns: int | None = None):
        self.columns = columns
        self.font_b_columns = font_b_columns  # None: no Font B, FONT_B text prints in Font A
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
        if style.font != cur.font:
            self._out += cmd.select_font(style.font)
        if style.spacing != cur.spacing:
            self._out += cmd.DEFAULT_LINE_SPACING if style.spacing is None else cmd.line_spacing(style.spacing)
        self._style = style

    def _fit(self, style: Style) -> Style:
        return style if style.font == FONT_A or self.font_b_columns else replace(style, font=FONT_A)

    def width_at(self, size: int, font: int = 0) -> int:
        columns = self.font_b_columns if font == FONT_B and self.font_b_columns else self.columns
        return max(1, columns // size)

    def line(self, text: str, style: Style = Style()) -> None:
        """One line exactly as given (normalised), cut to fit; use `para` for wrapped text."""
        style = self._fit(style)
        plain = to_ascii(text)[: self.width_at(style.width, style.font)]
        self._apply(style)
        self._out += plain.encode("ascii") + cmd.LF

    def para(self, text: str, style: Style = Style(), indent: int = 0, first_prefix: str = "",
             hyphens: bool = True) -> int:
        """Wrapped text; continuation lines are indented by `indent` spaces. Returns lines printed."""
        style = self._fit(style)
        width = self.width_at(style.width, style.font)
        lines = wrap(text, width, first_prefix=first_prefix, indent=indent, hyphens=hyphens)
        if not lines:
            return 0
        self._apply(style)
        for ln in lines:
            self._out += ln[:width].encode("ascii") + cmd.LF
        return len(lines)

    def blank(self, n: int = 1) -> None:
        # A bare LF is as tall as the current character height: drop to normal size first.
        if n > 0:
            self._apply(Style(align=self._style.align, font=self._style.font, spacing=self._style.spacing))
            self._out += cmd.LF * n

    def rule(self, char: str = "-", font: int = FONT_A) -> None:
        # Full width, so alignment is irrelevant: keep the current one rather than pay to change it.
        # Font A: the same length on paper in fewer bytes than Font B; the line spacing stays.
        # Font B where paper length counts more (the slip): its line is 17 dots high, not 24.
        style = self._fit(Style(align=self._style.align, spacing=self._style.spacing, font=font))
        self.line(char * self.width_at(1, style.font), style)

    def columns2(self, left: str, right: str, style: Style, prefix: str = "", indent: int = 2, gap: int = 2) -> None:
        """Two texts side by side, each wrapped in its own half (a bilingual pair on one band);
        the left one starts with `prefix` and its continuation lines are indented by `indent`."""
        style = self._fit(style)
        width = self.width_at(style.width, style.font)
        half = (width - gap) // 2
        lefts = wrap(left, half, first_prefix=prefix, indent=indent)
        rights = wrap(right, width - half - gap)
        self._apply(style)
        for i in range(max(len(lefts), len(rights))):
            a = lefts[i] if i < len(lefts) else ""
            b = rights[i] if i < len(rights) else ""
            self._out += (a.ljust(half + gap) + b).rstrip()[:width].encode("ascii") + cmd.LF

    def pair_lines(self, left: str, right: str, style: Style, prefix: str = "", indent: int = 2,
                   gap: int = 2) -> tuple[int, int]:
        """(lines as two columns, lines as one 'left / right' paragraph) of a bilingual pair."""
        style = self._fit(style)
        width = self.width_at(style.width, style.font)
        half = (width - gap) // 2
        side_by_side = max(len(wrap(left, half, first_prefix=prefix, indent=indent)),
                           len(wrap(right, width - half - gap)))
        joined = " / ".join(t for t in (left, right) if t)
        return side_by_side, len(wrap(joined, width, first_prefix=prefix, indent=indent))

    def pair(self, left: str, right: str, style: Style, prefix: str = "", indent: int = 2,
             columns: bool = True) -> None:
        """A bilingual pair side by side where that is no longer than one paragraph (the columns
        read better, but a short text beside a long one leaves a half-empty band), else one
        'left / right' paragraph. `columns=False`: always the paragraph (narrow paper)."""
        if columns and left and right:
            side_by_side, joined = self.pair_lines(left, right, style, prefix, indent)
            if side_by_side <= joined:
                self.columns2(left, right, style, prefix=prefix, indent=indent)
                return
        self.para(" / ".join(t for t in (left, right) if t), style, indent=indent, first_prefix=prefix)

    def smoothing(self) -> None:
        self._out += cmd.smoothing(True)

    def qr(self, data: bytes, module_dots: int, align: int = CENTER) -> None:
        self._apply(Style(align=align))
        self._out += cmd.qr_code(data, module_dots)

    def nv_logo(self, key: str, align: int = CENTER) -> None:
        self._apply(Style(align=align))
        self._out += cmd.nv_graphics_print(key)

    def cut(self, cutter: bool, feed_after: int = 4) -> None:
        """Feed the last printed line past the tear bar or cutter, then (partial) cut. The style is
        left as it is: the next job starts with ESC @."""
        if cutter:
            self._out += cmd.feed_and_partial_cut(0)
        else:
            self._out += cmd.feed_lines(feed_after)

    def raster(self, width: int, height: int, raster: bytes, align: int = CENTER) -> None:
        self._apply(Style(align=align))
        self._out += cmd.raster_image(width, height, raster)

    def feed_dots(self, n: int) -> None:
        self._out += cmd.feed_dots(n)

    def raw(self, data: bytes) -> None:
        self._out += data

    def bytes(self) -> bytes:
        return bytes(self._out)
