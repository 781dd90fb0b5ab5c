"""How long a job comes out of the printer, from its decoded commands: for the slip budget (issue 16:
15 cm at 80 mm, 20 cm at 58 mm), the bench and the tests.

A text line feeds its line spacing (ESC 3 n, else the default: 30 dots, Epson's "about 3.75 mm" at
203 dpi and 1/6 inch at 180 dpi) or the height of its characters if they are taller. A native QR
symbol is as tall as its modules; a raster as its rows. The cut adds the head-to-cutter distance.
"""
from __future__ import annotations

from .decode import Cut, Feed, NvLogo, NvLogoDefinition, QrCode, Raster, TextLine, decode

DEFAULT_SPACING = 30
FONT_HEIGHT = {0: 24, 1: 17}
CUTTER_FEED_MM = 14.0  # the autocutter sits about 14 mm above the print line (TM-T20II/T88V)
PLACEHOLDER_LOGO_DOTS = 160  # an NV logo of unknown size: a 20 mm header


def qr_modules(item: QrCode) -> int:
    import qrcode  # python-escpos depends on it already

    ec = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
          "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}.get(item.ec)
    code = qrcode.QRCode(error_correction=ec or qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(item.payload)
    code.make(fit=True)
    return code.modules_count


def length_dots(items, *, nv_logos: dict | None = None, cutter_dots: int = 0) -> int:
    logos = {k: v for k, v in (nv_logos or {}).items() if isinstance(v, NvLogoDefinition)}
    total = 0
    for item in items:
        if isinstance(item, TextLine):
            s = item.style
            total += max(s.spacing if s.spacing is not None else DEFAULT_SPACING, FONT_HEIGHT[s.font] * s.height)
        elif isinstance(item, QrCode):
            total += qr_modules(item) * max(1, item.module_dots)
        elif isinstance(item, Raster):
            total += item.height
        elif isinstance(item, NvLogo):
            logo = logos.get(item.key)
            total += (logo.height if logo else PLACEHOLDER_LOGO_DOTS) * max(1, item.scale[1])
        elif isinstance(item, Feed):
            total += item.lines * DEFAULT_SPACING + item.dots
        elif isinstance(item, Cut):
            total += cutter_dots
    return total


def length_mm(data: bytes, dpi: int, *, nv_logos: dict | None = None) -> float:
    """Paper used by the job `data` (bytes of one job) on a printer of `dpi`, in millimetres."""
    dots_per_mm = dpi / 25.4
    dots = length_dots(decode(data).items, nv_logos=nv_logos, cutter_dots=round(CUTTER_FEED_MM * dots_per_mm))
    return dots / dots_per_mm
