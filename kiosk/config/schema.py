"""Every option of kiosk.toml, declared once: section, name, type, default and bounds.

Paths are kept as written here; the loader resolves them against the config file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from ..locale import LANGS
from .fields import (
    REQUIRED,
    auto_or,
    boolean,
    choice,
    clock_time,
    http_url,
    int_range,
    integer,
    list_of,
    number,
    option,
    text,
    timezone,
)

KIOSK_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}"
_QR_PART = r"(?:[^\s{}]|\{(?:id|number|kiosk|day)\})*"
QR_TEMPLATE = rf"ticket-id|none|https?://{_QR_PART}\{{(?:id|number)\}}{_QR_PART}"


@dataclass(frozen=True)
class KioskSection:
    id: str = option(REQUIRED, text(max_len=32, pattern=KIOSK_ID, hint="must be 1-32 letters, digits, '.', '_' or '-'", allow_empty=False))
    office_code: str = option(REQUIRED, text(max_len=16, pattern=r"[A-Za-z0-9_-]+", hint="must be letters, digits, '_' or '-'", allow_empty=False))
    office_name: str = option(REQUIRED, text(max_len=80, allow_empty=False))
    office_lines: tuple = option([], list_of(text(max_len=80), max_len=4))
    timezone: str = option("Asia/Jakarta", timezone())
    day_starts_at: time = option(time(0, 0), clock_time())
    number_block: tuple = option((1, 999), int_range(1, 9999))
    catalogue: str = option("services.toml", text(max_len=4096, allow_empty=False))
    # A Pi without an RTC boots with a stale clock; an untrusted clock may move the service day
    # forward by at most this many days (a long weekend), so a wild clock cannot skip ahead a year.
    max_untrusted_day_jump: int = option(4, integer(1, 30))


@dataclass(frozen=True)
class StoreSection:
    path: str = option("/var/lib/kiosk/kiosk.db", text(max_len=4096, allow_empty=False))


@dataclass(frozen=True)
class PrinterSection:
    device: str = option("virtual", text(max_len=256, allow_empty=False))
    model: str = option("TM-T20II", text(max_len=64, allow_empty=False))
    paper_mm: int = option(80, choice(58, 80))
    # What python-escpos profiles do not say reliably; "auto" takes the profile's word.
    native_qr: object = option("auto", auto_or(boolean()))
    cutter: object = option("auto", auto_or(boolean()))
    status: object = option("auto", auto_or(boolean()))
    max_text_size: object = option("auto", auto_or(integer(1, 8)))
    columns: object = option("auto", auto_or(integer(24, 48)))
    nv_logo_key: str = option("", text(max_len=2, pattern=r"[ -~]{2}", hint="must be two printable ASCII characters"))
    qr: str = option(
        "ticket-id",
        # Braces only as the four fields kiosk/printing.py fills: "{foo}" or a lone "{" would fail every print.
        text(max_len=256, pattern=QR_TEMPLATE, hint='must be "ticket-id", "none" or a URL containing {id} or {number} '
             "(and no other {...} than {kiosk} and {day})", allow_empty=False),
    )
    footer: tuple = option([], list_of(text(max_len=64), max_len=6))
    preview_dir: str = option("", text(max_len=4096))
    status_timeout: float = option(0.3, number(0.05, 5.0))
    write_timeout: float = option(5.0, number(0.5, 60.0))

    def printer_model(self):
        """The printer library's model for these options (ValueError names a bad value)."""
        from printer import PrinterModel

        def given(value):
            return None if value == "auto" else value

        return PrinterModel.from_config(
            self.model,
            self.paper_mm,
            native_qr=given(self.native_qr),
            cutter=given(self.cutter),
            status=given(self.status),
            max_text_size=given(self.max_text_size),
            columns=given(self.columns),
            nv_logo_key=self.nv_logo_key or None,
        )


SERVER_MAX_BATCH = 500


@dataclass(frozen=True)
class CentralSection:
    url: str = option("", http_url(max_len=512))
    # The address applicants' phones reach the central server's pages at (often not `url`, which
    # may be an office-LAN name): the ticket's QR becomes <public_url>/t/<token>.
    public_url: str = option("", http_url(max_len=512))
    token_file: str = option("", text(max_len=4096))
    ca_bundle: str = option("", text(max_len=4096))
    connect_timeout: float = option(3.05, number(0.1, 60.0))
    read_timeout: float = option(10.0, number(0.1, 300.0))
    # At most what the central server applies per request (central/app.py MAX_BATCH): a bigger
    # batch would have its tail refused on every request. Backlogs drain fastest at the cap.
    batch_size: int = option(SERVER_MAX_BATCH, integer(1, SERVER_MAX_BATCH, why=(
        f"the central server applies at most {SERVER_MAX_BATCH} events per request")))
    batch_linger_seconds: float = option(0.5, number(0.0, 60.0))
    backoff_initial_seconds: float = option(1.0, number(0.01, 60.0))
    backoff_max_seconds: float = option(60.0, number(0.1, 3600.0))
    # A busy server's Retry-After is honoured even past backoff_max_seconds, up to this.
    retry_after_max_seconds: float = option(600.0, number(1.0, 86400.0))
    heartbeat_seconds: float = option(60.0, number(1.0, 3600.0))
    pull_seconds: float = option(60.0, number(1.0, 3600.0))
    backlog_warn_events: int = option(500, integer(1, 10_000_000))
    backlog_warn_age_minutes: float = option(30.0, number(1.0, 100_000.0))
    # An event the server refuses for good this many times is quarantined (kept, no longer sent)
    # so the events after it flow; `kiosk sync quarantine retry` queues it again.
    quarantine_after_rejections: int = option(5, integer(1, 1000))


@dataclass(frozen=True)
class AgentSection:
    listen: str = option("127.0.0.1:8470", text(max_len=256, pattern=r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}", hint="must be HOST:PORT"))
    log_token_file: str = option("", text(max_len=4096))
    # The log API's limits: records per page, and requests per second (with a burst) per client.
    log_page_max: int = option(1000, integer(1, 10_000))
    log_rate_per_second: float = option(20.0, number(0.1, 10_000.0))
    log_rate_burst: int = option(120, integer(1, 100_000))
    # The agent lowers its own CPU priority so the touchscreen process always wins the CPU: "idle"
    # (SCHED_IDLE: it runs on CPU time nothing else wants, and a waking UI takes the core at once)
    # or "nice" (the normal policy, lowered by `nice`, which is also the fallback).
    cpu_policy: str = option("idle", choice("idle", "nice"))
    nice: int = option(10, integer(0, 19))


@dataclass(frozen=True)
class UiSection:
    languages: tuple = option(["id", "en"], list_of(choice(*LANGS), min_len=1, max_len=len(LANGS), unique=True))
    idle_seconds: int = option(45, integer(10, 600))
    ticket_seconds: int = option(15, integer(5, 120))
    rotation: int = option(0, choice(0, 90, 180, 270))
    fullscreen: bool = option(True, boolean())
    # One input path per tap: "sdl" = the window's own events (mouse, and touches SDL turns into
    # mouse events); "hidinput" = the kernel touch device only (no mouse). Never both.
    input: str = option("sdl", choice("sdl", "hidinput"))
    large_text_scale: float = option(1.3, number(1.1, 2.0))
    status_poll_seconds: int = option(30, integer(5, 3600))


@dataclass(frozen=True)
class AdminSection:
    pin_hash: str = option("", text(max_len=512))
    max_pin_attempts: int = option(5, integer(1, 20))
    lockout_seconds: int = option(300, integer(10, 86400))


SCANNER_DEVICE = r"none|hid|serial:[^\s@]+@\d+"


@dataclass(frozen=True)
class ScannerSection:
    device: str = option("none", text(max_len=256, pattern=SCANNER_DEVICE,
                                      hint='must be "none", "hid" or "serial:PATH@BAUD" (e.g. "serial:/dev/ttyACM0@9600")',
                                      allow_empty=False))
    prefix: str = option("", text(max_len=8, pattern=r"[!-~]*", hint="must be printable ASCII without spaces"))
    suffix: str = option("enter", choice("enter", "tab"))
    # A HID scanner types a code's keys a few ms apart, a person 100 ms or more: keys closer than this
    # make a burst, and only a burst ending in the suffix is a scan.
    hid_max_gap_ms: int = option(50, integer(5, 200))
    min_length: int = option(4, integer(1, 64))
    max_length: int = option(64, integer(4, 256))
    reconnect_seconds: float = option(1.0, number(0.1, 60.0))

    def rules(self):
        from kiosk.scanner.codes import CodeRules

        return CodeRules(self.min_length, self.max_length)


@dataclass(frozen=True)
class BookingsSection:
    # M-Paspor check-in (kiosk/checkin, docs/sync.md). The pulled list is trusted to say "unknown
    # code" while younger than this; older (or none), a well-formed code is checked in unverified.
    max_age_minutes: int = option(30, integer(1, 1440))
    accept_unverified: bool = option(True, boolean())
    # The service an unverified code is checked in for ("" = the first with mpaspor_required).
    unverified_service: str = option("", text(max_len=40, pattern=r"[a-z][a-z0-9-]*", hint="must be a service key"))
    # Check-in window around the slot; a service may set its own (checkin_before/after_minutes).
    window_before_minutes: int = option(60, integer(0, 720))
    window_after_minutes: int = option(30, integer(0, 720))
    # Booked numbers: "service" = the service's own series, or one letter for a series of their own.
    series: str = option("service", text(max_len=8, pattern=r"service|[A-Z]", hint='must be "service" or one letter A-Z', allow_empty=False))
    # Ask the central server to call booked numbers before walk-ins of the same series.
    ahead_of_walk_ins: bool = option(False, boolean())
    max_reprints: int = option(2, integer(0, 10))
    # How often the agent pulls the list and the other kiosks' check-ins (shorter than
    # central.pull_seconds: a booking checked in next door must show here quickly).
    pull_seconds: float = option(10.0, number(1.0, 3600.0))


ESPEAK_VOICE = r"[A-Za-z0-9][A-Za-z0-9_+-]{0,39}"


@dataclass(frozen=True)
class SpeechSection:
    # Spoken guidance (kiosk/speech): espeak-ng, offline; one voice per screen language.
    enabled: bool = option(True, boolean())
    voice_id: str = option("id", text(max_len=40, pattern=ESPEAK_VOICE, hint="must be an espeak-ng voice name such as id", allow_empty=False))
    voice_en: str = option("en-us", text(max_len=40, pattern=ESPEAK_VOICE, hint="must be an espeak-ng voice name such as en-us", allow_empty=False))
    volume: int = option(100, integer(0, 200))
    rate: int = option(150, integer(80, 300))
    # No utterance may hold the sound card longer than this (a hung espeak-ng is killed).
    max_seconds: float = option(20.0, number(1.0, 120.0))


SECTIONS = {
    "kiosk": KioskSection,
    "store": StoreSection,
    "printer": PrinterSection,
    "central": CentralSection,
    "agent": AgentSection,
    "ui": UiSection,
    "admin": AdminSection,
    "scanner": ScannerSection,
    "speech": SpeechSection,
    "bookings": BookingsSection,
}
