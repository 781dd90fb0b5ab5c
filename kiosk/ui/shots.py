"""Every screen in a known state, for `kiosk screenshots` and the text-overflow test.

`STATES` lists (name, setup); `setup(app)` puts a running KioskApp on that screen with sample
data (a real snapshot from the worker; a made-up ticket result, so nothing is printed).
"""

from __future__ import annotations

from .. import checkin
from ..issuer import Refusal
from ..lobby import IssueResult
from ..locale import both
from ..store import PRINT_FAILED, PRINTED
from .survey_shots import STATES as SURVEY_STATES


def _services(app):
    app.show("services")


def _detail(app):
    key = app.kiosk_config.catalogue.services[0].key
    scr = app.show("detail", key=key)
    if len(scr.service.documents) > 1:
        scr.toggle(0)


def _detail_last(app):
    app.show("detail", key=app.kiosk_config.catalogue.services[-1].key)


def _missing(app):
    _detail(app)
    app.screen("detail").take()


def _printer_down(app):
    scr = app.show("detail", key=app.kiosk_config.catalogue.services[0].key)
    from ..lobby import printer_view

    app.snapshot = type(app.snapshot)(**{**app.snapshot.__dict__, "printer": printer_view({"state": "paper_out", "detail": "paper out"})})
    scr.proceed()


def _priority(app):
    _detail(app)
    app.show("priority", key=app.kiosk_config.catalogue.services[0].key, regular_open=True)


def _printing(app):
    app.show("printing", key=app.kiosk_config.catalogue.services[0].key)


def _result(printed: bool, priority: str | None = None):
    def setup(app):
        cat = app.kiosk_config.catalogue
        service = cat.services[0]
        mid, men = both("ticket.take" if printed else "ticket.print_failed")
        group = cat.priority_groups[-1].key if priority and cat.priority_groups else None
        number = (cat.priority_prefix if group else service.prefix) + "123"
        state = PRINTED if printed else PRINT_FAILED
        result = IssueResult(True, state, mid, men, number=number, ticket_id="x",
                             service=service.key, priority=group, print_state=state,
                             people_ahead=12, wait_minutes=35)
        app.show("ticket", result=result)
        app.idle_left = app.idle_limit("ticket")  # the countdown as it starts

    return setup


def _refused(app):
    service = app.kiosk_config.catalogue.services[0]
    hours = app.kiosk_config.catalogue.hours
    refusal = Refusal("closed", "refusal.closed", {"service": {"id": service.name_id, "en": service.name_en},
                                                   "hours": {lang: hours.summary(lang) for lang in ("id", "en")}})
    app.show("message", title_key="issue.refused", refusal=refusal,
             buttons=[("common.back", lambda: None), ("common.home", lambda: None)])


def _checkin(app):
    scr = app.show("checkin")
    scr.keyboard.text = "PSP-2026"


def _booking(outcome: str, **fields):
    """The booking screen answering a made-up lookup (nothing is looked up or printed)."""

    def setup(app):
        cat = app.kiosk_config.catalogue
        service = next((s for s in cat.services if s.mpaspor_required), cat.services[0])
        local = app.kclock.now().astimezone(app.tz)
        walk_ins = tuple(s.key for s in cat.services if not s.mpaspor_required or s.priority_allowed)
        values = dict(code="PSP-2026-BLT-000123", service=service.key, slot=local.replace(minute=30),
                      masked_name="B*** S******", walk_in_services=walk_ins)
        values.update(fields)
        if outcome == checkin.UNVERIFIED:
            values.update(slot=None, masked_name=None)
        app.checkin.show(checkin.BookingLookup(outcome, **values))

    return setup


def _booked_ticket(app):
    cat = app.kiosk_config.catalogue
    service = next((s for s in cat.services if s.mpaspor_required), cat.services[0])
    local = app.kclock.now().astimezone(app.tz)
    lookup = checkin.BookingLookup(checkin.UNVERIFIED, "PSP-2026-BLT-000123", service=service.key, slot=local.replace(minute=30))
    mid, men = both("ticket.take")
    result = IssueResult(True, PRINTED, mid, men, number=service.prefix + "042", ticket_id="x", service=service.key,
                         print_state=PRINTED, people_ahead=3, wait_minutes=10, booking=lookup)
    app.show("ticket", result=result, booking=lookup)
    app.idle_left = app.idle_limit("ticket")


def _closed(app):
    app.show("closed")


def _locked(app):
    app.snapshot = type(app.snapshot)(**{**app.snapshot.__dict__, "open": False, "locked": True})
    app.show("closed")


def _still_there(app):
    _detail(app)
    app.last_touch = app.monotonic() - (app.kiosk_config.ui.idle_seconds - 12)  # the ticks agree
    app.warn_left = 12


def _pin(app):
    scr = app.show("pin")
    scr.pin = "12"


def _staff(app):
    app.staff_open = True
    app.show("staff")


STATES = [
    ("home", lambda app: app.show("home")),
    ("closed", _closed),
    ("closed-locked", _locked),
    ("services", _services),
    ("detail", _detail),
    ("detail-last", _detail_last),
    ("missing-documents", _missing),
    ("printer-down", _printer_down),
    ("priority", _priority),
    ("printing", _printing),
    ("ticket", _result(True)),
    ("ticket-priority", _result(True, priority="yes")),
    ("ticket-print-failed", _result(False)),
    ("refused", _refused),
    ("still-there", _still_there),
    ("checkin", _checkin),
    ("booking-found", _booking(checkin.FOUND)),
    ("booking-already", _booking(checkin.ALREADY_CHECKED_IN, ticket_number="A017", reprints_left=2,
                                 refusal=Refusal("checkin_already", "checkin.already", {"number": "A017"}))),
    ("booking-too-early", _booking(checkin.TOO_EARLY, refusal=Refusal("checkin_too_early", "checkin.too_early",
                                                                       {"time": "13:30", "from": "12:30"}))),
    ("booking-lapsed", _booking(checkin.LAPSED, refusal=Refusal("checkin_lapsed", "checkin.lapsed",
                                                                 {"day": "2026-11-25", "time": "09:30"}))),
    ("booking-unverified", _booking(checkin.UNVERIFIED)),
    ("ticket-mpaspor-unverified", _booked_ticket),
    ("pin", _pin),
    ("staff", _staff),
    *SURVEY_STATES,
]
SIZES = [(800, 480), (1920, 1080), (480, 800), (1080, 1920), (1024, 600)]


def overflow_problems(root, where: str = "") -> list[str]:
    """Labels whose rendered text is larger than the widget showing it (text cut off or spilling)."""
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView

    problems = []
    scrolled = set()
    for sv in root.walk(restrict=True):
        if isinstance(sv, ScrollView):
            scrolled.update(id(c) for c in sv.walk(restrict=True) if c is not sv)
    for w in root.walk(restrict=True):
        if not isinstance(w, Label) or not w.text or w.opacity == 0:
            continue
        if id(w) not in scrolled:  # outside a scroll view, the whole label must be on screen
            x0, y0 = w.to_window(w.x, w.y)
            x1, y1 = w.to_window(w.right, w.top)
            if x0 < -1 or y0 < -1 or x1 > root.width + 1 or y1 > root.height + 1:
                text = w.text.replace("\n", " ")[:50]
                problems.append(f"{where}: {text!r} is off screen at ({x0:.0f},{y0:.0f})-({x1:.0f},{y1:.0f})")
                continue
        tw, th = w.texture_size
        width = w.text_size[0] if w.text_size[0] is not None else w.width
        width = min(width, w.width)
        if tw > width + 1 or th > w.height + 1:
            text = w.text.replace("\n", " ")[:50]
            problems.append(f"{where}: {text!r} needs {tw:.0f}x{th:.0f}, has {w.width:.0f}x{w.height:.0f}")
    return problems
