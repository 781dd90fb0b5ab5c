from hypothesis import given, settings
from hypothesis import strategies as st

from printer import commands
from printer.decode import Cut, NvLogo, Parser, QrCode, StatusQuery, TextLine, decode


def test_decodes_styles_qr_logo_cut_and_status_queries():
    data = (commands.INITIALIZE + commands.align(1) + commands.char_size(3, 2) + commands.bold(True)
            + b"A001\n" + commands.nv_graphics_print("LG") + commands.qr_code(b"JKS-1", 5, "Q")
            + commands.STATUS_QUERY + commands.feed_and_partial_cut() + commands.PAPER_STATUS_AFTER_JOB)
    job = decode(data)
    line = job.find("A001")
    assert line.size == (3, 2) and line.style.bold and line.style.align == "center"
    assert job.logos == ["LG"]
    assert job.qr_codes == [QrCode(b"JKS-1", 5, "Q", "center")]
    assert [(q.command, q.n) for q in job.status_queries] == [("DLE EOT", 1), ("DLE EOT", 2), ("DLE EOT", 4),
                                                               ("GS r", 1)]
    assert job.cuts == [Cut(partial=True, feed=True)]
    assert job.unknown == []


def test_esc_bang_sets_bold_and_double_size():
    job = decode(b"\x1b!\x38big\n\x1b!\x00small\n")
    assert job.find("big").size == (2, 2) and job.find("big").style.bold
    assert job.find("small").size == (1, 1)


def test_unknown_commands_are_reported_not_guessed():
    assert decode(b"\x1b\x7fX\n").unknown == [b"\x1b\x7f"]
    assert decode(b"\x1d(k\x10\x00").unknown  # truncated: the rest never came


def test_text_lines_are_cp437_and_an_unterminated_last_line_is_kept():
    assert decode(b"caf\x82\nend").texts == ["caf\u00e9", "end"]


STREAM = (commands.INITIALIZE + commands.align(1) + b"Kantor\n" + commands.char_size(8, 8) + b"A001\n"
          + commands.qr_code(b"https://x.id/t/1", 6) + commands.nv_graphics_print("LG")
          + commands.STATUS_QUERY + commands.feed_and_partial_cut() + commands.PAPER_STATUS_AFTER_JOB)


@settings(max_examples=80)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=8))
def test_incremental_parsing_equals_whole_parsing_for_any_split(cuts):
    parser = Parser()
    items, last = [], 0
    for pos in sorted(cuts) + [len(STREAM)]:
        items += parser.feed(STREAM[last:pos])
        last = pos
    items += parser.finish()
    assert items == decode(STREAM).items


def test_offsets_mark_the_end_of_each_item():
    parser = Parser()
    pairs = parser.feed_with_offsets(b"ab\n" + commands.STATUS_QUERY)
    assert pairs[0] == (TextLine("ab", pairs[0][0].style), 3)
    assert [end for item, end in pairs if isinstance(item, StatusQuery)] == [6, 9, 12]
    assert not any(isinstance(i, (NvLogo,)) for i, _ in pairs)
