"""Store the office logo once in the printer's NV memory; tickets then print it by reference
(GS ( L fn 69, 8 bytes) instead of sending an image with every ticket.

NV memory has a limited number of write cycles (Epson: about 10 per day is the guidance): upload
at provisioning time or when the logo changes, never per ticket or per boot.
"""
from __future__ import annotations

from PIL import Image

from . import commands
from .model import PrinterModel, validate_logo_key
from .status import PrintResult

MAX_LOGO_HEIGHT = 240  # dots (30 mm): a header, not a poster
NV_WRITE_SECONDS = 10.0  # writing flash is slow; the GS r answer comes after it


def logo_raster(image_path, max_width: int, max_height: int = MAX_LOGO_HEIGHT) -> tuple[int, int, bytes]:
    """(width, height, raster) of the image: fitted (never enlarged), thresholded, 1 = black dot."""
    with Image.open(image_path) as src:
        img = src.convert("RGBA")
    white = Image.new("RGBA", img.size, (255, 255, 255, 255))
    img = Image.alpha_composite(white, img).convert("L")  # transparent = paper
    scale = min(1.0, max_width / img.width, max_height / img.height)
    if scale < 1.0:
        img = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))), Image.LANCZOS)
    # A hard threshold, not dithering: logos are line art and dithering makes their edges fuzzy.
    bw = img.point(lambda v: 255 if v >= 128 else 0, "1")
    row = (bw.width + 7) // 8
    padded = Image.new("1", (row * 8, bw.height), 1)
    padded.paste(bw, (0, 0))
    raster = bytes(b ^ 0xFF for b in padded.tobytes())  # PIL: 1 = white; ESC/POS: 1 = black
    return bw.width, bw.height, raster


def logo_bytes(image_path, key: str, model: PrinterModel) -> bytes:
    """Delete then define NV graphics `key` from the image (what upload_logo sends)."""
    key = validate_logo_key(key)
    if not model.graphics:
        raise ValueError(f"profile {model.profile!r} does not support NV graphics (GS ( L); "
                         "print the office name as text instead (no nv_logo_key)")
    width, height, raster = logo_raster(image_path, model.dots)
    return commands.nv_graphics_delete(key) + commands.nv_graphics_define(key, width, height, raster)


def upload_logo(printer, image_path, key: str) -> PrintResult:
    """Store the logo in the printer's NV memory under `key` (two characters, e.g. "LG").

    `printer` is an open `Printer`; the result says whether the printer confirmed the write. Then
    configure the same key as the model's nv_logo_key so tickets print it by reference.
    """
    data = logo_bytes(image_path, key, printer.model)
    return printer.print(data, confirm_timeout=NV_WRITE_SECONDS)
