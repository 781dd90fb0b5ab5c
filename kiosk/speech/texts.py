"""What the voice says, from the screen's own catalogues: a translated screen is a translated voice."""

from __future__ import annotations

from .. import locale

# A comma makes espeak-ng pause briefly between characters, so "A001" is heard as four items.
SEPARATOR = ", "


def ticket_number_words(number: str, lang: str) -> str:
    """'A001' -> 'A, nol, nol, satu' (id) or 'A, zero, zero, one' (en): digit by digit."""
    parts = []
    for ch in number:
        if ch.isdigit():
            parts.append(locale.t(lang, f"speech.digit_{ch}"))
        elif ch.isalnum():
            parts.append(ch.upper())
    return SEPARATOR.join(parts)


def ticket_number_sentence(number: str, lang: str) -> str:
    """'Nomor antrean Anda: A, nol, nol, satu.' in the applicant's language."""
    return locale.t(lang, "speech.your_number", number=ticket_number_words(number, lang))
