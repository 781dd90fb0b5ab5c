"""What the configured printer can do: a python-escpos profile plus the flags profiles get wrong.

Dots, dpi and columns come from the profile (media.width.pixels, media.dpi, fonts), because that is
what the real printer does: a TM-T88V prints 512 dots at 180 dpi, 42 Font A columns, and a 48-column
line wraps on it. A `columns` override may narrow that (a printer set to a larger character pitch),
never widen it.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import profiles

# Printable width at 203 dpi when the profile does not say (generic profiles): 80 mm rolls print
# 72 mm = 576 dots, 58 mm rolls 48 mm = 384 dots. Font A is 12 dots wide, Font B 9.
PAPER_DOTS = {80: 576, 58: 384}
DEFAULT_DPI = 203
FONT_A_DOTS = 12
FONT_B_DOTS = 9
MIN_COLUMNS = 24
MAX_TEXT_SIZE = 8  # GS ! accepts 1..8 for width and height
# Vendors whose printers smooth enlarged characters on GS b 1 (Epson TM series); others may print
# it as garbage, so it is sent only where the profile's vendor is known to support it.
SMOOTHING_VENDORS = ("Epson",)


class ModelOptionError(ValueError):
    """A bad printer option; `option` names it (paper_mm, columns, native_qr, ...)."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class PrinterModel:
    profile: str
    paper_mm: int
    dots: int
    columns: int  # Font A
    native_qr: bool
    max_text_size: int
    cutter: bool
    status: bool
    nv_logo_key: str | None
    graphics: bool  # GS ( L (NV graphics) per the profile; needed to upload or print an NV logo
    dpi: int = DEFAULT_DPI
    font_b_columns: int | None = None  # None: the profile has no Font B
    smoothing: bool = False  # GS b 1 for enlarged characters

    @classmethod
    def from_config(
        cls,
        profile: str,
        paper_mm: int,
        *,
        native_qr: bool | None = None,
        max_text_size: int | None = None,
        cutter: bool | None = None,
        status: bool | None = None,
        nv_logo_key: str | None = None,
        columns: int | None = None,
    ) -> "PrinterModel":
        """Build from configuration values; any bad value -> ModelOptionError (a ValueError) naming it.

        Profile data decides dots, dpi, columns (fonts 0 and 1), native_qr (feature qrCode) and
        cutter (paperPartCut/paperFullCut) unless overridden. Profiles say nothing reliable about
        real-time status or the largest text size, so status defaults to True and max_text_size to 8.
        """
        if not isinstance(profile, str):
            raise ModelOptionError("model", f"printer profile must be a string, got {profile!r}")
        try:
            data = profiles.profile_data(profile)
        except ValueError as e:
            raise ModelOptionError("model", str(e)) from None
        if isinstance(paper_mm, bool) or paper_mm not in PAPER_DOTS:
            raise ModelOptionError("paper_mm", f"paper_mm must be 80 or 58, got {paper_mm!r}")
        features = data.get("features", {})
        dots, dpi, most, font_b = profile_geometry(data, paper_mm)
        if most < MIN_COLUMNS:
            raise ModelOptionError("model", f"the {profile} profile prints only {most} columns ({dots} dots): "
                                            "too narrow for a queue ticket; choose the printer's own profile")

        if columns is None:
            columns = most
        elif isinstance(columns, bool) or not isinstance(columns, int) or not MIN_COLUMNS <= columns <= most:
            raise ModelOptionError(
                "columns",
                f"columns must be an integer from {MIN_COLUMNS} to {most}, got {columns!r}: the {profile} "
                f"profile prints {most} Font A columns ({dots} dots at {dpi} dpi) on {paper_mm} mm paper, "
                "and a wider line wraps on the printer",
            )
        if max_text_size is None:
            max_text_size = MAX_TEXT_SIZE
        elif isinstance(max_text_size, bool) or not isinstance(max_text_size, int) or not 1 <= max_text_size <= MAX_TEXT_SIZE:
            raise ModelOptionError("max_text_size", f"max_text_size must be an integer from 1 to 8, got {max_text_size!r}")
        for name, value in (("native_qr", native_qr), ("cutter", cutter), ("status", status)):
            if value is not None and not isinstance(value, bool):
                raise ModelOptionError(name, f"{name} must be true or false, got {value!r}")
        if native_qr is None:
            native_qr = bool(features.get("qrCode"))
        if cutter is None:
            cutter = bool(features.get("paperPartCut") or features.get("paperFullCut"))
        if status is None:
            status = True
        if nv_logo_key is not None:
            try:
                nv_logo_key = validate_logo_key(nv_logo_key)
            except ValueError as e:
                raise ModelOptionError("nv_logo_key", str(e)) from None
        if font_b is not None and columns < most:  # a narrowed Font A narrows Font B in proportion
            font_b = font_b * columns // most
        return cls(
            profile=profile,
            paper_mm=paper_mm,
            dots=dots,
            columns=columns,
            native_qr=native_qr,
            max_text_size=max_text_size,
            cutter=cutter,
            status=status,
            nv_logo_key=nv_logo_key,
            graphics=bool(features.get("graphics")),
            dpi=dpi,
            font_b_columns=font_b,
            smoothing=data.get("vendor") in SMOOTHING_VENDORS,
        )

    def dots_per_mm(self) -> float:
        return self.dpi / 25.4

    def describe(self) -> str:
        flags = [
            f"qr={'native' if self.native_qr else 'raster'}",
            f"max_size={self.max_text_size}",
            f"cutter={'yes' if self.cutter else 'no'}",
            f"status={'yes' if self.status else 'no'}",
            f"logo={self.nv_logo_key or 'none'}",
        ]
        return f"{self.profile} {self.paper_mm}mm {self.dots}dots@{self.dpi}dpi {self.columns}col " + " ".join(flags)


def _number(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def profile_geometry(data: dict, paper_mm: int) -> tuple[int, int, int, int | None]:
    """(dots, dpi, Font A columns, Font B columns or None) of a profile on `paper_mm` paper.

    The profile's own width applies when the paper is as wide as the printer's (a 58 mm printer
    prints its width whatever paper_mm says); an 80 mm printer set to 58 mm paper prints 48 mm. A
    profile without pixels (the generic ones) gets the 203 dpi widths and its own, conservative,
    column count where smaller.
    """
    media = data.get("media", {})
    dpi = _number(media.get("dpi")) or DEFAULT_DPI
    pixels = _number(media.get("width", {}).get("pixels"))
    fonts = data.get("fonts", {})
    cols = {font: _number(fonts.get(font, {}).get("columns")) for font in ("0", "1")}
    narrow_printer = pixels is not None and pixels * DEFAULT_DPI // dpi <= PAPER_DOTS[58] + 32
    if pixels is not None and (paper_mm == 80 or narrow_printer):
        dots = pixels
    else:
        dots = PAPER_DOTS[paper_mm] * dpi // DEFAULT_DPI

    def columns(font: str, default_cell: int, lo: int, hi: int) -> int:
        given = cols[font]
        # Some profiles carry nonsense column counts (NT-80-V-UL: 12 on 576 dots): believe a
        # count only if its cell width is plausible for the font.
        if given and pixels is not None and lo <= pixels // given <= hi:
            return given if dots == pixels else dots // (pixels // given)
        found = dots // default_cell
        # A count we do not believe still caps Font B (never wider than the vendor says), and caps
        # Font A only for the generic profiles, whose 42 is a safe guess.
        return min(found, given) if given and (pixels is None or font == "1") else found

    font_a = columns("0", FONT_A_DOTS, 10, 14)
    font_b = columns("1", FONT_B_DOTS, 7, 9) if "1" in fonts else None
    return dots, dpi, font_a, font_b


def validate_logo_key(key: str) -> str:
    """NV graphics are addressed by two key bytes, each 32..126 (ESC/POS GS ( L)."""
    if not isinstance(key, str) or len(key) != 2 or not all(" " <= c <= "~" for c in key):
        raise ValueError(f"nv_logo_key must be exactly two printable ASCII characters (e.g. 'LG'), got {key!r}")
    return key
