"""`kiosk run` (what `make run` starts): the whole kiosk on its embedded defaults, on one machine.

It starts the reference central server, a virtual printer over a real pty (tickets saved as PNG
previews), the sync agent and the touchscreen, each as its own process as on a real kiosk, and
stops them all on Ctrl-C. Everything it writes goes under the repo's var/.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from .config import load_config

CENTRAL_PORT = 8471
LOG_API_PORT = 8470
STARTUP_TIMEOUT = 15.0


class Launcher:
    def __init__(self, base_config: Path, var: Path, *, demo_hours: bool = True, headless: bool = False,
                 central_port: int = CENTRAL_PORT, log_api_port: int = LOG_API_PORT):
        self.central_listen = f"127.0.0.1:{central_port}"
        self.log_api_listen = f"127.0.0.1:{log_api_port}"
        self.base_config = base_config
        self.var = var
        self.run_dir = var / "run"
        self.demo_hours = demo_hours
        self.headless = headless
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.scanner = None  # the virtual booking scanner (a pty held by this process)

    def say(self, message: str) -> None:
        print(f"[kiosk run] {message}", flush=True)

    def spawn(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        proc = subprocess.Popen(argv, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
        self.children.append((name, proc))
        return proc

    def stop_all(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
            self.scanner = None
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 5
        for name, proc in reversed(self.children):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{name} did not stop in time; killing it")
                proc.kill()
                proc.wait(2)

    def wait_until(self, what: str, ready, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with code {proc.returncode} while starting")
            if ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{what} did not start within {STARTUP_TIMEOUT:.0f} s")

    # the parts ------------------------------------------------------------------------------

    def start_central(self, office: str, kiosk_id: str) -> str:
        db = self.var / "central.db"
        central = [sys.executable, "-m", "central"]
        proc = self.spawn("central server", [*central, "serve", "--db", str(db), "--listen", self.central_listen])
        url = f"http://{self.central_listen}"

        def up() -> bool:
            try:
                return requests.get(f"{url}/api/v1/health", timeout=0.5).ok
            except requests.RequestException:
                return False

        self.wait_until("central server", up, proc)
        token = subprocess.run(
            [*central, "tokens", "add", kiosk_id, "--office", office, "--db", str(db)],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.strip()
        token_file = self.run_dir / "central.token"
        token_file.write_text(token + "\n")
        token_file.chmod(0o600)
        self.say(f"central server on {url} (database {db})")
        self.add_demo_staff(central, db, office)
        return url

    def add_demo_staff(self, central: list[str], db: Path, office: str) -> None:
        """Counters 1-3 and a supervisor `demo` for /counter and /reports; its password in a 0600 file."""
        def cli(*argv, stdin=None):
            return subprocess.run([*central, *argv, "--db", str(db)], input=stdin, capture_output=True, text=True,
                                  timeout=30)

        cli("counters", office, "1", "2", "3")
        password_file = self.run_dir / "staff-demo.password"
        if '"username": "demo"' not in cli("users", "list", "--json").stdout:
            password = secrets.token_urlsafe(12)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
            cli("users", "add", "demo", "--role", "supervisor", "--office", office, "--password-stdin",
                stdin=password + "\n")
        self.staff_password_file = password_file

    def start_printer(self) -> Path:
        link = self.var / "printer.tty"
        previews = self.var / "previews"
        proc = self.spawn("virtual printer", [sys.executable, "-m", "printer.fake", "--link", str(link), "--previews", str(previews)])
        self.wait_until("virtual printer", link.exists, proc)
        self.say(f"virtual printer on {os.path.realpath(link)}; tickets appear as PNG in {previews}/")
        return link

    def start_scanner(self) -> Path:
        """A virtual serial booking scanner on a pty (kiosk/scanner/virtual.py), held in this process:
        a line typed into this terminal is scanned, as is one written by another program through
        `python -m kiosk.scanner.virtual` on its own link."""
        from .scanner.virtual import VirtualScanner

        self.scanner = VirtualScanner(link=self.var / "scanner.tty", byte_delay=0.001).start()
        if sys.stdin is not None and sys.stdin.isatty():
            threading.Thread(target=self._scan_stdin, name="scan-stdin", daemon=True).start()
            how = "type a booking code here and press Enter to scan it"
        else:
            how = "stdin is not a terminal: no typed scans"
        self.say(f"virtual booking scanner on {os.path.realpath(self.scanner.path)} (link {self.scanner.path}); {how}")
        return Path(self.scanner.path)

    def _scan_stdin(self) -> None:
        for line in sys.stdin:
            code = line.strip()
            if code and self.scanner is not None:
                try:
                    self.scanner.scan(code)
                except OSError as e:
                    self.say(f"scanner: {e}")

    def import_demo_bookings(self, base) -> None:
        """A booking list around the current time, imported into the central server as an office
        would import its M-Paspor export (the agent pulls it): every check-in answer can be tried."""
        tz = ZoneInfo(base.kiosk.timezone)
        now = datetime.now(tz).replace(second=0, microsecond=0)
        cat = base.catalogue
        service = next((s.key for s in cat.services if s.mpaspor_required), cat.services[0].key)
        office = base.kiosk.office_code
        rows = [  # code, office, slot, what scanning it shows
            ("MPDEMO01", office, now + timedelta(minutes=10), "on time"),
            ("MPDEMO02", office, now + timedelta(minutes=20), "on time"),
            ("MPDEMO03", office, now + timedelta(hours=3), "too early"),
            ("MPDEMO04", office, now - timedelta(hours=2), "lapsed"),
            ("MPDEMO05", office, (now + timedelta(days=1)).replace(hour=9, minute=0), "another day"),
            ("MPDEMO06", "LAIN", now + timedelta(minutes=10), "another office"),
        ]
        path = self.run_dir / "demo-bookings.csv"
        path.write_text("code,office,service,slot,name\n" + "".join(
            f"{code},{where},{service},{slot:%Y-%m-%d %H:%M},Budi Santoso\n" for code, where, slot, _ in rows))
        done = subprocess.run([sys.executable, "-m", "central", "bookings", "import", str(path), "--db", str(self.var / "central.db"),
                               "--timezone", base.kiosk.timezone], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"importing the demo bookings failed: {done.stderr.strip() or done.stdout.strip()}")
        listed = ", ".join(f"{code} ({what}, {slot:%H:%M})" for code, _, slot, what in rows)
        self.say(f"demo M-Paspor bookings ({path}): {listed}; any other code is unknown")

    def write_catalogue(self, source: Path) -> Path:
        text = source.read_text(encoding="utf-8")
        if self.demo_hours:
            text = re.sub(r"(?m)^(\s*(?:mon|tue|wed|thu|fri|sat|sun)\s*=\s*)\[[^\]]*\]", r'\1["00:00-24:00"]', text)
            text = re.sub(r"(?m)^closed_dates\s*=.*$", "closed_dates = []", text)
        out = self.run_dir / "services.toml"
        out.write_text(text, encoding="utf-8")
        return out

    def write_config(self, url: str, printer_link: Path, scanner_link: Path | None = None) -> Path:
        base = load_config(self.base_config)
        catalogue = self.write_catalogue(Path(base.kiosk.catalogue))
        log_token = self.run_dir / "log.token"
        if not log_token.exists():
            log_token.write_text(secrets.token_urlsafe(32) + "\n")
        log_token.chmod(0o600)
        text = self.base_config.read_text(encoding="utf-8")
        text = _set(text, "kiosk", "catalogue", f'"{catalogue}"')
        text = _set(text, "store", "path", f'"{self.var / "kiosk.db"}"')
        text = _set(text, "printer", "device", f'"serial:{printer_link}@115200"')
        text = _set(text, "printer", "preview_dir", '""')
        text = _set(text, "central", "url", f'"{url}"')
        text = _set(text, "central", "public_url", f'"{url}"')
        text = _set(text, "central", "token_file", f'"{self.run_dir / "central.token"}"')
        text = _set(text, "agent", "log_token_file", f'"{log_token}"')
        text = _set(text, "agent", "listen", f'"{self.log_api_listen}"')
        if scanner_link is not None:
            text = _set(text, "scanner", "device", f'"serial:{scanner_link}@9600"')
        path = self.run_dir / "kiosk.toml"
        path.write_text("# Written by `kiosk run` from " + str(self.base_config) + "; edits are overwritten.\n" + text)
        load_config(path)
        return path

    def display_env(self) -> dict:
        if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
            return {}
        from .ui.xvfb import start_xvfb

        proc, display = start_xvfb("1024x600x24")
        self.children.append(("Xvfb", proc))
        self.say(f"no display found: started a virtual one (Xvfb {display}, 1024x600). "
                 f"Look at it with `kiosk screenshots` or a VNC server on DISPLAY={display}.")
        return {"DISPLAY": display}

    def run(self) -> int:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        base = load_config(self.base_config)
        try:
            url = self.start_central(base.kiosk.office_code, base.kiosk.id)
            link = self.start_printer()
            scanner = self.start_scanner()
            self.import_demo_bookings(base)
            config = self.write_config(url, link, scanner)
            if self.demo_hours:
                self.say("demo: every service is open around the clock here (var/run/services.toml); "
                         "the real hours are in config/services.toml")
            kiosk = [sys.executable, "-m", "kiosk", "--config", str(config)]
            self.spawn("sync agent", [*kiosk, "agent"])
            self.say(f"kiosk configuration: {config}  (try: .venv/bin/kiosk --config {config} status)")
            self.say_pages(url, base.kiosk.office_code, config)
            if self.headless:
                self.say("headless: no touchscreen. Issue with: "
                         f".venv/bin/kiosk --config {config} issue A")
                main = None
            else:
                main = self.spawn("touchscreen", [*kiosk, "ui"], env=self.display_env())
            return self.supervise(main)
        except (RuntimeError, subprocess.SubprocessError) as e:
            self.say(f"error: {e}")
            return 1
        finally:
            self.stop_all()

    def say_pages(self, url: str, office: str, config: Path) -> None:
        self.say(f"lobby display (a TV, full screen): {url}/display/{office}")
        self.say(f"each ticket's page is in its QR; the URLs: .venv/bin/kiosk --config {config} tickets")
        self.say(f"call the next number: .venv/bin/kiosk-central call-next {office} A --counter 1 "
                 f"--db {self.var / 'central.db'}")
        self.say(f"staff pages: {url}/counter and {url}/reports (user demo, password: "
                 f"cat {getattr(self, 'staff_password_file', 'var/run/staff-demo.password')})")

    def supervise(self, main: subprocess.Popen | None) -> int:
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        self.say("running; Ctrl-C stops everything")
        try:
            while not stop["now"]:
                for name, proc in self.children:
                    if proc.poll() is not None and name != "Xvfb":
                        self.say(f"{name} exited with code {proc.returncode}")
                        return 0 if proc is main and proc.returncode == 0 else 1
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        self.say("stopping")
        return 0


def _set(text: str, section: str, key: str, value: str) -> str:
    """Set `key = value` inside [section] of a TOML text, adding the line if it is missing."""
    pattern = re.compile(rf"(?ms)^\[{section}\]\s*$(.*?)(?=^\[|\Z)")
    m = pattern.search(text)
    if not m:
        return text.rstrip() + f"\n\n[{section}]\n{key} = {value}\n"
    body = m.group(1)
    line = re.compile(rf"(?m)^{key}\s*=.*$")
    body = line.sub(f"{key} = {value}", body, count=1) if line.search(body) else f"\n{key} = {value}" + body
    return text[: m.start(1)] + body + text[m.end(1):]
