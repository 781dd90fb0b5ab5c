"""The doctor's checks. Each takes the Scene (config, host, service user, timeout) and returns one
Result or a list of them; the Doctor runs each in its own thread under a deadline."""

from __future__ import annotations

import glob
import ipaddress
import shutil
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .. import state_keys
from ..clock import Clock, clock_trusted
from ..config import KioskConfig
from ..store import Store
from .audio import audio
from .display import display_mode
from .host import Host
from .result import Result, fail, ok, warn
from .scanner import scanner

UNITS = ("kiosk-ui.service", "kiosk-agent.service")
DISPLAY_GROUPS = ("video", "render", "input")
ABS_MT_POSITION_X = 0x35
DISK_FAIL_BYTES = 100 * 1024**2
DISK_WARN_BYTES = 1024**3


@dataclass
class Scene:
    config: KioskConfig | None
    host: Host
    user: str
    timeout: float


def _fix_user_groups(user: str, groups: list[str]) -> str:
    return f"sudo usermod -aG {','.join(groups)} {user}, then: sudo systemctl restart kiosk-ui kiosk-agent"


# configuration and storage ----------------------------------------------------------------


def secrets(scene: Scene) -> Result:
    cfg = scene.config
    loose = []
    if cfg.admin.pin_hash and cfg.path.stat().st_mode & 0o077:
        loose.append(str(cfg.path))
    if loose:
        return fail("secrets", f"{loose[0]} holds the staff PIN hash but others can read it "
                    f"(mode {stat.S_IMODE(cfg.path.stat().st_mode):04o})", f"sudo chmod 600 {loose[0]}")
    named = [p for p in (cfg.central.token_file, cfg.agent.log_token_file) if p]
    return ok("secrets", f"{len(named)} token file(s) and the config are 0600" if named else "no token files configured")


def database(scene: Scene) -> Result:
    path = Path(scene.config.store.path)
    if not path.exists():
        return warn("database", f"{path} does not exist yet", "start the touchscreen (it creates the database): "
                    "sudo systemctl start kiosk-ui")
    try:
        with Store.open_readonly(path, busy_timeout=min(scene.timeout, 5.0)) as store:
            verdict = store.quick_check()
            version = store.schema_version()
            too_new = store.newer_than_code()
    except sqlite3.Error as e:
        return fail("database", f"{path} cannot be read: {e}",
                    "check the file's owner (kiosk) and mode; if it is damaged, stop the units and restore it "
                    "(docs/operations.md, 'Database')")
    if verdict != "ok":
        return fail("database", f"{path}: integrity check failed: {verdict[:200]}",
                    "stop the units, keep a copy, then recover: sqlite3 kiosk.db '.recover' | sqlite3 fixed.db "
                    "(docs/operations.md, 'Database')")
    if too_new:
        return fail("database", too_new, "install the kiosk version that wrote it (docs/operations.md, 'Database')")
    return ok("database", f"{path}: integrity ok, schema v{version}")


def disk(scene: Scene) -> Result:
    folder = Path(scene.config.store.path).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    free_mb = usage.free / 1024**2
    detail = f"{free_mb:,.0f} MB free of {usage.total / 1024**3:.1f} GB on {folder}"
    fix = "free space: sudo journalctl --vacuum-size=50M; remove old previews and backups"
    if usage.free < DISK_FAIL_BYTES:
        return fail("disk", detail, fix)
    if usage.free < DISK_WARN_BYTES or usage.free < usage.total * 0.1:
        return warn("disk", detail, fix)
    return ok("disk", detail)


def quarantine(scene: Scene) -> Result:
    """Events the central server refused for good: kept, but the server will not see them until a
    technician acts (docs/sync.md, "Quarantine")."""
    path = Path(scene.config.store.path)
    if not scene.config.central.url:
        return ok("quarantine", "standalone kiosk: nothing is sent")
    if not path.exists():
        return ok("quarantine", "no database yet")
    try:
        with Store.open_readonly(path, busy_timeout=min(scene.timeout, 5.0)) as store:
            if not store.holds_quarantine():
                return ok("quarantine", "no quarantined events (the database predates quarantine)")
            count = store.quarantine_count()
            oldest = store.quarantined_events(1)
    except sqlite3.Error as e:
        return warn("quarantine", f"{path}: cannot read the outbox: {e}", "see the database check")
    if not count:
        return ok("quarantine", "no quarantined events: every event is delivered or on its way")
    first = oldest[0]
    number = (first.payload.get("ticket") or {}).get("number") or first.ticket_id
    return fail("quarantine", f"{count} event(s) refused for good by the central server and set aside (kept, not "
                f"sent); oldest: seq {first.seq} {first.kind} {number}: {first.last_error}",
                "read the reasons with `kiosk sync quarantine list`, fix the cause on the central server or in "
                "kiosk.toml, then: sudo kiosk sync quarantine retry --all")


# time -------------------------------------------------------------------------------------


class _HostClock(Clock):
    def __init__(self, host: Host):
        self.host = host

    def synchronized(self) -> bool:
        return self.host.path("/run/systemd/timesync/synchronized").exists()


def clock(scene: Scene) -> Result:
    c = _HostClock(scene.host)
    now = c.now()
    if now.year < 2025:
        return fail("clock", f"the clock says {now:%Y-%m-%d %H:%M} UTC, which cannot be right",
                    "connect the network so NTP can set it, or: sudo date -s 'YYYY-MM-DD HH:MM'")
    server_check = _read_state(scene.config.store.path, state_keys.SERVER_CLOCK)
    if c.synchronized():
        return ok("clock", "synchronised by NTP since boot")
    if clock_trusted(c, server_check):
        return ok("clock", f"agrees with the central server (checked {server_check.get('checked_at')})")
    return warn("clock", "not confirmed by NTP or by the central server: tickets are marked clock_trusted=false",
                "check the network; timedatectl timesync-status; the agent checks the server's time on each sync")


def timezone_check(scene: Scene) -> Result:
    wanted = scene.config.kiosk.timezone
    system = scene.host.local_timezone()
    if system == wanted:
        return ok("timezone", f"{wanted} (system and kiosk agree)")
    return warn("timezone", f"tickets use {wanted} but the system time zone is {system or 'unknown'}: "
                "logs and `date` will disagree with the tickets", f"sudo timedatectl set-timezone {wanted}")


def _read_state(db_path: str, key: str):
    try:
        with Store.open_readonly(db_path, busy_timeout=2) as store:
            return store.get_state(key)
    except sqlite3.Error:
        return None


# printer ----------------------------------------------------------------------------------


def printer(scene: Scene) -> Result:
    import printer as escpos
    from printer.device import make_transport
    from printer.transports import DeviceBusy, OpenError

    p = scene.config.printer
    if p.device == "virtual":
        return warn("printer", "virtual printer: tickets are only previews (development setting)",
                    "sudo kiosk provision ... --printer usb:VID:PID (see docs/raspberry-pi.md)")
    # The model exactly as the kiosk builds it: its status/cutter/columns overrides decide what to ask.
    model = p.printer_model()
    timeout = min(p.status_timeout, scene.timeout)
    transport = make_transport(escpos.parse_device(p.device))
    dev = escpos.Printer(transport, model, device=p.device, status_timeout=timeout,
                         write_timeout=min(p.write_timeout, scene.timeout))
    try:
        transport.open(dev.open_timeout)
        status = dev.status()
    except DeviceBusy:
        recorded = _read_state(scene.config.store.path, state_keys.PRINTER) or {}
        return warn("printer", f"{p.device} is in use by the touchscreen; its last status: "
                    f"{recorded.get('state', 'unknown')} {recorded.get('detail', '')} ({recorded.get('at', 'never')})".rstrip(),
                    "for a live check: sudo systemctl stop kiosk-ui; sudo kiosk doctor; sudo systemctl start kiosk-ui")
    except OpenError as e:
        status = escpos.PrinterStatus(escpos.OFFLINE, e.detail)
    finally:
        dev.close()
    fixes = {
        escpos.PAPER_OUT: "load a new paper roll",
        escpos.COVER_OPEN: "close the printer cover",
        escpos.OFFLINE: "check the printer is on and its cable; then see 'printer access'",
    }
    if status.state == escpos.READY:
        return ok("printer", f"{p.device}: {status.detail}")
    if status.state == escpos.PAPER_NEAR_END:
        return warn("printer", f"{p.device}: {status.detail}", "replace the paper roll soon")
    if status.state in fixes:
        return fail("printer", f"{p.device}: {status.detail}", fixes[status.state])
    return warn("printer", f"{p.device}: {status.detail}",
                "check the baud rate and that status replies are on (docs/raspberry-pi.md, 'Printer')")


def printer_access(scene: Scene) -> Result:
    from printer.device import KINDS, parse_device

    spec = parse_device(scene.config.printer.device)
    access = KINDS[spec.kind].access(spec, scene.host.path)
    if access.missing:
        return fail("printer access", *access.missing)
    if access.node is None:
        return ok("printer access", access.note)
    node = access.node
    st = node.stat()
    group = scene.host.group_name(st.st_gid)
    user = scene.user
    if scene.host.owner_name(st.st_uid) == user and st.st_mode & 0o600 == 0o600:
        return ok("printer access", f"{user} owns {node}")
    if st.st_mode & 0o006 == 0o006:
        return ok("printer access", f"{node} is open to everyone (mode {stat.S_IMODE(st.st_mode):04o})")
    if group in scene.host.groups(user) and st.st_mode & 0o060 == 0o060:
        return ok("printer access", f"{user} may use {node} through group {group}")
    return fail("printer access", f"{user} cannot open {node} (group {group}, mode {stat.S_IMODE(st.st_mode):04o})",
                _fix_user_groups(user, [group]) + "; for USB also reinstall the udev rule: sudo systemd/install.sh")


# central server ---------------------------------------------------------------------------


def _private_or_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def server(scene: Scene) -> list[Result]:
    from ..agent import client as central

    c = scene.config.central
    if not c.url:
        return [ok("server", "standalone kiosk: no central server configured")]
    out = []
    parts = urlsplit(c.url)
    if parts.scheme == "http" and not _private_or_loopback(parts.hostname or ""):
        out.append(warn("tls", f"{c.url} is plain http: the token and tickets cross the network unencrypted",
                        "serve the central server over https and provision with --server https://..."))
    kiosk = scene.config.kiosk
    client = None
    try:
        client = central.CentralClient(c, timeout=scene.timeout, user_agent="kiosk-doctor")
        client.health()
        client.get_queue(kiosk.office_code)  # needs the token: proves the server accepts it
    except central.CentralError as e:
        return out + [_server_problem(e, c, kiosk, wait=min(c.read_timeout, scene.timeout))]
    finally:
        if client is not None:
            client.close()
    tls = "TLS verified, " if parts.scheme == "https" else ""
    return out + [ok("server", f"{c.url}: reachable, {tls}token accepted")]


def _server_problem(e, c, kiosk, wait: float) -> Result:
    """The client's error kind -> what the technician reads and does."""
    from ..agent import client as central

    if e.kind == central.CONFIG:
        return fail("server", f"cannot read {c.token_file}: {e.cause}", "run doctor as root: sudo kiosk doctor")
    if e.kind == central.TLS:
        return fail("server", f"{c.url}: TLS certificate not accepted ({e.cause})",
                    "install the office CA (sudo update-ca-certificates) or set central.ca_bundle to its file; "
                    "or renew the server's certificate")
    if e.kind == central.TIMEOUT:
        return fail("server", f"{c.url}: no answer within {wait:g} s",
                    "check the network (ping the server) and that kiosk-central is running")
    if e.kind == central.NETWORK:
        return fail("server", f"{c.url}: not reachable ({e.cause})",
                    "check the network cable/Wi-Fi, DNS and the URL in central.url")
    if e.kind == central.AUTH and e.status == 401:
        return fail("server", f"{c.url}: the server refused the kiosk's token (HTTP 401)",
                    f"issue a new one: kiosk-central tokens add {kiosk.id} --office {kiosk.office_code} > t; "
                    "sudo kiosk provision ... --token-file t")
    if e.kind == central.AUTH:
        return fail("server", f"{c.url}: the token belongs to another kiosk or office (HTTP {e.status}): {e.cause}",
                    "check kiosk.id / kiosk.office_code against the server's `kiosk-central kiosks`")
    return warn("server", f"{c.url}: reachable, but it answered: {e}", "look at the central server's log")


def log_api(scene: Scene) -> Result:
    import requests

    from ..agent.client import cause

    a = scene.config.agent
    if not a.log_token_file:
        return warn("log api", "agent.log_token_file is not set: the central server cannot pull the ticket log",
                    "sudo kiosk provision ... (it creates /etc/kiosk/log.token)")
    host, _, port = a.listen.rpartition(":")
    host = host.strip("[]")
    probe = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    url = f"http://{'[' + probe + ']' if ':' in probe else probe}:{port}/api/v1/health"
    try:
        token = Path(a.log_token_file).read_text(encoding="utf-8").strip()
    except OSError as e:
        return fail("log api", f"cannot read {a.log_token_file}: {e.strerror}", "run doctor as root: sudo kiosk doctor")
    try:
        r = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=min(2.0, scene.timeout))
    except requests.RequestException as e:
        return warn("log api", f"nothing answers on {a.listen} ({cause(e)})",
                    "the agent serves it: sudo systemctl status kiosk-agent")
    if r.status_code == 200:
        return ok("log api", f"serving on {a.listen}, newest cursor {r.json().get('last_cursor')}")
    return fail("log api", f"{a.listen} answered HTTP {r.status_code} to the kiosk's own log token",
                "another program holds the port, or the agent runs with an old token: sudo systemctl restart kiosk-agent")


# the machine ------------------------------------------------------------------------------


def units(scene: Scene) -> Result:
    if not scene.host.systemd_running():
        return warn("units", "systemd is not running here (a development machine or a container)",
                    "on the kiosk: sudo systemd/install.sh")
    r = scene.host.run(["systemctl", "is-active", *UNITS], timeout=scene.timeout)
    states = r.out.split()
    if len(states) != len(UNITS):
        return fail("units", f"systemctl gave no answer: {r.err.strip()[:200]}", "sudo systemctl daemon-reload")
    down = [f"{u} is {s}" for u, s in zip(UNITS, states) if s != "active"]
    if down:
        first = UNITS[[s != "active" for s in states].index(True)]
        return fail("units", "; ".join(down),
                    f"see why: journalctl -u {first} -n 50; then: sudo systemctl enable --now {first}")
    return ok("units", "kiosk-ui and kiosk-agent are active")


def display(scene: Scene) -> Result:
    cards = sorted(glob.glob(str(scene.host.path("/dev/dri/card*"))))
    if not cards:
        return fail("display", "no DRM display device (/dev/dri/card*): the touchscreen app cannot draw",
                    "enable KMS: dtoverlay=vc4-kms-v3d in /boot/firmware/config.txt, then reboot")
    connectors = glob.glob(str(scene.host.path("/sys/class/drm/card*-*/status")))
    connected = [Path(c).parent.name for c in connectors if Path(c).read_text().strip() == "connected"]
    if connectors and not connected:
        return fail("display", "no display is connected to any output",
                    "check the HDMI/DSI cable and that the screen is powered, then reboot")
    names = ", ".join(Path(c).name for c in cards)
    return ok("display", f"{names}" + (f"; connected: {', '.join(connected)}" if connected else ""))


def _input_devices(text: str) -> list[dict]:
    devices, current = [], {}
    for line in text.splitlines() + [""]:
        if not line.strip():
            if current:
                devices.append(current)
            current = {}
        elif line[:2] in ("N:", "H:", "B:"):
            key, _, value = line[3:].partition("=")
            current[f"{line[0]}:{key.strip()}"] = value.strip().strip('"')
    return devices


def touch(scene: Scene) -> Result:
    try:
        text = scene.host.path("/proc/bus/input/devices").read_text()
    except OSError:
        text = ""
    touch_devices = []
    for dev in _input_devices(text):
        words = dev.get("B:ABS", "").split()
        bits = 0
        for word in words:  # the kernel prints the bitmap as hex words, most significant first
            bits = (bits << 64) | int(word, 16)
        if bits >> ABS_MT_POSITION_X & 1:
            handlers = [h for h in dev.get("H:Handlers", "").split() if h.startswith("event")]
            touch_devices.append(f"{dev.get('N:Name', '?')} ({', '.join(handlers)})")
    if not touch_devices:
        return fail("touch", "no multitouch input device found",
                    "check the touch panel's USB cable or the DSI ribbon; list devices: sudo libinput list-devices")
    return ok("touch", "; ".join(touch_devices))


def groups(scene: Scene) -> Result:
    host, user = scene.host, scene.user
    if not host.user_exists(user):
        return fail("groups", f"the service user {user!r} does not exist", "sudo systemd/install.sh (creates it)")
    have = host.groups(user)
    existing = {g for g in DISPLAY_GROUPS if host.groups_of is not None or _group_exists(g)}
    missing = [g for g in DISPLAY_GROUPS if g in existing and g not in have]
    if missing:
        return fail("groups", f"{user} is not in {', '.join(missing)} (needed for the display and touch)",
                    _fix_user_groups(user, missing))
    return ok("groups", f"{user} is in {', '.join(sorted(have & set(DISPLAY_GROUPS)))}")


def _group_exists(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


CONFIG_CHECKS = (secrets, database, disk, clock, timezone_check, printer, printer_access, server, log_api, display_mode,
                 scanner, quarantine, audio)
HOST_CHECKS = (units, display, touch, groups)
