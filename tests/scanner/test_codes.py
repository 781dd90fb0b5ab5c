"""Code bounds, the device setting and serial framing, without any device."""

import pytest

from kiosk.scanner import CodeRules, Refused, check_code, parse_scanner_device
from kiosk.scanner.framing import SerialFramer


def test_check_code_accepts_printable_ascii_and_names_what_is_wrong():
    assert check_code("PSP-2026/BLT 0001") == "PSP-2026/BLT 0001"
    assert "U+001B at position 3" in check_code("AB\x1bCD").reason
    assert "U+007F" in check_code("ABCD\x7f").reason
    assert "shorter than 4" in check_code("AB").reason
    assert "longer than 10" in check_code("X" * 11, CodeRules(4, 10)).reason


@pytest.mark.parametrize("value, kind, path, baud", [
    ("none", "none", "", 0), ("hid", "hid", "", 0), ("serial:/dev/ttyACM0@9600", "serial", "/dev/ttyACM0", 9600),
])
def test_device_values(value, kind, path, baud):
    dev = parse_scanner_device(value)
    assert (dev.kind, dev.path, dev.baud) == (kind, path, baud)


@pytest.mark.parametrize("value, says", [
    ("usb", '"none", "hid" or "serial:PATH@BAUD"'), ("serial:/dev/ttyACM0", "PATH@BAUD"),
    ("serial:/dev/ttyACM0@1234", "baud rate '1234'"),
])
def test_bad_device_values_say_what_is_wrong(value, says):
    with pytest.raises(ValueError) as e:
        parse_scanner_device(value)
    assert says in str(e.value)


def test_framer_handles_cr_lf_crlf_split_reads_and_overflow():
    f = SerialFramer()
    assert f.feed(b"ABCD\rEF") == ["ABCD"]
    assert f.feed(b"GH\r\nIJKL\n") == ["EFGH", "IJKL"]
    out = f.feed(b"Z" * 300)
    assert len(out) == 1 and isinstance(out[0], Refused)
    assert f.feed(b"ZZZ\rGOOD1\r") == ["GOOD1"]


def test_framer_prefix():
    f = SerialFramer(prefix="#")
    assert f.feed(b"#ABCD\r") == ["ABCD"]
    assert "prefix" in f.feed(b"ABCD\r")[0].reason
