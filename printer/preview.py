"""Draw a print job as a PNG, the way it comes out of the printer: for the touchscreen's "your
ticket" picture, the staff screen, the docs and for eyeballing test output.

A native QR command (GS ( k) is drawn here with the `qrcode` package (a python-escpos dependency);
the raster fallback (GS v 0) is drawn from its own bits, exactly as sent. Text is drawn on the
printer's own grid (Font A 12 x 24 dots, Font B 9 x 17, scaled by GS ! multipliers, one line per
ESC 3 line spacing) with DejaVu Sans Mono when installed (Debian: fonts-dejavu-core), else Pillow's
built-in font.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .decode import Cut, Feed, NvLogo, NvLogoDefinition, QrCode, Raster, TextLine, decode
from .model import PAPER_DOTS

CELL_W, CELL_H = 12, 24  # Font A
CELL_B_W, CELL_B_H = 9, 17  # Font B
LINE_GAP = 6  # the default line spacing (30 dots) is a little more than Font A's height
MARGIN_Y = 16
PAPER_PX = {80: 640, 58: 464}  # whole paper at 203 dpi; the print area is centred on it
FONT_DIR = "/usr/share/fonts/truetype/dejavu"


@functools.lru_cache(maxsize=4)
def _font(bold: bool, size: int = 20):
    path = os.path.join(FONT_DIR, "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf")
    if os.path.exists(path):
        return ImageFont.truetype(path, size)  # 20 px DejaVu Sans Mono advances ~12 px: Font A's cell
    return ImageFont.load_default()


def _text_image(text: str, bold: bool, font_b: bool = False) -> Image.Image:
    w, h = (CELL_B_W, CELL_B_H) if font_b else (CELL_W, CELL_H)
    img = Image.new("1", (max(1, len(text)) * w, h), 1)
    draw = ImageDraw.Draw(img)
    font = _font(bold, 14 if font_b else 20)
    for i, ch in enumerate(text):
        draw.text((i * w, 1), ch, font=font, fill=0)
    return img


def _raster_image(width: int, height: int, raster: bytes) -> Image.Image:
    row = (width + 7) // 8
    img = Image.frombytes("1", (row * 8, height), bytes(raster[: row * height]).ljust(row * height, b"\0"))
    return Image.eval(img.convert("L"), lambda v: 255 - v).convert("1").crop((0, 0, width, height))


def _qr_image(item: QrCode) -> Image.Image:
    import qrcode  # preview only

    ec = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
          "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}.get(item.ec)
    code = qrcode.QRCode(error_correction=ec or qrcode.constants.ERROR_CORRECT_M,
                         box_size=max(1, item.module_dots), border=0)
    code.add_data(item.payload)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix) * max(1, item.module_dots)
    img = Image.new("1", (size, size), 1)
    draw = ImageDraw.Draw(img)
    m = max(1, item.module_dots)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle((x * m, y * m, x * m + m - 1, y * m + m - 1), fill=0)
    return img


def _placeholder(key: str) -> Image.Image:
    img = Image.new("1", (240, 64), 1)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 239, 63), outline=0)
    draw.text((12, 20), f"NV logo {key!r}", font=_font(False), fill=0)
    return img


def _blocks(items, dots: int, nv_logos: dict) -> list[tuple[Image.Image | None, str, int]]:
    """(image or None, align, height) per printed row, top to bottom."""
    out: list[tuple[Image.Image | None, str, int]] = []
    for item in items:
        if isinstance(item, TextLine):
            s = item.style
            cell_w, cell_h = (CELL_B_W, CELL_B_H) if s.font else (CELL_W, CELL_H)
            per_line = max(1, dots // (cell_w * s.width))
            chunks = [item.text[i:i + per_line] for i in range(0, len(item.text), per_line)] or [""]
            for chunk in chunks:  # a real printer wraps an over-long line the same way
                spacing = s.spacing if s.spacing is not None else CELL_H + LINE_GAP
                h = max(spacing, cell_h * s.height)
                if not chunk:
                    out.append((None, s.align, h))
                    continue
                img = _text_image(chunk, s.bold, bool(s.font))
                if s.underline:
                    ImageDraw.Draw(img).line((0, cell_h - 2, img.width, cell_h - 2), fill=0, width=s.underline)
                if s.reverse:
                    img = Image.eval(img.convert("L"), lambda v: 255 - v).convert("1")
                img = img.resize((img.width * s.width, img.height * s.height), Image.NEAREST)
                out.append((img, s.align, h))
        elif isinstance(item, QrCode):
            img = _qr_image(item)
            out.append((img, item.align, img.height + LINE_GAP))
        elif isinstance(item, NvLogo):
            logo = nv_logos.get(item.key)
            img = _raster_image(logo.width, logo.height, logo.raster) if logo else _placeholder(item.key)
            sx, sy = max(1, item.scale[0]), max(1, item.scale[1])
            img = img.resize((img.width * sx, img.height * sy), Image.NEAREST)
            out.append((img, item.align, img.height))
        elif isinstance(item, Raster):
            img = _raster_image(item.width, item.height, item.raster)
            out.append((img, item.align, img.height))
        elif isinstance(item, Feed):
            out.append((None, "left", item.lines * (CELL_H + LINE_GAP) + item.dots))
        elif isinstance(item, Cut):
            out.append((None, "cut", 2 * (CELL_H + LINE_GAP)))
    return out


def render_image(items, paper_mm: int, *, nv_logos: dict | None = None, margins: bool = True,
                 dots: int | None = None) -> Image.Image:
    """The job as a 1-bit image: the whole paper width, or only the print area with margins=False.
    `dots`: the printer's print width (PrinterModel.dots) when it is not the 203 dpi default."""
    if paper_mm not in PAPER_DOTS:
        raise ValueError(f"paper_mm must be 80 or 58, got {paper_mm!r}")
    dots = min(dots or PAPER_DOTS[paper_mm], PAPER_PX[paper_mm])
    blocks = _blocks(items, dots, {k: v for k, v in (nv_logos or {}).items() if isinstance(v, NvLogoDefinition)})
    width = PAPER_PX[paper_mm] if margins else dots
    left = (width - dots) // 2
    top = MARGIN_Y if margins else 0
    height = top * 2 + sum(h for _, _, h in blocks)
    page = Image.new("1", (width, max(1, height)), 1)
    draw = ImageDraw.Draw(page)
    y = top
    for img, align, h in blocks:
        if align == "cut":
            for x in range(0, width, 16):  # dashed line where the cutter cuts
                draw.line((x, y + h // 2, x + 8, y + h // 2), fill=0)
        elif img is not None:
            img = img.crop((0, 0, min(img.width, dots), img.height))
            x = {"left": 0, "center": (dots - img.width) // 2, "right": dots - img.width}.get(align, 0)
            page.paste(img, (left + x, y))
        y += h
    return page


def render_items(items, path, paper_mm: int, *, nv_logos: dict | None = None, dots: int | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    render_image(items, paper_mm, nv_logos=nv_logos, dots=dots).save(path, "PNG", optimize=True)
    return path


def render_png(data: bytes, path, paper_mm: int, *, nv_logos: dict | None = None, dots: int | None = None) -> Path:
    """Decode `data` (ESC/POS bytes) and save it as a PNG at `path`; returns the path."""
    return render_items(decode(data).items, path, paper_mm, nv_logos=nv_logos, dots=dots)
