"""M-Paspor check-in on the real app under Xvfb: scans from a virtual serial scanner on a pty and
from HID key events into the live window, codes typed with real taps on the keypad; asserted on
what the screen says, what the printer printed and what the store holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.checkin import booking, list_body, seed_list

from kiosk.scanner.virtual import VirtualScanner
from kiosk.store import Store

DAY = "2026-11-26"  # the driver's OPEN_TIME: Thursday 26 Nov 2026, 10:00 WIB
SERVICE = "paspor-baru-dewasa"
BOOKINGS = [
    booking("ONTIME01", "10:15", day=DAY, service=SERVICE),             # window 09:15-10:45
    booking("EARLY001", "13:00", day=DAY, service=SERVICE),             # opens 12:00
    booking("LATE0001", "08:00", day=DAY, service=SERVICE),             # closed 08:30
    booking("TOMORROW", "09:00", day="2026-11-27", service=SERVICE),
]
HID = '\n[scanner]\ndevice = "hid"\n'


def seed(ui, age: timedelta = timedelta(0)) -> None:
    with Store(ui.config.store.path) as store:
        seed_list(store, ui.clock.now(), list_body(BOOKINGS, days=(DAY, "2026-11-27")), age=age)


@pytest.fixture
def scanner(tmp_path):
    with VirtualScanner(link=tmp_path / "scanner.tty") as vs:
        yield vs


@pytest.fixture
def serial_ui(make_driver, scanner):
    ui = make_driver(extra=f'\n[scanner]\ndevice = "serial:{scanner.path}@9600"\n')
    seed(ui)
    ui.wait_for(lambda: ui.app.scanning.serial.connected.is_set(), what="the reader on the pty")
    return ui


def answer(ui, code: str | None = None):
    """Wait for the booking screen to answer (the lookup runs on the worker), return its screen."""
    ui.wait_for(lambda: ui.screen == "booking" and (code is None or getattr(ui.current().lookup, "code", "") == code),
                what=f"the answer to {code}")
    ui.settle()
    return ui.current()


def type_code(ui, code: str) -> None:
    """Open the check-in screen from wherever the applicant is and type `code` with taps."""
    if ui.screen != "checkin":
        ui.tap(ui.current().ids.mpaspor)
    assert ui.screen == "checkin"
    kb = ui.current().keyboard
    for ch in code:
        ui.tap(kb.keys[ch])
    assert kb.text == code
    ui.tap(ui.current().ids.check)


def test_on_time_scan_confirm_ticket_then_repeated_scan_gives_the_same_number(serial_ui, scanner):
    ui = serial_ui
    scanner.scan("ONTIME01")
    scr = answer(ui, "ONTIME01")
    assert ui.has("Jadwal Anda ditemukan") and ui.has("Paspor Baru Dewasa") and ui.has("pukul 10:15")
    assert ui.has("B*** S******") and not ui.fake.jobs  # a lookup prints nothing
    assert [b.text for b in scr.ids.buttons.children][::-1] == ["Ambil nomor antrean", "Bukan jadwal saya"]
    ui.tap_text("Ambil nomor antrean", exact=True)
    ui.wait_for(lambda: ui.screen == "ticket", what="the ticket")
    result = ui.current().result
    assert result.number == "A001" and ui.has("A001") and ui.has("M-Paspor · jadwal pukul 10:15")
    assert ui.fake.wait_for_jobs(1) and "M-PASPOR 10:15" in ui.job_text()
    with Store(ui.config.store.path) as store:
        assert store.checkin_of("ONTIME01", DAY).number == "A001"

    scanner.scan("ONTIME01")  # still under the scanner: its answer is on screen, nothing changes
    ui.pump(10)
    ui.settle()
    assert ui.screen == "ticket" and ui.current().result.number == "A001"

    ui.tap_text("Selesai", exact=True)
    assert ui.screen == "home"
    scanner.scan("ontime01")  # later, again (the lookup is case-blind)
    scr = answer(ui, "ONTIME01")
    assert ui.has("Anda sudah mengambil nomor") and scr.ids.number.text == "A001"
    ui.tap_text("Cetak ulang tiket (sisa 2 kali)")
    ui.wait_for(lambda: ui.has("Cetak ulang tiket (sisa 1 kali)"), what="one reprint fewer")
    assert ui.fake.wait_for_jobs(2) and "A001" in ui.job_text()
    assert ui.has("A001") and ui.current().note and not ui.current().note_warning
    with Store(ui.config.store.path) as store:
        assert len(store.tickets_on(DAY)) == 1  # never a second number for one booking


def test_unreadable_scan_and_idle_return(serial_ui, scanner):
    ui = serial_ui
    ui.tap_text("Sentuh untuk mulai")
    assert ui.screen == "services"
    scanner.scan("AB")  # shorter than [scanner] min_length: cut off
    answer(ui)
    assert ui.has("Kode tidak terbaca") and ui.has("Pindai lagi")
    assert ui.has("Layanan tanpa jadwal yang masih bisa Anda pilih")
    ui.idle_for(45)
    assert ui.screen == "home"


def test_hid_scan_too_early_offers_walk_ins_and_typing_goes_to_the_keypad(make_driver):
    ui = make_driver(extra=HID)
    seed(ui)
    ui.tap_text("Sentuh untuk mulai")
    ui.hid_scan("EARLY001")
    scr = answer(ui, "EARLY001")
    assert ui.has("Terlalu awal") and ui.has("12:00")  # when to come back
    walk_ins = list(scr.ids.walk_ins.children)[::-1]
    assert walk_ins, "a refusal leaves a way to a walk-in service"
    service = walk_ins[0].service_key
    ui.tap(walk_ins[0])
    assert ui.screen == "detail" and ui.current().service.key == service

    ui.hid_scan("ONTIME01")  # in the middle of a walk-in's documents: not taken
    ui.pump(5)
    ui.settle()
    assert ui.screen == "detail"

    ui.app.checkin.open()
    ui.pump(2)
    kb = ui.current().keyboard
    ui.type_slowly("late0002")  # a person at a USB keyboard: keys go to the keypad
    ui.type_slowly(["backspace", "1"])
    assert kb.text == "LATE0001"
    ui.hid_scan("TOMORROW")  # a scan is never typed into the field
    answer(ui, "TOMORROW")
    assert kb.text == "LATE0001"
    assert ui.has("Jadwal Anda bukan hari ini") and ui.has("2026-11-27")
    ui.tap_text("Ketik kode lagi")
    ui.type_slowly("late0001")
    ui.type_slowly(["enter"])
    answer(ui, "LATE0001")
    assert ui.has("Jadwal terlewat") and ui.has("M-Paspor")
    assert not ui.fake.jobs


def test_typed_codes_other_office_unknown_other_day_in_both_languages(make_driver):
    ui = make_driver()
    seed(ui)
    type_code(ui, "ELSEWHERE")
    answer(ui, "ELSEWHERE")
    assert ui.has("Jadwal untuk kantor lain") and ui.has("OTHER")
    assert ui.current().ids.walk_ins.children
    ui.app.set_lang("en")
    ui.pump(3)
    assert ui.has("Booking for another office") and ui.has("Services you can still take without a booking")
    ui.tap_text("Type the code again")
    type_code(ui, "NOSUCH99")
    answer(ui, "NOSUCH99")
    assert ui.has("Code not found") and ui.has("not on today's list")
    ui.app.set_lang("id")
    ui.pump(3)
    assert ui.has("Kode tidak ditemukan")
    ui.tap_text("Ketik kode lagi")
    type_code(ui, "TOMORROW")
    answer(ui, "TOMORROW")
    assert ui.has("Jadwal Anda bukan hari ini")
    assert not ui.fake.jobs


def test_offline_with_a_stale_list_checks_in_unverified(make_driver):
    ui = make_driver(extra=HID)
    seed(ui, age=timedelta(hours=3))  # older than [bookings] max_age_minutes (30)
    ui.hid_scan("NOSUCH99")  # not on the stale list: it may have been booked since
    answer(ui, "NOSUCH99")
    assert ui.has("Periksa jadwal Anda") and ui.has("belum diverifikasi")
    ui.tap_text("Ambil nomor antrean", exact=True)
    ui.wait_for(lambda: ui.screen == "ticket", what="the ticket")
    assert ui.has("Jadwal belum diverifikasi")
    assert ui.fake.wait_for_jobs(1) and "UNVERIFIED" in ui.job_text()
    with Store(ui.config.store.path) as store:
        assert store.checkin_of("NOSUCH99", DAY).unverified
