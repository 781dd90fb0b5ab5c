"""Before and at the first frame: READY=1 only once the home screen is drawn, the worker's Lobby
(database, printer) opened only after it, and none of the Lobby's modules loaded before it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from driver import OPEN_TIME, write_ui_config

from kiosk.clock import ManualClock
from kiosk.config import load_config

LOBBY_MODULES = ("kiosk.lobby", "kiosk.store", "kiosk.printing", "kiosk.issuer", "kiosk.checkin", "kiosk.admin_pin",
                 "printer.encode", "printer.logo")


def received(sock: socket.socket, wait: float) -> list[str]:
    got, deadline = [], time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            got.append(sock.recv(4096).decode())
        except BlockingIOError:
            time.sleep(0.01)
    return got


def test_ready_and_the_lobby_wait_for_the_first_frame(kivy_window, fake_printer, tmp_path, monkeypatch):
    from kivy.base import EventLoop
    from kivy.clock import Clock

    from kiosk.printing import TicketPrinting
    from kiosk.ui.app import with_printer_device
    from kiosk.ui.kioskapp import KioskApp

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    config = with_printer_device(load_config(write_ui_config(tmp_path / "etc")), f"serial:{fake_printer.path}@115200")
    clock = ManualClock(OPEN_TIME)
    printing = TicketPrinting(config, clock)
    app = KioskApp(config, clock=clock, printing=printing)
    try:
        app._run_prepare()  # build + on_start: the home screen exists, nothing is drawn yet
        Clock.tick()  # callbacks due now run (READY used to be one of them), still no frame
        assert received(sock, 0.3) == []
        assert app.worker.lobby is None and app.worker.pending() >= 1  # the first snapshot waits
        EventLoop.idle()  # draw + flip
        got = received(sock, 1.0)
        assert any("READY=1" in g.split("\n") for g in got), got
        assert app.worker.wait_idle(10) and app.worker.lobby is not None
    finally:
        if app.root is not None and app.root.parent is not None:
            kivy_window.remove_widget(app.root)
        app.dispatch("on_stop")
        sock.close()


FIRST_FRAME_PROBE = """
import json, sys
import kiosk.ui.app as ui_app
configure = ui_app.configure_kivy

def configure_and_watch(*args, **kwargs):
    mode = configure(*args, **kwargs)
    from kiosk.ui import kioskapp
    first = kioskapp.KioskApp._on_first_frame

    def on_first_frame(self, event):
        with open(sys.argv[1], "w") as out:
            json.dump(sorted(sys.modules), out)
        first(self, event)
        self.request_stop()

    kioskapp.KioskApp._on_first_frame = on_first_frame
    return mode

ui_app.configure_kivy = configure_and_watch
from kiosk.cli import main
sys.exit(main(["--config", sys.argv[2], "ui"]))
"""


def test_kiosk_ui_draws_its_first_frame_before_loading_the_lobby(kivy_window, tmp_path):
    """The real `kiosk ui` command, watched at its first frame: the Lobby's modules (store, issuer,
    printing, check-in, ESC/POS encoding) are not loaded yet; the worker loads them right after."""
    cfg = write_ui_config(tmp_path / "etc")
    modules = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if k != "KIVY_NO_CONSOLELOG"}
    env["KIVY_HOME"] = str(tmp_path / "kivy")
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME_PROBE, str(modules), str(cfg)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = set(json.loads(modules.read_text()))
    assert "kiosk.ui.kioskapp" in loaded and "kiosk.config" in loaded
    assert [m for m in LOBBY_MODULES if m in loaded] == []
