"""An M-Paspor booking's code and name as both the kiosk and the central server handle them: codes
compared case-blind without surrounding blanks (typed on a keypad or scanned), names kept only
masked (enough for an applicant to recognise their booking, never the full name)."""

from __future__ import annotations


def normalise_code(raw: str) -> str:
    return raw.strip().upper()


def mask_name(name: str | None) -> str | None:
    """"Budi Santoso" -> "B*** S******"; None for no name."""
    if not name or not name.strip():
        return None
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
