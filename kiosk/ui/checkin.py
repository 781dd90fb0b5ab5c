"""M-Paspor check-in on the touchscreen: the applicant scans the booking (or types its code on the
keypad), sees what the booking list says about it, and takes the booked number.

Screens (look in screens/checkin.kv, screens/booking.kv):
- **checkin**: "scan or type your booking code", the code keypad (kiosk/ui/keyboard.py), Periksa.
- **booking**: the answer to one code: the booking to confirm (found, or unverified while the list
  is missing or stale), the number already given to it (with a limited reprint), or why it cannot be
  used now (too early, lapsed, another day, another office, unknown, unreadable) with the walk-in
  services the catalogue still allows.
The number itself is shown on the ordinary ticket screen, marked M-Paspor with the slot time.

`CheckinFlow` is the glue: the scanner (kiosk/ui/scanning.py) hands it codes on the Kivy thread;
the lookups and the check-in run on the worker through the Lobby (find_booking,
check_in_and_print, reprint_booking), like every other I/O.
"""

from __future__ import annotations

import logging
from datetime import datetime

from kivy.app import App
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from shared.booking_codes import normalise_code

from .keyboard import OnScreenKeyboard
from .screens import KioskScreen, fill_buttons, spawn

log = logging.getLogger("kiosk.ui.checkin")

# Where a scan is taken: screens that are about a booking, or between applicants. Elsewhere (in the
# middle of a walk-in's documents, printing, a dialog, staff) a scan is logged and ignored.
ACCEPTS_SCAN = ("home", "services", "checkin", "booking", "ticket")
REPEAT_S = 3.0  # the same code again this soon, while its answer is on screen: a scanner re-reading it
REFUSALS = ("TOO_EARLY", "LAPSED", "OTHER_DAY", "OTHER_OFFICE", "UNKNOWN", "MALFORMED", "UNREADABLE")
CONFIRM = ("FOUND", "UNVERIFIED")
TITLE_BY_REFUSAL = {"checkin_cannot_verify": "checkin.title_cannot_verify",
                    "checkin_service_unavailable": "checkin.title_service_unavailable"}


def app():
    return App.get_running_app()


def outcome_of(lookup) -> str:
    """The outcome's name whether the core gives a str or an Enum."""
    if lookup is None:
        return ""
    value = getattr(lookup, "outcome", "")
    return str(getattr(value, "name", None) or getattr(value, "value", None) or value).upper()


def as_local(value):
    """A datetime in the office's time zone, from a datetime or an ISO-8601 text (None: None)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.astimezone(app().tz) if value.tzinfo else value
    return None


def hhmm(value) -> str:
    local = as_local(value)
    return f"{local:%H:%M}" if local else ""


def day_text(value) -> str:
    local = as_local(value)
    if local is None:
        return ""
    months = app().t("date.months").split(",")
    days = app().t("date.days").split(",")
    return f"{days[local.weekday()]}, {local.day} {months[local.month - 1]} {local.year}"


def walk_in_keys(lookup) -> list[str]:
    """The services this applicant may still take as a walk-in now (Lobby.walk_in_services)."""
    cat = app().kiosk_config.catalogue
    return [key for key in (getattr(lookup, "walk_in_services", None) or ()) if cat.find(key) is not None]


class Unreadable:
    """A scan the framing refused (cut off, wrong prefix, control characters): nothing to look up."""

    outcome = "UNREADABLE"
    code = ""
    refusal = None

    def __init__(self, walk_in_services=()):
        self.walk_in_services = tuple(walk_in_services)


class CheckinFlow:
    def __init__(self, a):
        self.app = a
        self.lookup = None  # the answer on screen (booking screen, then the ticket screen)
        self.busy = False  # a lookup or check-in is on the worker: further scans wait for it
        self.shown_code = ""
        self.shown_at = -1e9

    # -- codes in -------------------------------------------------------------------------------

    def accepts_scan(self) -> bool:
        a = self.app
        return a.current in ACCEPTS_SCAN and not a.staff_open and not self.busy

    def _takes(self, code: str) -> bool:
        """Whether a scan of `code` is answered on the screen showing now (Kivy thread)."""
        a = self.app
        if not self.accepts_scan():
            log.info("a booking scan on the %s screen: ignored there", a.current)
            return False
        if normalise_code(code) == self.shown_code and a.current in ("booking", "ticket") \
                and a.monotonic() - self.shown_at < REPEAT_S:
            log.info("the same booking scanned again while its answer shows: ignored")
            return False
        if a.current == "ticket":
            a.end_session()  # the next applicant, not the one whose ticket is still on screen
        return True

    def scanned(self, code: str) -> None:
        """A scan on the Kivy thread (HID keys)."""
        if self._takes(code):
            self.find(code)

    def scanned_off_thread(self, code: str) -> None:
        """A scan on the serial reader's thread: the lookup goes to the worker at once instead of
        waiting for the next Kivy frame first (one frame, up to 33 ms, of the 100 ms budget), and
        the Kivy thread decides whether its answer is shown. A lookup only reads the store."""
        worker = self.app.worker
        if worker is not None and code.strip():
            worker.submit(lambda lobby: lobby.find_booking(code), on_done=lambda lookup: self._scan_answered(code, lookup),
                          on_error=lambda e: log.error("looking up a scanned booking failed: %s", e))

    def _scan_answered(self, code: str, lookup) -> None:
        if self._takes(code):
            self.show(lookup)

    def unreadable(self, refused) -> None:
        if not self.accepts_scan():
            return
        self.busy = True
        self.app.call(lambda lobby: lobby.walk_in_services(), on_done=self._unreadable, on_error=self._failed)

    def _unreadable(self, walk_ins) -> None:
        self.busy = False
        self.show(Unreadable(walk_ins))

    def typed(self, key: str) -> None:
        """A key a person typed on a HID keyboard: to the current screen, if it takes keys."""
        scr = self.app.sm.current_screen if self.app.sm else None
        if hasattr(scr, "typed_key"):
            self.app.touched()
            scr.typed_key(key)

    # -- the worker -----------------------------------------------------------------------------

    def open(self, *args) -> None:
        self.app.show("checkin")

    def find(self, code: str) -> None:
        code = code.strip()
        if not code:
            return
        self.busy = True
        self.app.call(lambda lobby: lobby.find_booking(code), on_done=self._found, on_error=self._failed)

    def _found(self, lookup) -> None:
        self.busy = False
        self.show(lookup)

    def _failed(self, error) -> None:
        self.busy = False
        self.app._worker_failed(error)

    def show(self, lookup) -> None:
        self.lookup = lookup
        self.app.show("booking", lookup=lookup)
        self.shown_code = getattr(lookup, "code", "") or ""
        self.shown_at = self.app.monotonic()

    def check_in(self, *args) -> None:
        lookup = self.lookup
        if lookup is None or self.busy:
            return
        self.busy = True
        code = lookup.code
        self.app.show("printing", key=str(getattr(lookup, "service", "") or ""))
        self.app.call(lambda lobby: lobby.check_in_and_print(code), on_done=self._checked_in, on_error=self._failed)

    def _checked_in(self, result) -> None:
        self.busy = False
        a = self.app
        if result.issued:
            a.show("ticket", result=result, booking=result.booking or self.lookup)
            self.shown_at = a.monotonic()
        elif result.booking is not None:
            # decided again at issue: e.g. the other kiosk checked this booking in a moment ago
            self.show(result.booking)
        else:  # the issuer's own refusals: kiosk locked, service closed, quota full
            a.show("message", title_key="issue.refused", refusal=result.refusal, buttons=[("common.ok", a.go_home)])
        a.refresh()

    def reprint(self, *args) -> None:
        lookup = self.lookup
        if lookup is None or self.busy:
            return
        self.busy = True
        scr = self.app.screen("booking")
        scr.note = self.app.t("checkin.reprinting")
        code = lookup.code
        self.app.call(lambda lobby: (lobby.reprint_booking(code), lobby.find_booking(code)),
                      on_done=self._reprinted, on_error=self._failed)

    def _reprinted(self, done) -> None:
        self.busy = False
        report, lookup = done
        self.lookup = lookup
        scr = self.app.screen("booking")
        scr.prepare(lookup=lookup, resumed=True)
        a = self.app
        scr.note = report.text(a.lang)
        scr.note_warning = not report.ok

    # -- texts for the ticket screen ------------------------------------------------------------

    def ticket_note(self, lookup, *deps) -> str:
        """The M-Paspor line under a booked number: slot time, and "not verified" when offline."""
        if lookup is None:
            return ""
        a = self.app
        lines = [a.t("checkin.ticket_mark", time=hhmm(getattr(lookup, "slot", None)) or "-")]
        if outcome_of(lookup) == "UNVERIFIED":
            lines.append(a.t("checkin.ticket_unverified"))
        return "\n".join(lines)


class CheckinScreen(KioskScreen):
    """Scan, or type the code on the large keypad and tap Periksa."""

    keyboard = ObjectProperty(None, allownone=True)

    def on_kv_post(self, base_widget):
        self.keyboard = OnScreenKeyboard(layout="code", max_length=app().kiosk_config.scanner.max_length)
        self.ids.keypad.add_widget(self.keyboard)

    def prepare(self, **kwargs) -> bool:
        self.keyboard.text = ""
        return False

    def typed_key(self, key: str) -> None:
        if key in ("enter", "tab"):
            self.submit()
        else:
            self.keyboard.type_key(key)

    def can_submit(self, text, *deps) -> bool:
        return len(text.strip()) >= app().kiosk_config.scanner.min_length

    def submit(self, *args) -> None:
        if self.can_submit(self.keyboard.text) and not app().checkin.busy:
            app().checkin.find(self.keyboard.text)


class BookingScreen(KioskScreen):
    """The answer to one booking code (see the module docstring)."""

    lookup = ObjectProperty(None, allownone=True)
    outcome = StringProperty("")
    note = StringProperty("")  # the reprint's result
    note_warning = BooleanProperty(False)

    def prepare(self, lookup=None, resumed: bool = False, **kwargs) -> bool:
        self.lookup = lookup
        self.outcome = outcome_of(lookup)
        if not resumed:
            self.note = ""
            self.note_warning = False
        self._walk_ins()
        self._buttons()
        return resumed

    def refused(self, *deps) -> bool:
        return self.outcome in REFUSALS

    def _walk_ins(self) -> None:
        box = self.ids.walk_ins
        box.clear_widgets()
        if not self.refused():
            return
        cat = app().kiosk_config.catalogue
        for key in walk_in_keys(self.lookup):
            box.add_widget(spawn("WalkInButton", service=cat.find(key), service_key=key))

    def _buttons(self) -> None:
        a = app()
        flow = a.checkin
        if self.outcome in CONFIRM:
            buttons = [("checkin.take", flow.check_in), ("checkin.not_mine", flow.open)]
        elif self.outcome == "ALREADY_CHECKED_IN":
            left = int(getattr(self.lookup, "reprints_left", 0) or 0)
            buttons = [("common.done", a.go_home),
                       ("checkin.reprint", flow.reprint, {"n": left}) if left > 0 else None]
        else:
            buttons = [("checkin.type_again", flow.open), ("common.done", a.go_home)]
        box = self.ids.buttons
        fill_buttons(box, buttons)
        box.cols = 1 if a.portrait else len(buttons)

    # -- texts ----------------------------------------------------------------------------------

    def title_text(self, *deps) -> str:
        a = app()
        o = self.outcome
        refusal = getattr(self.lookup, "refusal", None)
        if refusal is not None and refusal.code in TITLE_BY_REFUSAL:  # UNKNOWN for a reason other than the code
            return a.t(TITLE_BY_REFUSAL[refusal.code])
        if o == "OTHER_DAY":  # a later day; an earlier one is LAPSED
            return a.t("checkin.title_not_today")
        return a.t(f"checkin.title_{o.lower()}") if o else ""

    def details_text(self, *deps) -> str:
        """Service, slot, masked name and code, one a line: what the applicant checks is theirs."""
        lk = self.lookup
        if lk is None or self.outcome in ("UNREADABLE", "MALFORMED", "UNKNOWN"):
            return ""
        a = app()
        lines = []
        service = a.kiosk_config.catalogue.find(str(getattr(lk, "service", "") or ""))
        if service is not None:
            lines.append(a.t("checkin.service", service=a.pick(service, "name")))
        slot = getattr(lk, "slot", None)
        if as_local(slot) is not None:
            lines.append(a.t("checkin.slot", day=day_text(slot), time=hhmm(slot)))
        name = getattr(lk, "masked_name", "") or ""
        if name:
            lines.append(a.t("checkin.name", name=name))
        if getattr(lk, "code", ""):
            lines.append(a.t("checkin.code", code=lk.code))
        return "\n".join(lines)

    def number_text(self, *deps) -> str:
        return (getattr(self.lookup, "ticket_number", "") or "") if self.outcome == "ALREADY_CHECKED_IN" else ""

    def body_text(self, *deps) -> str:
        a = app()
        o = self.outcome
        lk = self.lookup
        parts = []
        refusal = getattr(lk, "refusal", None)
        if o in REFUSALS and refusal is not None:  # the core's reason says what to do as well
            parts.append(a.t(refusal.key, **refusal.params))
        if o == "UNREADABLE":
            parts.append(a.t("checkin.advice_unreadable"))
        elif o in CONFIRM:
            parts.append(a.t("checkin.confirm"))
        elif o == "ALREADY_CHECKED_IN":
            parts.append(a.t("checkin.already_body"))
            if getattr(lk, "checked_in_elsewhere", None):
                parts.append(a.t("checkin.reprint_elsewhere", number=lk.ticket_number or ""))
        return "\n\n".join(p for p in parts if p)

    def warning_text(self, *deps) -> str:
        return app().t("checkin.unverified_body") if self.outcome == "UNVERIFIED" else ""

    def walk_in_title(self, *deps) -> str:
        if not self.refused():
            return ""
        return app().t("checkin.walk_in" if walk_in_keys(self.lookup) else "checkin.no_walk_in")
