"""The serial reader on a real pty with the virtual scanner on the other end."""

import queue
import threading
import time

import pytest
from support.waiting import wait_for

from kiosk.scanner import SerialScanner
from kiosk.scanner.virtual import VirtualScanner


class Collected:
    def __init__(self):
        self.codes = queue.Queue()
        self.refused = queue.Queue()
        self.states = []

    def next_code(self, timeout=5.0):
        return self.codes.get(timeout=timeout)


@pytest.fixture
def rig(tmp_path):
    got = Collected()
    with VirtualScanner(link=tmp_path / "scanner.tty", byte_delay=0.0005) as vs:
        reader = SerialScanner(vs.path, 9600, got.codes.put, on_refused=got.refused.put,
                               on_state=lambda s, d: got.states.append(s), read_timeout=0.05,
                               reconnect_seconds=0.1)
        with reader:
            wait_for("the reader to open the pty", reader.connected.is_set, 5)
            yield vs, reader, got


def test_start_returns_at_once_even_without_a_device(tmp_path):
    got = Collected()
    reader = SerialScanner(str(tmp_path / "nothing.tty"), 9600, got.codes.put, on_state=lambda s, d: got.states.append((s, d)))
    t0 = time.monotonic()
    reader.start()
    assert time.monotonic() - t0 < 0.5
    wait_for("an unavailable report", lambda: got.states, 5)
    reader.stop()
    assert got.states[0][0] == "unavailable" and "nothing.tty" in got.states[0][1]


def test_codes_arrive_whole_one_callback_each(rig):
    vs, reader, got = rig
    codes = ["PSP-2026-BLT-0001", "X9Y8Z7", "A" * 64]
    for code in codes:
        vs.scan(code)
    assert [got.next_code() for _ in codes] == codes
    assert got.codes.empty()


def test_crlf_and_byte_by_byte_writes_give_the_same_code(rig):
    vs, reader, got = rig
    vs.write(b"BOOK")
    time.sleep(0.1)  # a pause mid-code (slow scanner): still one code
    vs.write(b"1234\r\n")
    assert got.next_code() == "BOOK1234"
    time.sleep(0.1)
    assert got.codes.empty()


def test_a_garbage_line_is_refused_with_a_reason_and_reading_goes_on(rig):
    vs, reader, got = rig
    vs.write(b"AB\x00\x1b\xffCD\r")
    refused = got.refused.get(timeout=5)
    assert "control character U+0000 at position 3" in refused.reason
    vs.scan("GOOD-0002")
    assert got.next_code() == "GOOD-0002"


def test_unplugged_mid_code_then_replugged_reconnects_and_drops_the_half_code(rig):
    vs, reader, got = rig
    vs.write(b"HALF-CO")
    vs.unplug(replug_after=0.3)
    wait_for("the reader to see the device gone", lambda: "lost" in got.states, 5)
    wait_for("the reader to reopen the device", lambda: reader.reconnects >= 1 and reader.connected.is_set(), 5)
    vs.scan("AFTER-0003")
    assert got.next_code() == "AFTER-0003"
    assert got.codes.empty()


def test_a_failing_callback_does_not_stop_the_reader(tmp_path):
    seen = []

    def explode(code):
        seen.append(code)
        if len(seen) == 1:
            raise RuntimeError("the UI broke")

    with VirtualScanner(link=tmp_path / "s.tty") as vs, SerialScanner(vs.path, 9600, explode, read_timeout=0.05) as r:
        wait_for("open", r.connected.is_set, 5)
        vs.scan("FIRST-1")
        vs.scan("SECOND-2")
        wait_for("both codes", lambda: len(seen) == 2, 5)
    assert seen == ["FIRST-1", "SECOND-2"]


def test_stop_returns_promptly_while_the_device_is_silent(rig):
    vs, reader, got = rig
    t0 = time.monotonic()
    reader.stop()
    assert time.monotonic() - t0 < 1.0
    assert not any(t.name.startswith("scanner:") and t.is_alive() for t in threading.enumerate()
                   if t is reader._thread)


def test_the_virtual_scanner_process_scans_its_codes_and_stops_on_sigterm(tmp_path):
    import signal
    import subprocess
    import sys

    link = tmp_path / "scanner.tty"
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.scanner.virtual", "--link", str(link), "--start-delay", "1",
                             "--every", "0.05", "--code", "PROC-0001", "--code", "PROC-0002"],
                            stdout=subprocess.PIPE, text=True)
    got = Collected()
    try:
        assert proc.stdout.readline().strip() == str(link)
        with SerialScanner(str(link), 9600, got.codes.put, read_timeout=0.05):
            assert [got.next_code(), got.next_code()] == ["PROC-0001", "PROC-0002"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert not link.exists()
    finally:
        proc.kill()
        proc.wait()
