"""`kiosk ui` as the systemd unit runs it: starts under X, exits cleanly on SIGTERM."""

import os
import signal
import subprocess
import sys
import time

from driver import write_ui_config


def test_kiosk_ui_starts_and_stops_on_sigterm(kivy_window, tmp_path):
    cfg = write_ui_config(tmp_path / "etc")
    env = {k: v for k, v in os.environ.items() if k != "KIVY_NO_CONSOLELOG"}
    env["KIVY_HOME"] = str(tmp_path / "kivy")
    import socket

    sock_path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(0.1)
    env["NOTIFY_SOCKET"] = sock_path
    log = tmp_path / "ui.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(cfg), "ui"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            if "Start application main loop" in log.read_text():
                break
            time.sleep(0.1)
        assert proc.poll() is None, log.read_text()
        assert "Start application main loop" in log.read_text()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        assert proc.returncode == 0, log.read_text()[-3000:]
        got = []
        try:
            while True:
                got.append(sock.recv(4096).decode())
        except socket.timeout:
            pass
        assert any("READY=1" in g for g in got) and any("STOPPING=1" in g for g in got), got
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
