from hypothesis import given
from hypothesis import strategies as st

from printer.text import to_ascii, unprintable, wrap


def test_accents_are_stripped_not_replaced():
    assert to_ascii("Müller café Ñoño Łódź") == "Muller cafe Nono Lodz"


def test_typographic_punctuation_gets_ascii_spelling():
    assert to_ascii("“Paspor” – ‘baru’… • 5×") == "\"Paspor\" - 'baru'... * 5x"


def test_compatibility_forms_decompose():
    assert to_ascii("Ｐａｓｐｏｒ ﬁle ²") == "Paspor file 2"


def test_unprintable_runs_become_one_question_mark():
    assert to_ascii("Paspor 日本語 baru") == "Paspor ? baru"
    assert to_ascii("Halo 😀!") == "Halo ?!"
    assert to_ascii("👨‍👩‍👧 keluarga") == "? keluarga"  # ZWJ sequence: one "?"
    assert to_ascii("نعم yes") == "? yes"


def test_unprintable_names_each_character_that_prints_as_a_question_mark_once():
    assert unprintable("Paspor 日本 baru 日 café “x” Ł") == ["日", "本"]
    assert unprintable("ASCII only, even with ESC \x1b and tabs\t") == []
    assert unprintable("Halo 😀 😀") == ["😀"]


def test_control_bytes_can_never_become_commands():
    assert to_ascii("A\x1b@B\x1dV\x00C\x10\x04\x01") == "A@BVC"


def test_whitespace_collapses_to_single_spaces():
    assert to_ascii("  Jl.\tWarung\n\nBuncit\u00a0Raya  ") == "Jl. Warung Buncit Raya"


def test_wrap_splits_long_words():
    assert wrap("https://antrean.imigrasi.go.id/t/JKS", 16) == ["https://antrean.", "imigrasi.go.id/t", "/JKS"]
    assert wrap("", 10) == []


@given(st.text(max_size=300), st.integers(min_value=1, max_value=64))
def test_any_text_wraps_to_printable_ascii_within_width(text, width):
    for line in wrap(text, width):
        assert 0 < len(line) <= width
        assert all(" " <= c <= "~" for c in line)
