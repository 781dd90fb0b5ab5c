"""`make run` as a developer meets it: `kiosk run` starts every part; a ticket goes all the way."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_kiosk_run_issues_prints_and_syncs(tmp_path):
    var = tmp_path / "var"
    central_port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    launcher = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--var", str(var), "--central-port", str(central_port), "--log-api-port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True,
    )
    config = var / "run" / "kiosk.toml"
    try:
        wait_for(lambda: config.exists() and (var / "printer.tty").exists(), 60, "the launcher to write its config")
        kiosk = [sys.executable, "-m", "kiosk", "--config", str(config)]

        def issued():
            r = subprocess.run([*kiosk, "issue", "A", "--json"], capture_output=True, text=True, timeout=60)
            return r if r.returncode == 0 else None

        ticket = json.loads(wait_for(issued, 30, "a printed ticket").stdout)
        assert ticket["print_state"] == "printed"
        wait_for(lambda: list((var / "previews").glob("*.png")), 30, "the ticket's PNG preview")

        def on_central():
            r = subprocess.run([sys.executable, "-m", "central", "export", "--db", str(var / "central.db")], capture_output=True, text=True, timeout=60)
            return [json.loads(line) for line in r.stdout.splitlines()]

        held = wait_for(on_central, 30, "the central server to hold the ticket")
        assert [t["number"] for t in held] == [ticket["number"]]
        # the touchscreen came up on a virtual display, since this environment has none
        wait_for(lambda: subprocess.run(["pgrep", "-f", "--", f"--config {config} ui"], capture_output=True).returncode == 0, 30, "the touchscreen")
    finally:
        os.killpg(launcher.pid, signal.SIGINT)
        out, _ = launcher.communicate(timeout=30)
    assert "started a virtual one (Xvfb" in out
    assert "virtual printer on" in out
    assert launcher.returncode == 0, out[-2000:]
