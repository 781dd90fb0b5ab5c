import pytest

from printer.status import (
    COVER_OPEN,
    OFFLINE,
    PAPER_NEAR_END,
    PAPER_OUT,
    READY,
    UNKNOWN,
    encode_paper_reply,
    encode_realtime,
    parse_paper_reply,
    parse_realtime,
    valid_realtime_byte,
)


@pytest.mark.parametrize("state", [READY, PAPER_NEAR_END, PAPER_OUT, COVER_OPEN, OFFLINE])
def test_every_state_survives_the_wire(state):
    assert parse_realtime(encode_realtime(state)).state == state


def test_real_epson_answers():
    assert parse_realtime(bytes([0x16, 0x12, 0x12])).state == READY  # drawer pin high is not a fault
    assert parse_realtime(bytes([0x1E, 0x32, 0x7E])).state == PAPER_OUT
    assert parse_realtime(bytes([0x1E, 0x36, 0x72])).state == COVER_OPEN  # cover also hides the paper
    assert parse_realtime(bytes([0x1E, 0x1A, 0x12])).state == OFFLINE  # feeding with FEED button
    assert parse_realtime(bytes([0x12, 0x12, 0x1E])).state == PAPER_NEAR_END


@pytest.mark.parametrize("reply", [b"", b"\x12", b"\x12\x12", b"\x00\x00\x00", b"\xff\xff\xff",
                                   b"\x12\x12\x92", b"\x13\x12\x12", b"\x10\x12\x12", b"\x02\x12\x12"])
def test_missing_or_invalid_answers_are_unknown_never_ready(reply):
    status = parse_realtime(reply)
    assert status.state == UNKNOWN and status.detail


def test_fixed_bits():
    assert valid_realtime_byte(0x12) and valid_realtime_byte(0x7E)
    assert not any(valid_realtime_byte(b) for b in (0x00, 0x02, 0x10, 0x13, 0x92, 0xFF))


def test_paper_reply_after_a_job():
    assert parse_paper_reply(encode_paper_reply(READY)[0]).state == READY
    assert parse_paper_reply(encode_paper_reply(PAPER_NEAR_END)[0]).state == PAPER_NEAR_END
    assert parse_paper_reply(0x0C).state == PAPER_OUT
    assert parse_paper_reply(0x12) is None and parse_paper_reply(0xFF) is None
