"""The HID recogniser on timed key sequences: a scanner's burst is one code, a person's typing is text."""

from kiosk.scanner.codes import CodeRules, Refused
from kiosk.scanner.hid import HidRecogniser, Scan, Typed


def play(rec, keys, start=0.0, gap=0.004):
    """Feed `keys` `gap` seconds apart from `start`; return (events, time of the last key)."""
    out, t = [], start
    for i, key in enumerate(keys):
        t = start + i * gap
        out += rec.feed(key, t)
    return out, t


def burst(code, suffix="enter"):
    return list(code) + [suffix]


def test_a_fast_burst_ending_in_enter_is_one_scan_and_no_typed_text():
    rec = HidRecogniser(max_gap_ms=50)
    events, t = play(rec, burst("PSP2026BLT0001"))
    assert events == [Scan("PSP2026BLT0001")]
    assert rec.deadline is None and rec.tick(t + 1) == []


def test_human_typing_is_released_as_typed_keys_and_enter_stays_enter():
    rec = HidRecogniser(max_gap_ms=50)
    events, t = play(rec, list("1234") + ["enter"], gap=0.15)
    events += rec.tick(t + 1)
    assert events == [Typed("1"), Typed("2"), Typed("3"), Typed("4"), Typed("enter")]
    assert not any(isinstance(e, Scan) for e in events)


def test_a_held_key_is_released_only_after_the_gap():
    rec = HidRecogniser(max_gap_ms=50)
    assert rec.feed("7", 10.0) == []
    assert rec.deadline == 10.05
    assert rec.tick(10.03) == []
    assert rec.tick(10.06) == [Typed("7")]


def test_a_scan_right_after_typing_is_still_a_scan_and_the_typing_stays_typing():
    rec = HidRecogniser(max_gap_ms=50)
    typed, t = play(rec, list("ab"), gap=0.2)
    scanned, _ = play(rec, burst("BOOK-7788"), start=t + 0.3)
    assert typed + scanned == [Typed("a"), Typed("b"), Scan("BOOK-7788")]


def test_typing_right_after_a_scan_is_typing():
    rec = HidRecogniser(max_gap_ms=50)
    scanned, t = play(rec, burst("BOOK-7788"))
    typed, t = play(rec, list("xy"), start=t + 0.2, gap=0.18)
    typed += rec.tick(t + 1)
    assert scanned + typed == [Scan("BOOK-7788"), Typed("x"), Typed("y")]


def test_two_quick_keys_of_a_fast_typist_are_not_a_scan():
    rec = HidRecogniser(max_gap_ms=50, rules=CodeRules(min_length=4))
    events, t = play(rec, ["o", "k", "enter"], gap=0.02)
    assert events == [Typed("o"), Typed("k"), Typed("enter")]


def test_a_fast_burst_without_its_suffix_is_refused_not_typed():
    rec = HidRecogniser(max_gap_ms=50)
    events, t = play(rec, list("PSP2026"))
    events += rec.tick(t + 0.1)
    assert len(events) == 1 and isinstance(events[0], Refused)
    assert "without enter" in events[0].reason


def test_prefix_and_tab_suffix_frame_the_code():
    rec = HidRecogniser(max_gap_ms=30, prefix="]Q", suffix="tab")
    events, _ = play(rec, burst("]QPSP-1", suffix="tab"))
    assert events == [Scan("PSP-1")]
    missing, _ = play(rec, burst("XXPSP-1", suffix="tab"), start=5.0)
    assert isinstance(missing[0], Refused) and "prefix" in missing[0].reason


def test_a_code_out_of_bounds_is_refused_with_its_reason():
    rec = HidRecogniser(max_gap_ms=50, rules=CodeRules(min_length=4, max_length=8))
    events, _ = play(rec, burst("ABCDEFGHIJ"))
    assert isinstance(events[0], Refused) and "longer than 8" in events[0].reason
    events, _ = play(rec, burst("AB\u00e9D"), start=5.0)
    assert isinstance(events[0], Refused) and "U+00E9" in events[0].reason


def test_an_endless_burst_is_dropped_then_the_next_scan_works():
    rec = HidRecogniser(max_gap_ms=50)
    events, t = play(rec, burst("A" * 400))
    assert [type(e) for e in events] == [Refused]
    after, _ = play(rec, burst("NEXT-0001"), start=t + 0.2)
    assert after == [Scan("NEXT-0001")]


def test_other_keys_interrupt_a_burst_and_pass_through():
    rec = HidRecogniser(max_gap_ms=50)
    events, _ = play(rec, ["a", "b", "backspace", "c"])
    assert events == [Typed("a"), Typed("b"), Typed("backspace")]
