"""What the configured printer can do: a python-escpos profile plus the flags profiles get wrong."""
from __future__ import annotations

from dataclasses import dataclass

from . import profiles

# The two layouts we support. Printable width, not paper width: 80 mm rolls print 72 mm = 576 dots
# at 203 dpi, 58 mm rolls print 48 mm = 384 dots; Font A is 12 dots wide.
PAPER_DOTS = {80: 576, 58: 384}
FONT_A_DOTS = 12
MAX_TEXT_SIZE = 8  # GS ! accepts 1..8 for width and height


@dataclass(frozen=True)
class PrinterModel:
    profile: str
    paper_mm: int
    dots: int
    columns: int
    native_qr: bool
    max_text_size: int
    cutter: bool
    status: bool
    nv_logo_key: str | None
    graphics: bool  # GS ( L (NV graphics) per the profile; needed to upload or print an NV logo

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
        """Build from configuration values; any bad value -> ValueError naming it.

        Profile data decides native_qr (feature qrCode) and cutter (paperPartCut/paperFullCut)
        unless overridden. Profiles say nothing reliable about real-time status or the largest
        text size, so status defaults to True and max_text_size to 8. `columns` overrides the
        48/32 Font A columns for printers with fewer dots (e.g. 42 for a 180 dpi TM-T88V): the
        profiles' own column counts are too inconsistent to trust (one says 12 for 80 mm).
        """
        if not isinstance(profile, str):
            raise ValueError(f"printer profile must be a string, got {profile!r}")
        data = profiles.profile_data(profile)  # ValueError names unknown profiles
        if isinstance(paper_mm, bool) or paper_mm not in PAPER_DOTS:
            raise ValueError(f"paper_mm must be 80 or 58, got {paper_mm!r}")
        dots = PAPER_DOTS[paper_mm]
        features = data.get("features", {})

        if columns is None:
            columns = dots // FONT_A_DOTS
        elif isinstance(columns, bool) or not isinstance(columns, int) or not 24 <= columns <= dots // FONT_A_DOTS:
            raise ValueError(
                f"columns must be an integer from 24 to {dots // FONT_A_DOTS} for {paper_mm} mm paper, got {columns!r}"
            )
        if max_text_size is None:
            max_text_size = MAX_TEXT_SIZE
        elif isinstance(max_text_size, bool) or not isinstance(max_text_size, int) or not 1 <= max_text_size <= MAX_TEXT_SIZE:
            raise ValueError(f"max_text_size must be an integer from 1 to 8, got {max_text_size!r}")
        for name, value in (("native_qr", native_qr), ("cutter", cutter), ("status", status)):
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false, got {value!r}")
        if native_qr is None:
            native_qr = bool(features.get("qrCode"))
        if cutter is None:
            cutter = bool(features.get("paperPartCut") or features.get("paperFullCut"))
        if status is None:
            status = True
        if nv_logo_key is not None:
            nv_logo_key = validate_logo_key(nv_logo_key)
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
        )

    def describe(self) -> str:
        flags = [
            f"qr={'native' if self.native_qr else 'text'}",
            f"max_size={self.max_text_size}",
            f"cutter={'yes' if self.cutter else 'no'}",
            f"status={'yes' if self.status else 'no'}",
            f"logo={self.nv_logo_key or 'none'}",
        ]
        return f"{self.profile} {self.paper_mm}mm {self.columns}col " + " ".join(flags)


def validate_logo_key(key: str) -> str:
    """NV graphics are addressed by two key bytes, each 32..126 (ESC/POS GS ( L)."""
    if not isinstance(key, str) or len(key) != 2 or not all(" " <= c <= "~" for c in key):
        raise ValueError(f"nv_logo_key must be exactly two printable ASCII characters (e.g. 'LG'), got {key!r}")
    return key
