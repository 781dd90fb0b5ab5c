"""Turn an ESC/POS byte stream back into what the applicant would hold.

`Parser` is incremental (feed it chunks as they arrive; a command split across chunks is kept until
complete) so the fake printer uses it on a live pty; `decode(data)` parses a whole job for tests and
the preview. It knows the commands our encoder emits plus the common ones a real stream may carry;
anything else is recorded in `DecodedJob.unknown` instead of being guessed at.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

ALIGNS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


@dataclass(frozen=True)
class Style:
    align: str = "left"
    bold: bool = False
    width: int = 1
    height: int = 1
    underline: int = 0
    reverse: bool = False
    font: int = 0  # 0 = Font A, 1 = Font B
    spacing: int | None = None  # ESC 3 n line feed in dots; None = the default (ESC 2)
    smoothing: bool = False  # GS b 1


@dataclass
class TextLine:
    text: str
    style: Style

    @property
    def size(self) -> tuple[int, int]:
        return (self.style.width, self.style.height)


@dataclass
class QrCode:
    payload: bytes
    module_dots: int
    ec: str
    align: str

    @property
    def text(self) -> str:
        return self.payload.decode("utf-8", "replace")


@dataclass
class NvLogo:  # print NV graphics by reference (GS ( L fn 69)
    key: str
    scale: tuple[int, int]
    align: str


@dataclass
class NvLogoDefinition:  # store NV graphics (GS ( L fn 67)
    key: str
    width: int
    height: int
    raster: bytes


@dataclass
class NvLogoDelete:
    key: str


@dataclass
class Raster:  # GS v 0
    width: int
    height: int
    raster: bytes
    align: str


@dataclass
class Cut:
    partial: bool
    feed: bool


@dataclass
class Feed:
    lines: int = 0
    dots: int = 0


@dataclass
class StatusQuery:
    command: str  # "DLE EOT" (real-time) or "GS r" (after the preceding data)
    n: int


@dataclass
class Initialize:
    pass


@dataclass
class Unknown:
    data: bytes


@dataclass
class DecodedJob:
    items: list = field(default_factory=list)

    def _of(self, kind):
        return [i for i in self.items if isinstance(i, kind)]

    @property
    def lines(self) -> list[TextLine]:
        return self._of(TextLine)

    @property
    def texts(self) -> list[str]:
        return [ln.text for ln in self.lines]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def qr_codes(self) -> list[QrCode]:
        return self._of(QrCode)

    @property
    def qr_payloads(self) -> list[str]:
        return [q.text for q in self.qr_codes]

    @property
    def cuts(self) -> list[Cut]:
        return self._of(Cut)

    @property
    def logos(self) -> list[str]:
        return [i.key for i in self._of(NvLogo)]

    @property
    def status_queries(self) -> list[StatusQuery]:
        return self._of(StatusQuery)

    @property
    def rasters(self) -> list[Raster]:
        return self._of(Raster)

    @property
    def unknown(self) -> list[bytes]:
        return [u.data for u in self._of(Unknown)]

    def find(self, substring: str) -> TextLine | None:
        return next((ln for ln in self.lines if substring in ln.text), None)

    def render_text(self) -> str:
        """A readable transcript (used for golden files): one line per item."""
        out = []
        for item in self.items:
            if isinstance(item, TextLine):
                s = item.style
                flags = "".join(
                    f for f, on in (("B", s.bold), ("U", s.underline), ("R", s.reverse), ("S", s.smoothing)) if on
                )
                font = "b" if s.font else " "
                out.append(f"{s.align[0].upper()} {s.width}x{s.height}{font} {flags:4}|{item.text}")
            elif isinstance(item, QrCode):
                out.append(f"[QR {item.text!r} module={item.module_dots} ec={item.ec}]")
            elif isinstance(item, NvLogo):
                out.append(f"[NV LOGO {item.key!r}]")
            elif isinstance(item, Cut):
                out.append(f"[CUT {'partial' if item.partial else 'full'}]")
            elif isinstance(item, Feed):
                out.append(f"[FEED {item.lines} lines {item.dots} dots]")
            elif isinstance(item, StatusQuery):
                out.append(f"[STATUS {item.command} {item.n}]")
            elif isinstance(item, Raster):
                out.append(f"[RASTER {item.width}x{item.height}]")
            elif isinstance(item, NvLogoDefinition):
                out.append(f"[NV DEFINE {item.key!r} {item.width}x{item.height}]")
            elif isinstance(item, Unknown):
                out.append(f"[UNKNOWN {item.data.hex(' ')}]")
        return "\n".join(out) + "\n"


class _NeedMore(Exception):
    """The buffer ends inside a command; wait for more bytes."""


# ESC x with a fixed number of parameter bytes that we only need to skip.
_ESC_SKIP = {b"G": 1, b"{": 1, b"V": 1, b"p": 3, b"c": 2, b"e": 1,
             b"r": 1, b"U": 1, b" ": 1, b"$": 2, b"\\": 2, b"L": 0, b"S": 0, b"T": 1, b"W": 8,
             b"=": 1, b"%": 1}
_GS_SKIP = {b"a": 1, b"L": 2, b"W": 2, b"H": 1, b"h": 1, b"w": 1, b"f": 1, b"P": 2,
            b"$": 2, b"\\": 2, b"I": 1, b"/": 1}


class Parser:
    def __init__(self) -> None:
        self.offset = 0  # stream offset of self._buf[0]
        self._buf = bytearray()
        self._text = bytearray()
        self._line_style: Style | None = None
        self.style = Style()
        self._qr_module = 3
        self._qr_ec = "L"
        self._qr_data = b""

    def feed(self, data: bytes) -> list:
        """Parse what is complete so far; returns the new items in stream order."""
        return [item for item, _ in self.feed_with_offsets(data)]

    def feed_with_offsets(self, data: bytes) -> list[tuple[object, int]]:
        """Like feed, with the stream offset just past the bytes of each item."""
        self._buf += data
        items: list = []
        ends: list[int] = []
        pos = 0
        buf = self._buf
        try:
            while pos < len(buf):
                pos = self._step(buf, pos, items)
                ends += [self.offset + pos] * (len(items) - len(ends))
        except _NeedMore:
            pass
        del buf[:pos]
        self.offset += pos
        return list(zip(items, ends, strict=True))

    def finish(self) -> list:
        """End of stream: flush a last unterminated line and report a truncated command."""
        items: list = []
        self._flush_line(items)
        if self._buf:
            items.append(Unknown(bytes(self._buf)))
            self._buf.clear()
        return items

    # -- helpers
    def _flush_line(self, items: list, force: bool = False) -> None:
        if self._text or force:
            style = self._line_style or self.style
            items.append(TextLine(self._text.decode("cp437"), style))
        self._text.clear()
        self._line_style = None

    @staticmethod
    def _need(buf, pos, n) -> bytes:
        if pos + n > len(buf):
            raise _NeedMore
        return bytes(buf[pos:pos + n])

    def _step(self, buf, pos, items) -> int:
        b = buf[pos]
        if b == 0x0A:
            self._flush_line(items, force=True)
            return pos + 1
        if b == 0x0D:
            return pos + 1
        if b == 0x09:
            b = 0x20
        if b >= 0x20 and b != 0x7F:
            if not self._text:
                self._line_style = self.style  # ESC/POS applies alignment/size at line start
            self._text.append(b)
            return pos + 1
        if b == 0x1B:
            return self._esc(buf, pos, items)
        if b == 0x1D:
            return self._gs(buf, pos, items)
        if b == 0x10:
            head = self._need(buf, pos, 2)
            if head[1] in (0x04, 0x05):  # DLE EOT n, DLE ENQ n
                n = self._need(buf, pos, 3)[2]
                if head[1] == 0x04:
                    items.append(StatusQuery("DLE EOT", n))
                return pos + 3
            if head[1] == 0x14:  # DLE DC4 fn ...
                fn = self._need(buf, pos, 3)[2]
                n = 7 if fn == 8 else 3
                self._need(buf, pos, 2 + n)
                return pos + 2 + n
        items.append(Unknown(bytes([b])))
        return pos + 1

    def _esc(self, buf, pos, items) -> int:
        c = self._need(buf, pos, 2)[1:2]
        if c == b"@":
            self._flush_line(items)
            self.style = Style()
            items.append(Initialize())
            return pos + 2
        if c == b"2":
            self.style = replace(self.style, spacing=None)
            return pos + 2
        one = {b"t", b"R", b"!", b"E", b"-", b"a", b"d", b"G", b"M", b"3", b"J"}
        if c in one:
            n = self._need(buf, pos, 3)[2]
            s = self.style
            if c == b"!":  # ESC ! n: bit3 bold, bit4 double height, bit5 double width, bit7 underline
                s = replace(s, bold=bool(n & 0x08), height=2 if n & 0x10 else 1,
                            width=2 if n & 0x20 else 1, underline=1 if n & 0x80 else 0, font=n & 1)
            elif c == b"E" or c == b"G":
                s = replace(s, bold=bool(n & 1))
            elif c == b"-":
                s = replace(s, underline=n % 48 if n >= 48 else n)
            elif c == b"a":
                s = replace(s, align=ALIGNS.get(n, s.align))
            elif c == b"M":
                s = replace(s, font=n & 1)
            elif c == b"3":
                s = replace(s, spacing=n)
            elif c == b"d":
                self._flush_line(items)
                items.append(Feed(lines=n))
            elif c == b"J":
                self._flush_line(items)
                items.append(Feed(dots=n))
            self.style = s
            return pos + 3
        if c in _ESC_SKIP:
            n = _ESC_SKIP[c]
            self._need(buf, pos, 2 + n)
            return pos + 2 + n
        items.append(Unknown(bytes([0x1B]) + c))
        return pos + 2

    def _gs(self, buf, pos, items) -> int:
        c = self._need(buf, pos, 2)[1:2]
        if c == b"!":
            n = self._need(buf, pos, 3)[2]
            self.style = replace(self.style, width=(n >> 4) + 1, height=(n & 0x0F) + 1)
            return pos + 3
        if c == b"B":
            n = self._need(buf, pos, 3)[2]
            self.style = replace(self.style, reverse=bool(n & 1))
            return pos + 3
        if c == b"b":
            n = self._need(buf, pos, 3)[2]
            self.style = replace(self.style, smoothing=bool(n & 1))
            return pos + 3
        if c == b"r":
            n = self._need(buf, pos, 3)[2]
            self._flush_line(items)
            items.append(StatusQuery("GS r", n))
            return pos + 3
        if c == b"V":
            m = self._need(buf, pos, 3)[2]
            size = 4 if m in (65, 66, 97, 98, 103, 104) else 3
            self._need(buf, pos, size)
            self._flush_line(items)
            items.append(Cut(partial=m in (1, 49, 66, 98, 104), feed=size == 4))
            return pos + size
        if c == b"(":
            head = self._need(buf, pos, 5)
            length = head[3] | head[4] << 8
            body = self._need(buf, pos, 5 + length)[5:]
            self._gs_paren(head[2:3], body, items)
            return pos + 5 + length
        if c == b"8":
            head = self._need(buf, pos, 7)
            length = int.from_bytes(head[3:7], "little")
            body = self._need(buf, pos, 7 + length)[7:]
            if head[2:3] == b"L":
                self._gs_paren(b"L", body, items)
            else:
                items.append(Unknown(head))
            return pos + 7 + length
        if c == b"v":
            head = self._need(buf, pos, 8)
            row = head[4] | head[5] << 8
            height = head[6] | head[7] << 8
            data = self._need(buf, pos, 8 + row * height)[8:]
            self._flush_line(items)
            items.append(Raster(row * 8, height, data, self.style.align))
            return pos + 8 + row * height
        if c == b"k":  # barcode: m<=6 NUL-terminated data, else length-prefixed
            m = self._need(buf, pos, 3)[2]
            if m <= 6:
                end = buf.find(b"\x00", pos + 3)
                if end < 0:
                    raise _NeedMore
                return end + 1
            n = self._need(buf, pos, 4)[3]
            self._need(buf, pos, 4 + n)
            return pos + 4 + n
        if c in _GS_SKIP:
            n = _GS_SKIP[c]
            self._need(buf, pos, 2 + n)
            return pos + 2 + n
        items.append(Unknown(bytes([0x1D]) + c))
        return pos + 2

    def _gs_paren(self, kind: bytes, body: bytes, items: list) -> None:
        if kind == b"k" and len(body) >= 2 and body[0] == 49:  # QR code functions
            fn = body[1]
            if fn == 67 and len(body) >= 3:
                self._qr_module = body[2]
            elif fn == 69 and len(body) >= 3:
                self._qr_ec = {48: "L", 49: "M", 50: "Q", 51: "H"}.get(body[2], "?")
            elif fn == 80:
                self._qr_data = bytes(body[3:])
            elif fn == 81:
                self._flush_line(items)
                items.append(QrCode(self._qr_data, self._qr_module, self._qr_ec, self.style.align))
            return
        if kind == b"L" and len(body) >= 2 and body[0] == 48:  # NV / download graphics
            fn = body[1]
            if fn == 69 and len(body) >= 6:
                self._flush_line(items)
                items.append(NvLogo(body[2:4].decode("ascii", "replace"), (body[4], body[5]),
                                    self.style.align))
                return
            if fn == 67 and len(body) >= 12 and body[2] == 48:
                key = body[3:5].decode("ascii", "replace")
                width = body[6] | body[7] << 8
                height = body[8] | body[9] << 8
                items.append(NvLogoDefinition(key, width, height, bytes(body[11:])))
                return
            if fn == 66 and len(body) >= 4:
                items.append(NvLogoDelete(body[2:4].decode("ascii", "replace")))
                return
        items.append(Unknown(b"\x1d(" + kind + bytes(body[:8])))


def decode(data: bytes) -> DecodedJob:
    parser = Parser()
    items = parser.feed(data)
    items += parser.finish()
    return DecodedJob(items)
