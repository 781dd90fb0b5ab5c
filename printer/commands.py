"""ESC/POS command bytes, one function per command, named after what the printer does.

References: Epson "ESC/POS Application Programming Guide" command pages; the same byte layouts are
used by python-escpos (constants.py, Escpos.qr/_send_2d_code_data) which our tests compare against.
"""
from __future__ import annotations

ESC = b"\x1b"
GS = b"\x1d"
DLE = b"\x10"
EOT = b"\x04"
LF = b"\n"

INITIALIZE = ESC + b"@"  # clears the buffer and every mode left by a previous, possibly cut-off job

# One write, three real-time queries: printer (1), offline cause (2), roll paper sensor (4).
STATUS_QUERY = DLE + EOT + b"\x01" + DLE + EOT + b"\x02" + DLE + EOT + b"\x04"
# GS r 1 is NOT real-time: the printer answers only after processing everything before it, i.e.
# after the ticket has printed and been cut. That is our completion confirmation.
PAPER_STATUS_AFTER_JOB = GS + b"r\x01"

ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT = 0, 1, 2


def _u8(n: int, what: str) -> bytes:
    if not 0 <= n <= 255:
        raise ValueError(f"{what} must be 0..255, got {n}")
    return bytes([n])


def _le16(n: int) -> bytes:
    if not 0 <= n <= 0xFFFF:
        raise ValueError(f"value {n} does not fit in two bytes")
    return bytes([n & 0xFF, n >> 8])


def select_code_page(n: int) -> bytes:  # ESC t n
    return ESC + b"t" + _u8(n, "code page")


def select_charset(n: int) -> bytes:  # ESC R n (0 = USA: plain ASCII glyphs)
    return ESC + b"R" + _u8(n, "character set")


def align(n: int) -> bytes:  # ESC a n
    return ESC + b"a" + _u8(n, "alignment")


def bold(on: bool) -> bytes:  # ESC E n
    return ESC + b"E" + (b"\x01" if on else b"\x00")


def underline(dots: int) -> bytes:  # ESC - n, 0..2 dots thick
    return ESC + b"-" + _u8(dots, "underline")


def reverse(on: bool) -> bytes:  # GS B n: white on black
    return GS + b"B" + (b"\x01" if on else b"\x00")


def char_size(width: int, height: int) -> bytes:  # GS ! n, multipliers 1..8
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError(f"character size must be 1..8 each, got {width}x{height}")
    return GS + b"!" + bytes([((width - 1) << 4) | (height - 1)])


def select_font(n: int) -> bytes:  # ESC M n: 0 = Font A (12x24), 1 = Font B (9x17)
    return ESC + b"M" + _u8(n, "font")


def line_spacing(dots: int) -> bytes:  # ESC 3 n: feed n motion units (dots) per line
    return ESC + b"3" + _u8(dots, "line spacing")


DEFAULT_LINE_SPACING = ESC + b"2"  # ESC 2: back to the printer's default (about 1/6 inch)


def smoothing(on: bool) -> bytes:  # GS b n: smooth the edges of enlarged characters (Epson TM)
    return GS + b"b" + (b"\x01" if on else b"\x00")


def feed_dots(n: int) -> bytes:  # ESC J n: print the buffer and feed n dots
    return ESC + b"J" + _u8(n, "feed dots")


def feed_lines(n: int) -> bytes:  # ESC d n: print the buffer and feed n lines
    return ESC + b"d" + _u8(n, "feed lines")


def feed_and_partial_cut(extra_dots: int = 0) -> bytes:
    """GS V 66 n: feed to the cutter (+n dots) then partial cut, so nothing printed is left behind."""
    return GS + b"V\x42" + _u8(extra_dots, "cut feed")


def _gs_k(fn: int, payload: bytes) -> bytes:  # GS ( k pL pH cn=49 fn ...
    return GS + b"(k" + _le16(len(payload) + 2) + b"1" + bytes([fn]) + payload


QR_EC_LEVELS = {"L": 48, "M": 49, "Q": 50, "H": 51}


def qr_code(data: bytes, module_dots: int, ec: str = "M") -> bytes:
    """Native QR: model 2, module size, error correction, store the data, print it (GS ( k)."""
    if not 1 <= module_dots <= 16:
        raise ValueError(f"QR module size must be 1..16 dots, got {module_dots}")
    if not data or len(data) > 7089:
        raise ValueError(f"QR data must be 1..7089 bytes, got {len(data)}")
    return (
        _gs_k(65, b"\x32\x00")  # fn 165: model 2
        + _gs_k(67, bytes([module_dots]))  # fn 167: module size
        + _gs_k(69, bytes([QR_EC_LEVELS[ec]]))  # fn 169: error correction level
        + _gs_k(80, b"0" + data)  # fn 180: store data in the symbol storage area
        + _gs_k(81, b"0")  # fn 181: print the stored symbol
    )


def _gs_l(payload: bytes) -> bytes:
    """GS ( L pL pH m fn ..., or GS 8 L p1..p4 when the payload is over 65535 bytes."""
    if len(payload) <= 0xFFFF:
        return GS + b"(L" + _le16(len(payload)) + payload
    return GS + b"8L" + len(payload).to_bytes(4, "little") + payload


def nv_graphics_print(key: str, scale_x: int = 1, scale_y: int = 1) -> bytes:  # fn 69
    return _gs_l(b"0E" + key.encode("ascii") + bytes([scale_x, scale_y]))


def nv_graphics_delete(key: str) -> bytes:  # fn 66
    return _gs_l(b"0B" + key.encode("ascii"))


def nv_graphics_define(key: str, width: int, height: int, raster: bytes) -> bytes:
    """fn 67, raster format, one colour. `raster`: rows of ceil(width/8) bytes, MSB = leftmost dot."""
    row = (width + 7) // 8
    if len(raster) != row * height:
        raise ValueError(f"raster is {len(raster)} bytes, expected {row * height} for {width}x{height}")
    return _gs_l(b"0C0" + key.encode("ascii") + b"\x01" + _le16(width) + _le16(height) + b"1" + raster)


def raster_image(width: int, height: int, raster: bytes) -> bytes:
    """GS v 0: print a raster bit image immediately (what image-based kiosks send for a whole ticket)."""
    row = (width + 7) // 8
    if len(raster) != row * height:
        raise ValueError(f"raster is {len(raster)} bytes, expected {row * height} for {width}x{height}")
    return GS + b"v0\x00" + _le16(row) + _le16(height) + raster
