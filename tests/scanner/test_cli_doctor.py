"""`kiosk scanner test` end to end on a pty, the [scanner] config checks, and the doctor's scanner check."""

import os
import queue
import subprocess
import sys

import pytest
from support.kiosk_env import kiosk_env, make_config, write_config
from support.waiting import wait_for

from kiosk.cli.main import main
from kiosk.config import ConfigError
from kiosk.doctor import Host
from kiosk.doctor.checks import Scene
from kiosk.doctor.scanner import scanner as scanner_check
from kiosk.scanner import SerialScanner
from kiosk.scanner.virtual import VirtualScanner


def scanner_config(folder, device, extra=""):
    return write_config(folder, extra=f'[scanner]\ndevice = "{device}"\n{extra}')


def test_scanner_test_prints_each_code_a_technician_scans(tmp_path):
    with VirtualScanner(link=tmp_path / "scanner.tty", byte_delay=0.001) as vs:
        config = scanner_config(tmp_path, "serial:scanner.tty@9600")  # relative to kiosk.toml
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "scanner", "test", "--count", "2", "--timeout", "15"],
                                env=kiosk_env(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().startswith(f"reading {tmp_path / 'scanner.tty'} at 9600 baud")
            assert proc.stdout.readline() == "ready: scan now\n"  # opening flushes what came before
            vs.write(b"BAD\x07CODE\r")
            vs.scan("PSP-2026-BLT-0001")
            vs.scan("PSP-2026-BLT-0002")
            out, err = proc.communicate(timeout=15)
        finally:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.splitlines() == ["refused: control character U+0007 at position 4 in 'BAD\\x07CODE'",
                                "code 1: PSP-2026-BLT-0001", "code 2: PSP-2026-BLT-0002"]


def run_in_process(capsys, config, *args):
    code = main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_scanner_test_exit_codes_nothing_scanned_missing_device_none(tmp_path, capsys):
    with VirtualScanner(link=tmp_path / "a" / "scanner.tty"):
        code, out, err = run_in_process(capsys, scanner_config(tmp_path / "a", "serial:scanner.tty@9600"),
                                        "scanner", "test", "--timeout", "0.5")
    assert code == 5 and "ready: scan now" in out and "0 of 1 code(s) read" in err
    code, out, err = run_in_process(capsys, scanner_config(tmp_path / "b", "serial:/nonexistent/ttyACM9@9600"),
                                    "scanner", "test", "--timeout", "0.5")
    assert code == 1 and "cannot open /nonexistent/ttyACM9" in err
    code, out, err = run_in_process(capsys, write_config(tmp_path / "c"), "scanner", "test")
    assert code == 2 and 'device = "none"' in err


@pytest.mark.parametrize("extra, key, says", [
    ('device = "usb0"', "scanner.device", '"none", "hid" or "serial:PATH@BAUD"'),
    ('device = "serial:/dev/ttyACM0@1234"', "scanner.device", "baud rate"),
    ("hid_max_gap_ms = 1000", "scanner.hid_max_gap_ms", "out of range 5-200"),
    ("min_length = 40\nmax_length = 20", "scanner.min_length", "more than scanner.max_length"),
    ('prefix = "a b"', "scanner.prefix", "printable ASCII"),
])
def test_bad_scanner_options_are_named(tmp_path, extra, key, says):
    with pytest.raises(ConfigError) as e:
        make_config(tmp_path, extra=f"[scanner]\n{extra}")
    problems = [(p.key, p.message) for p in e.value.problems]
    assert any(k == key and says in m for k, m in problems), problems


def test_scanner_defaults_to_none(tmp_path):
    cfg = make_config(tmp_path)
    assert cfg.scanner.device == "none" and cfg.scanner.suffix == "enter"


def scene(cfg, root="/"):
    return Scene(cfg, Host(root=root), "kiosk", 2.0)


def test_doctor_scanner_check(tmp_path):
    assert scanner_check(scene(make_config(tmp_path / "none"))).status == "OK"
    missing = scanner_check(scene(make_config(tmp_path / "gone", extra='[scanner]\ndevice = "serial:/dev/ttyNOPE9@9600"')))
    assert missing.status == "FAIL" and "/dev/ttyNOPE9 does not exist" in missing.detail and "by-id" in missing.fix
    with VirtualScanner(link=tmp_path / "pty" / "scanner.tty"):
        cfg = make_config(tmp_path / "pty", extra='[scanner]\ndevice = "serial:scanner.tty@9600"')
        opened = scanner_check(scene(cfg))
    assert opened.status == "OK" and "opens at 9600 baud" in opened.detail


def test_doctor_hid_check_looks_for_a_keyboard_device(tmp_path):
    cfg = make_config(tmp_path / "cfg", extra='[scanner]\ndevice = "hid"')
    root = tmp_path / "root"
    by_id = root / "dev" / "input" / "by-id"
    by_id.mkdir(parents=True)
    assert scanner_check(scene(cfg, root)).status == "WARN"
    os.symlink("../event3", by_id / "usb-Honeywell_Scanner-event-kbd")
    result = scanner_check(scene(cfg, root))
    assert result.status == "OK" and "Honeywell" in result.detail


def test_the_reader_takes_its_framing_from_the_config(tmp_path):
    with VirtualScanner(link=tmp_path / "scanner.tty", suffix="tab") as vs:
        cfg = make_config(tmp_path, extra='[scanner]\ndevice = "serial:scanner.tty@9600"\nprefix = "]Q"\n'
                                          'suffix = "tab"\nmax_length = 8')
        codes, refused = queue.Queue(), queue.Queue()
        with SerialScanner.from_config(cfg.scanner, codes.put, on_refused=refused.put) as reader:
            wait_for("the reader to open the pty", reader.connected.is_set, 5)
            vs.scan("]QTOO-LONG-CODE")
            vs.scan("NOPREFIX")
            vs.scan("]QOK-0001")
            assert codes.get(timeout=5) == "OK-0001"
    assert ["longer than 8" in refused.get_nowait().reason, "prefix" in refused.get_nowait().reason] == [True, True]
    with pytest.raises(ValueError, match="not a serial scanner"):
        SerialScanner.from_config(make_config(tmp_path / "hid", extra='[scanner]\ndevice = "hid"').scanner, print)
