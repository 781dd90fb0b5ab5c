"""What the lobby display says (shared/spoken.py), in the words the kiosk's own voice uses."""

import pytest

from kiosk import locale
from kiosk.speech.texts import ticket_number_words
from shared.spoken import DIGITS, call_sentence, cardinal, counter_words, number_words


def test_the_call_reads_the_number_digit_by_digit_and_the_counter_as_a_number():
    assert call_sentence("A001", "3", "id") == "Nomor antrean A, nol, nol, satu, silakan ke loket tiga."
    assert call_sentence("B0120", "12", "en") == "Number B, zero, one, two, zero, please go to counter twelve."
    assert counter_words("loket-21", "id") == "loket dua puluh satu"
    assert counter_words("desk_1", "en") == "desk one"


@pytest.mark.parametrize("n, id_words, en_words", [
    (0, "nol", "zero"), (10, "sepuluh", "ten"), (11, "sebelas", "eleven"), (15, "lima belas", "fifteen"),
    (40, "empat puluh", "forty"), (99, "sembilan puluh sembilan", "ninety-nine"), (100, "seratus", "one hundred"),
    (111, "seratus sebelas", "one hundred eleven"), (305, "tiga ratus lima", "three hundred five"),
    (1234, "satu dua tiga empat", "one two three four"),
])
def test_numbers_in_words(n, id_words, en_words):
    assert (cardinal(n, "id"), cardinal(n, "en")) == (id_words, en_words)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_digits_are_the_kiosk_voices_digits(lang):
    """The kiosk's words live in its gettext catalogue, central's here: the same words."""
    assert DIGITS[lang] == tuple(locale.t(lang, f"speech.digit_{d}") for d in range(10))
    assert number_words("P0907", lang) == ticket_number_words("P0907", lang)
