"""python-escpos capability profiles, read without importing `escpos.capabilities`.

Why not `from escpos.capabilities import get_profile`: importing that module (python-escpos 3.1)
runs `logging.basicConfig()` (so the application's own logging setup silently becomes a no-op and a
stray stderr handler appears) and calls `tempfile.mkdtemp()` on every import (a new, never removed
directory in /tmp per process; our kiosk starts several). Importing `escpos.escpos`,
`escpos.printer` or `escpos.image` pulls that module in too.

Its capability database is a JSON file shipped inside the `escpos` package; the top-level `escpos`
package itself has no import side effects. So we read that same file with the standard library
(about a millisecond), once, and expose the few profile facts we use. The env variable
ESCPOS_CAPABILITIES_FILE is honoured as python-escpos does. tests/printer/test_profiles.py checks
that we agree with `escpos.capabilities` itself and that importing `printer` leaves logging and
/tmp alone.
"""
from __future__ import annotations

import functools
import importlib.resources
import json
import os
from typing import Any


@functools.lru_cache(maxsize=1)
def _capabilities() -> dict[str, Any]:
    override = os.environ.get("ESCPOS_CAPABILITIES_FILE")
    if override:
        with open(override, encoding="utf-8") as f:
            return json.load(f)
    ref = importlib.resources.files("escpos") / "capabilities.json"
    return json.loads(ref.read_text(encoding="utf-8"))


def profile_names() -> list[str]:
    return sorted(_capabilities()["profiles"])


def profile_data(name: str) -> dict[str, Any]:
    """The profile's raw data, as python-escpos would see it. Unknown name -> ValueError."""
    profiles = _capabilities()["profiles"]
    if name not in profiles:
        raise ValueError(
            f"unknown printer profile {name!r}; python-escpos knows: {', '.join(sorted(profiles))}"
        )
    return profiles[name]


def supports(name: str, feature: str) -> bool:
    return bool(profile_data(name).get("features", {}).get(feature, False))
