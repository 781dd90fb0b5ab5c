"""Printer faults, closed hours, the staff gesture and PIN, on the real app with the fake printer."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from driver import PIN
from test_flow import go_to_service, stored, tick_all_mandatory

from kiosk.clock import ManualClock


def take_number(ui, key="pengambilan-paspor"):
    go_to_service(ui, key)
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")


def finish(ui):
    if ui.screen == "message":  # the printer was known to be down: say so, then take anyway
        ui.tap_text("Tetap ambil nomor")
    if ui.screen == "priority":
        ui.tap_text("Tidak, antrean biasa")
    return ui.wait_for(lambda: ui.screen == "ticket" and ui.current().result, what="ticket screen")


@pytest.mark.parametrize("state", ["paper_out", "cover_open", "offline"])
def test_fault_during_tap_number_still_shown_ticket_print_failed(ui, state):
    ui.fake.set_state(state)  # the UI does not know yet: its last status was "ready"
    take_number(ui)
    result = finish(ui)
    assert result.number == "G001"
    assert ui.has("G001")
    assert ui.has("Printer bermasalah - catat nomor Anda dan hubungi petugas")
    assert not ui.has("Silakan ambil tiket Anda")
    ticket = stored(ui, "G001")
    assert ticket.print_state == "print_failed"
    assert ui.fake.jobs == []  # nothing was put on paper


def test_printer_known_down_before_tap_says_so_plainly(ui):
    ui.fake.set_state("paper_out")
    ui.app.poll()
    ui.settle()
    assert ui.app.snapshot.printer.state == "paper_out"
    ui.tap_text("Sentuh untuk mulai")
    ui.settle()
    assert ui.has("Kertas printer habis.")  # the banner on the services screen; services still readable
    take_number(ui) if False else None
    view = ui.app.snapshot.service("pengambilan-paspor")
    ui.tap(ui.find(view.name_id, exact=True))
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")
    assert ui.screen == "message" and ui.has("Printer tidak bisa mencetak")
    ui.tap_text("Tetap ambil nomor")
    result = finish(ui)
    assert result.print_state == "print_failed" and ui.has("Printer bermasalah")


def test_unplugged_printer_then_reprint_by_staff(ui):
    ui.fake.unplug()
    take_number(ui)
    result = finish(ui)
    assert result.print_state == "print_failed"
    ui.fake.replug()
    open_staff(ui)
    ui.tap_text("Kertas sudah diisi")
    ui.settle()
    ui.tap(ui.find("G", exact=True))
    for d in "001":
        ui.tap(ui.find(d, exact=True, root=ui.current().ids.digits))
    ui.tap_text("Cetak ulang nomor ini")
    ui.settle()
    assert ui.fake.wait_for_jobs(1)
    assert "G001" in ui.job_text()
    assert stored(ui, "G001").print_state == "printed"
    assert ui.has("Tiket G001 tercetak.")


def test_silent_printer_is_not_taken_for_printed(ui):
    ui.fake.silent = True
    take_number(ui)
    result = finish(ui)
    assert result.print_state == "print_failed"
    assert ui.has("Printer bermasalah")


def corner(ui):
    c = ui.app.corner
    return c.to_window(*c.center)


def open_staff(ui, pin=PIN):
    ui.press_and_hold(*corner(ui), seconds=5.1)
    assert ui.screen == "pin"
    enter_pin(ui, pin)
    ui.settle()
    assert ui.screen == "staff"
    ui.settle()


def enter_pin(ui, pin):
    keypad = ui.current().ids.keypad
    for d in pin:
        ui.tap(ui.find(d, exact=True, root=keypad))
    ui.tap(ui.find("OK", exact=True, root=keypad))
    ui.settle()


def test_short_corner_press_does_nothing(ui):
    ui.press_and_hold(*corner(ui), seconds=2)
    assert ui.screen == "home"


def test_staff_pin_wrong_then_right(ui):
    ui.press_and_hold(*corner(ui), seconds=5.1)
    enter_pin(ui, "1111")
    assert ui.screen == "pin" and ui.has("PIN salah. Sisa percobaan: 4.")
    enter_pin(ui, PIN)
    assert ui.screen == "staff"
    assert ui.has("Kios ui-test, versi") and ui.has("Status printer: Printer siap.")
    assert not ui.has("ready")  # no raw state codes on the Indonesian screen
    ui.tap_text("Cetak uji")
    ui.settle()
    assert ui.fake.wait_for_jobs(1)
    assert "ui-test" in ui.job_text()


def test_staff_pin_lockout_survives_restart(ui, make_driver):
    ui.press_and_hold(*corner(ui), seconds=5.1)
    for _ in range(5):
        enter_pin(ui, "0000")
    assert ui.has("Terlalu banyak PIN salah")
    enter_pin(ui, PIN)  # right, but locked out
    assert ui.screen == "pin" and ui.has("Terlalu banyak PIN salah")
    # a new app on the same store (a restart) is still locked out
    from kiosk.admin_pin import PinGate
    from kiosk.store import Store

    with Store(ui.config.store.path) as store:
        gate = PinGate(ui.config.admin, store, ui.clock)
        assert gate.check(PIN).reason == "locked"
        ui.clock.advance(seconds=301)
        assert gate.check(PIN).ok


def test_staff_lock_shows_closed_screen_then_unlock(ui):
    open_staff(ui)
    ui.tap_text("Kunci kios")
    ui.settle()
    assert ui.has("Kios: DIKUNCI")
    ui.tap_text("Keluar")
    ui.settle()
    assert ui.screen == "closed" and ui.has("Kios ini sedang ditutup oleh petugas")
    open_staff(ui)
    ui.tap_text("Buka kunci kios")
    ui.settle()
    ui.tap_text("Keluar")
    ui.settle()
    assert ui.screen == "home"


def test_staff_idle_returns_home_and_closes_staff(ui):
    open_staff(ui)
    ui.idle_for(46)
    assert ui.screen == "home" and not ui.app.staff_open


def test_closed_outside_hours_with_hours_shown(make_driver):
    evening = ManualClock(datetime(2026, 11, 26, 13, 0, tzinfo=timezone.utc))  # 20:00 WIB
    ui = make_driver(clock=evening)
    ui.settle()
    assert ui.screen == "closed"
    assert ui.has("Maaf, layanan sedang tutup") and ui.has("Senin-Jumat 08:00-16:00")
    ui.app.set_lang("en")
    ui.pump(2)
    assert ui.has("Mon-Fri 08:00-16:00")
    evening.set(datetime(2026, 11, 27, 1, 30, tzinfo=timezone.utc))  # 08:30 WIB next day
    ui.idle_for(31)  # the next status poll
    ui.settle()
    assert ui.screen == "home"


def test_keyboard_close_refused_sigterm_close_allowed(ui):
    from kivy.core.window import Window

    assert ui.app.on_request_close(Window, source="keyboard") is True
    assert ui.app.on_request_close(Window) is False
