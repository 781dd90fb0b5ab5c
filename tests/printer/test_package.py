"""The `printer` package loads its names on first use: a device check must not pull in imaging."""
import subprocess
import sys
from pathlib import Path

import pytest

import printer

ROOT = str(Path(__file__).resolve().parents[2])


def test_every_public_name_is_the_object_of_its_module():
    from printer import connection, content, device, encode, logo, model, status

    modules = (connection, content, device, encode, logo, model, status)
    for name in printer.__all__:
        value = getattr(printer, name)
        assert any(getattr(m, name, None) is value for m in modules), name
    assert set(printer.__all__) <= set(dir(printer))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        printer.Nope  # noqa: B018


def test_a_device_check_loads_neither_imaging_nor_layouts():
    code = ("import sys, printer.device\n"
            "printer.device.parse_device('serial:/dev/ttyUSB0@19200'); printer.device.parse_device('usb:04b8:0e15')\n"
            "from printer import READY, PrinterStatus\n"
            "print(sorted(m for m in ('PIL', 'printer.layouts', 'printer.encode', 'printer.logo', 'printer.preview')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                         env={"PYTHONPATH": ROOT, "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
