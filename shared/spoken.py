"""Spoken call texts, pure: what the lobby display says when a counter calls a number.

The kiosk's voice (kiosk/speech/texts.py) reads a ticket number digit by digit from its gettext
catalogue; the central server cannot import the kiosk, so the words it needs live here. A ticket
number is read digit by digit ("A nol nol satu": the way it is printed, leading zeros included);
a counter number as a number ("loket dua belas"), the way people say it.
"""

from __future__ import annotations

import re

# A comma makes espeak-ng pause briefly, so "A001" is heard as four items.
SEPARATOR = ", "
DIGITS = {
    "id": ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"),
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
}
CALL = {
    "id": "Nomor antrean {number}, silakan ke loket {counter}.",
    "en": "Number {number}, please go to counter {counter}.",
}
_EN_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
             "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(number: str, lang: str) -> str:
    """'A001' -> 'A, nol, nol, satu' (id) or 'A, zero, zero, one' (en)."""
    digits = DIGITS[lang]
    return SEPARATOR.join(digits[int(ch)] if ch.isdigit() else ch.upper() for ch in number if ch.isalnum())


def cardinal(n: int, lang: str) -> str:
    """0-999 in words: 12 -> 'dua belas' / 'twelve'; larger numbers digit by digit."""
    if not 0 <= n <= 999:
        return " ".join(DIGITS[lang][int(d)] for d in str(n))
    return _id_cardinal(n) if lang == "id" else _en_cardinal(n)


def _id_cardinal(n: int) -> str:
    ones = DIGITS["id"]
    if n < 10:
        return ones[n]
    if n == 10:
        return "sepuluh"
    if n == 11:
        return "sebelas"
    if n < 20:
        return f"{ones[n - 10]} belas"
    if n < 100:
        tens, rest = divmod(n, 10)
        return f"{ones[tens]} puluh" + (f" {ones[rest]}" if rest else "")
    hundreds, rest = divmod(n, 100)
    head = "seratus" if hundreds == 1 else f"{ones[hundreds]} ratus"
    return head + (f" {_id_cardinal(rest)}" if rest else "")


def _en_cardinal(n: int) -> str:
    ones = DIGITS["en"]
    if n < 10:
        return ones[n]
    if n < 20:
        return _EN_TEENS[n - 10]
    if n < 100:
        tens, rest = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{ones[rest]}" if rest else "")
    hundreds, rest = divmod(n, 100)
    return f"{ones[hundreds]} hundred" + (f" {_en_cardinal(rest)}" if rest else "")


def counter_words(counter: str, lang: str) -> str:
    """A counter's name as said aloud: '3' -> 'tiga'; 'loket-12' -> 'loket dua belas'."""
    spoken = re.sub(r"\d+", lambda m: f" {cardinal(int(m.group()), lang)} ", counter)
    return " ".join(re.sub(r"[-_.:]", " ", spoken).split())


def call_sentence(number: str, counter: str, lang: str) -> str:
    """'Nomor antrean A, nol, nol, satu, silakan ke loket tiga.'"""
    return CALL[lang].format(number=number_words(number, lang), counter=counter_words(counter, lang))
