"""`python -m printer.fake` as `make run` starts it, and the in-process "virtual" device."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from support.waiting import wait_for

from printer import PRINTED, encode_ticket, open_printer

ROOT = str(Path(__file__).resolve().parents[2])




@pytest.fixture
def fake_process(tmp_path):
    link, previews, control = tmp_path / "printer.tty", tmp_path / "previews", tmp_path / "printer.state"
    proc = subprocess.Popen(
        [sys.executable, "-m", "printer.fake", "--link", str(link), "--previews", str(previews),
         "--control", str(control)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    try:
        first = proc.stdout.readline().strip()  # the pty path, once it exists
        assert first.startswith("/dev/pts/"), proc.stderr.read() if proc.poll() is not None else first
        yield proc, link, previews, control
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)


def test_fake_printer_process_prints_previews_unplugs_and_stops_on_sigterm(fake_process, make_ticket, model80):
    proc, link, previews, control = fake_process
    assert os.path.realpath(link).startswith("/dev/pts/")
    ticket = encode_ticket(make_ticket(), model80)
    with open_printer(f"serial:{link}@115200", model80, confirm_timeout=1.0) as p:
        assert p.print(ticket).outcome == PRINTED
        wait_for("the fake printer", lambda: len(list(previews.glob("*.png"))) == 1, 5)
        png = next(previews.glob("*.png"))
        wait_for("the fake printer", lambda: png.stat().st_size > 0, 5)
        time.sleep(0.2)
        with Image.open(png) as img:
            assert img.width == 640 and img.height > 800

        control.write_text("cover_open\n")
        wait_for("the fake printer", lambda: p.status().state == "cover_open", 5)
        control.write_text("ready\n")
        wait_for("the fake printer", lambda: p.status().state == "ready", 5)

        proc.send_signal(signal.SIGUSR1)  # unplug; the pty comes back at the same link after ~1 s
        wait_for("the fake printer", lambda: p.status().state == "offline", 3)
        wait_for("the fake printer", lambda: p.status().state == "ready", 5)
        assert p.print(ticket).outcome == PRINTED

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(5) == 0
    assert not link.exists()


def test_virtual_device_prints_and_saves_previews(tmp_path, make_ticket, model80):
    with open_printer("virtual", model80, preview_dir=str(tmp_path)) as p:
        result = p.print(encode_ticket(make_ticket(), model80))
        assert result.outcome == PRINTED
        assert p.fake.jobs[0].decoded.find("A001")
        p.fake.set_state("paper_out")  # demos and UI tests can drive faults through .fake
        assert p.print(encode_ticket(make_ticket(), model80)).state == "paper_out"
        link = Path(p.fake.path)
        p.fake.wait_previews()
    assert len(list(tmp_path.glob("*.png"))) == 1
    assert not link.exists() and not link.parent.exists()
