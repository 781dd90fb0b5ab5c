"""The display mode the touchscreen last started with, kept for `kiosk doctor`.

The doctor cannot ask SDL while the UI holds the display (KMSDRM has one master), so `kiosk ui`
leaves what SDL reported in display.json next to the database. No Kivy, no SDL here: the UI
measures (kiosk/ui/display.py), the doctor reads (kiosk/doctor/display.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

RECORD_NAME = "display.json"


@dataclass(frozen=True)
class DisplayMode:
    driver: str  # SDL's video driver: "x11", "kmsdrm", "wayland", ...
    width: int
    height: int
    refresh: int  # Hz; 0 when the driver does not say (X, Xvfb)

    def __str__(self) -> str:
        rate = f"@{self.refresh}" if self.refresh else ""
        return f"{self.width}x{self.height}{rate} ({self.driver})"


def record(mode: DisplayMode, rotation: int, folder: Path) -> Path:
    """Write folder/display.json (atomically: the doctor may read it at any time)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RECORD_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**asdict(mode), "rotation": rotation}) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_record(folder: Path) -> dict | None:
    """What `record` left, or None if nothing (readable as JSON) is there. PermissionError passes
    through: the file is the service user's (0600)."""
    try:
        return json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
