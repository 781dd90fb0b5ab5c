"""`make run` as a developer meets it: `kiosk run` starts every part; a ticket goes all the way."""

import json
import os
import signal
import subprocess
import sys

import requests
from support.waiting import free_port, wait_for

from kiosk.config import load_config


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
        wait_for("the launcher to write its config", lambda: config.exists() and (var / "printer.tty").exists(), 60)
        kiosk = [sys.executable, "-m", "kiosk", "--config", str(config)]

        def issued():
            r = subprocess.run([*kiosk, "issue", "A", "--json"], capture_output=True, text=True, timeout=60)
            return r if r.returncode == 0 else None

        ticket = json.loads(wait_for("a printed ticket", issued, 30).stdout)
        assert ticket["print_state"] == "printed"
        wait_for("the ticket's PNG preview", lambda: list((var / "previews").glob("*.png")), 30)

        def on_central():
            r = subprocess.run([sys.executable, "-m", "central", "export", "--db", str(var / "central.db")], capture_output=True, text=True, timeout=60)
            return [json.loads(line) for line in r.stdout.splitlines()]

        held = wait_for("the central server to hold the ticket", on_central, 30)
        assert [t["number"] for t in held] == [ticket["number"]]
        # its page, at the address its QR carries (central.public_url is the local server here)
        assert ticket["page_url"].startswith(f"http://127.0.0.1:{central_port}/t/")
        page = requests.get(ticket["page_url"], timeout=10)
        assert page.status_code == 200 and ticket["number"] in page.text
        listing = subprocess.run([*kiosk, "tickets"], capture_output=True, text=True, timeout=60).stdout
        assert ticket["page_url"] in listing
        # the demo booking list reached the kiosk's store through the central server and the agent
        from kiosk.store import Store

        def demo_booking():
            with Store(var / "kiosk.db") as store:
                return store.booking("MPDEMO01")

        assert wait_for("the demo bookings on the kiosk", demo_booking, 60).office == load_config(config).kiosk.office_code
        # the staff pages: the demo supervisor logs in with the password from its 0600 file
        password_file = var / "run" / "staff-demo.password"
        assert password_file.stat().st_mode & 0o077 == 0
        staff = requests.Session()
        form = staff.get(f"http://127.0.0.1:{central_port}/staff/login", timeout=10).text
        token = form.split('name="form_token" value="')[1].split('"')[0]
        landed = staff.post(f"http://127.0.0.1:{central_port}/staff/login", timeout=10, data={
            "form_token": token, "username": "demo", "password": password_file.read_text().strip()})
        assert landed.url.endswith("/reports") and "demo (supervisor)" in landed.text
        # the touchscreen came up on a virtual display, since this environment has none
        wait_for("the touchscreen", lambda: subprocess.run(["pgrep", "-f", "--", f"--config {config} ui"], capture_output=True).returncode == 0, 30)
    finally:
        os.killpg(launcher.pid, signal.SIGINT)
        out, _ = launcher.communicate(timeout=30)
    assert "started a virtual one (Xvfb" in out
    assert "virtual printer on" in out
    assert f"lobby display (a TV, full screen): http://127.0.0.1:{central_port}/display/" in out
    assert "virtual booking scanner on" in out
    assert f'device = "serial:{var / "scanner.tty"}@9600"' in config.read_text()
    assert f"staff pages: http://127.0.0.1:{central_port}/counter" in out
    assert launcher.returncode == 0, out[-2000:]
