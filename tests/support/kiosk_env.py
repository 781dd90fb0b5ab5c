"""Builds throw-away kiosk configurations on disk, so tests load them the way the kiosk does."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from kiosk.clock import ManualClock
from kiosk.config import load_config

ALL_DAY = '["00:00-24:00"]'

TEST_CATALOGUE = """
priority_prefix = "P"

[hours]
mon = {hours}
tue = {hours}
wed = {hours}
thu = {hours}
fri = {hours}
sat = {hours}
sun = {hours}

[[priority_groups]]
key = "lansia"
id = "Lansia (60 tahun ke atas)"
en = "Senior (60 and over)"

[[priority_groups]]
key = "disabilitas"
id = "Penyandang disabilitas"
en = "Person with a disability"

[[services]]
key = "paspor-baru"
prefix = "A"
name_id = "Paspor Baru"
name_en = "New passport"
description_id = "Permohonan paspor pertama"
description_en = "First passport application"
daily_quota = {quota}
priority_quota = {priority_quota}
priority_allowed = true
mpaspor_required = true

[[services.documents]]
id = "KTP-el"
en = "Electronic ID card (KTP-el)"
mandatory = true
note_id = "asli + fotokopi"
note_en = "original + photocopy"

[[services.documents]]
id = "Kartu Keluarga"
en = "Family card"
mandatory = true

[[services.documents]]
id = "Ijazah"
en = "Diploma"
mandatory = false

[[services.fees]]
id = "Paspor elektronik 5 tahun"
en = "E-passport, 5 years"
amount = 650000

[[services]]
key = "pengambilan"
prefix = "G"
name_id = "Pengambilan Paspor"
name_en = "Passport pickup"
daily_quota = {quota}
"""

JAKARTA_NOON = datetime(2026, 11, 27, 5, 0, tzinfo=timezone.utc)  # 12:00 WIB, a Friday


def write_config(
    folder: Path,
    *,
    kiosk: str = "",
    store: str = "",
    printer: str = "",
    central: str = "",
    extra: str = "",
    hours: str = ALL_DAY,
    quota: int = 200,
    priority_quota: int = 50,
    catalogue: str | None = None,
) -> Path:
    """Write kiosk.toml + services.toml into `folder`; section bodies are appended to defaults."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "services.toml").write_text(
        catalogue if catalogue is not None else TEST_CATALOGUE.format(hours=hours, quota=quota, priority_quota=priority_quota)
    )
    sections = {
        "kiosk": ({"id": '"test-kiosk"', "office_code": '"TEST"', "office_name": '"Kantor Imigrasi Uji"', "catalogue": '"services.toml"'}, kiosk),
        "store": ({"path": '"kiosk.db"'}, store),
        "printer": ({"device": '"file:printed.bin"'}, printer),
        "central": ({}, central),
    }
    parts = []
    for name, (defaults, given) in sections.items():
        overridden = {line.split("=")[0].strip() for line in given.splitlines() if "=" in line}
        lines = [f"{k} = {v}" for k, v in defaults.items() if k not in overridden] + given.splitlines()
        parts.append(f"[{name}]\n" + "\n".join(lines))
    body = "\n\n".join(parts) + "\n\n" + extra + "\n"
    path = folder / "kiosk.toml"
    path.write_text(body)
    return path


def make_config(folder: Path, **kwargs):
    return load_config(write_config(folder, **kwargs))


def make_clock(moment: datetime = JAKARTA_NOON, **kwargs) -> ManualClock:
    return ManualClock(moment, **kwargs)


def kiosk_env(config_path: Path) -> dict:
    """Environment for a `kiosk` subprocess using this config."""
    return {**os.environ, "KIOSK_CONFIG": str(config_path)}
