"""A QR code as a GS v 0 raster, for printers without native QR (GS ( k): the cheap 58 mm clones
(POS-5890, ZJ-5870 class).

The symbol is drawn by the `qrcode` package (a python-escpos dependency) with no border: the paper
around it is the quiet zone, and the layout feeds four modules of white below it. Modules are the
smallest that scan reliably from a phone at the printer's resolution: 0.33 mm, i.e. 3 dots at
203 dpi (0.375 mm) and at 180 dpi (0.42 mm). A ticket-id symbol (version 3, 29 modules) is then 87
dots wide and about 1 KB; a status URL (version 4, 33 modules) about 1.3 KB.
"""
from __future__ import annotations

import math

MIN_MODULE_MM = 0.33


def module_dots(dpi: int) -> int:
    return max(2, math.ceil(MIN_MODULE_MM * dpi / 25.4))


def qr_raster(data: bytes, module: int, ec: str = "M") -> tuple[int, int, bytes]:
    """(width, height, raster) of the symbol: rows of ceil(width/8) bytes, MSB first, 1 = black."""
    import qrcode  # only for printers without native QR

    levels = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
    code = qrcode.QRCode(error_correction=levels[ec], border=0)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix) * module
    row_bytes = (size + 7) // 8
    out = bytearray()
    for cells in matrix:
        bits = 0
        for dark in cells:
            for _ in range(module):
                bits = (bits << 1) | int(bool(dark))
        bits <<= row_bytes * 8 - size
        out += bits.to_bytes(row_bytes, "big") * module
    return size, size, bytes(out)
