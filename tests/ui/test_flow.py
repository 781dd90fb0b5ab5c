"""The applicant's flow on the real app under Xvfb: taps in, decoded printer bytes and store out."""

from __future__ import annotations

import pytest
from driver import SERVICES  # noqa: F401

from kiosk.config import load_config

DEFAULT_SERVICES = [s.key for s in load_config(__import__("driver").write_ui_config(__import__("pathlib").Path(__import__("tempfile").mkdtemp()))).catalogue.services]


def go_to_service(ui, key):
    ui.tap_text("Sentuh untuk mulai")
    ui.settle()
    assert ui.screen == "services"
    view = ui.app.snapshot.service(key)
    ui.tap(ui.find(view.name_id, exact=True))
    assert ui.screen == "detail"
    return view


def tick_all_mandatory(ui):
    scr = ui.current()
    for row in [w for w in ui.widgets() if w.__class__.__name__ == "DocRow"]:
        if row.doc.mandatory and not row.ticked:
            ui.tap(row)
    assert not scr.missing()


def stored(ui, number):
    from kiosk.store import Store

    with Store(ui.config.store.path) as store:
        return store.ticket_by_number(number)


@pytest.mark.parametrize("key", DEFAULT_SERVICES)
def test_full_flow_each_default_service(ui, key):
    view = go_to_service(ui, key)
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")
    assert ui.screen in ("priority", "printing")
    if ui.screen == "priority":
        ui.tap_text("Tidak, antrean biasa")
        assert ui.screen in ("printing", "ticket")
    ui.wait_for(lambda: ui.screen == "ticket", what="ticket screen")
    result = ui.current().result
    assert result.number == f"{view.prefix}001"
    assert ui.has(result.number) and ui.has("Silakan ambil tiket Anda")
    assert ui.fake.wait_for_jobs(1)
    text = ui.job_text()
    assert result.number in text
    assert stored(ui, result.number).print_state == "printed"


def test_priority_ticket_goes_to_priority_series(ui):
    go_to_service(ui, "paspor-baru-dewasa")
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")
    assert ui.screen == "priority"
    ui.tap_text("Lansia (usia 60 tahun ke atas)")
    ui.wait_for(lambda: ui.screen == "ticket")
    assert ui.current().result.number == "P001"
    assert ui.has("Prioritas: Lansia")
    assert ui.fake.wait_for_jobs(1)
    assert "PRIORITAS" in ui.job_text() and "P001" in ui.job_text()
    assert stored(ui, "P001").priority == "lansia"


def test_missing_mandatory_documents_offer_continue_or_print(ui):
    go_to_service(ui, "paspor-hilang")
    ui.tap_text("Ambil nomor antrean")
    assert ui.screen == "message"
    assert ui.has("Apakah Anda membawa semua dokumen wajib?")
    assert ui.has("Surat keterangan kehilangan dari kepolisian")  # the police report is listed by name
    ui.tap_text("Kembali", exact=True)
    assert ui.screen == "detail"
    ui.tap_text("Ambil nomor antrean")
    ui.tap_text("Tetap ambil nomor")
    if ui.screen == "priority":
        ui.tap_text("Tidak, antrean biasa")
    ui.wait_for(lambda: ui.screen == "ticket")
    assert ui.current().result.number == "D001"


def test_requirements_slip_prints_without_number(ui):
    go_to_service(ui, "paspor-baru-anak")
    ui.tap_text("Cetak daftar persyaratan")
    assert ui.screen in ("printing", "message")
    ui.wait_for(lambda: ui.screen == "message")
    assert ui.has("Silakan ambil daftar persyaratan Anda")
    assert ui.fake.wait_for_jobs(1)
    text = ui.job_text()
    assert "Paspor Baru Anak" in text
    from kiosk.store import Store

    with Store(ui.config.store.path) as store:
        assert store.last_ticket() is None


def test_slip_on_a_printer_without_font_b_is_in_the_applicants_language(make_driver):
    ui = make_driver(printer='model = "ZJ-5870"\npaper_mm = 58')
    ui.tap_text("English", exact=True)
    ui.tap_text("Touch to start")
    ui.settle()
    ui.tap(ui.find("New passport, child under 17", exact=True))
    ui.tap_text("Print requirements")
    ui.wait_for(lambda: ui.screen == "message")
    assert ui.fake.wait_for_jobs(1)
    text = ui.job_text()
    assert "Hanya dalam bahasa Inggris" in text and "New passport, child under 17" in text
    assert "Paspor Baru Anak" not in text


def test_language_switch_at_runtime(ui):
    assert ui.has("Sentuh untuk mulai")
    ui.tap_text("English", exact=True)
    assert ui.has("Touch to start") and ui.app.lang == "en"
    ui.tap_text("Touch to start")
    ui.settle()
    assert ui.has("Choose a service") and ui.has("New passport, adult (M-Paspor)")
    ui.tap(ui.find("New passport, adult (M-Paspor)", exact=True))
    assert ui.has("Documents to bring") and ui.has("REQUIRED")
    ui.app.set_lang("id")
    ui.pump(2)
    assert ui.has("Dokumen yang perlu dibawa") and ui.has("WAJIB")


def test_large_text_grows_fonts_and_resets_at_home(ui):
    touch = ui.find("Sentuh untuk mulai")
    small = touch.font_size
    ui.tap_text("Huruf besar")
    assert ui.app.large
    ui.pump(2)
    assert ui.find("Sentuh untuk mulai").font_size == pytest.approx(small * 1.3)
    ui.tap_text("Sentuh untuk mulai")
    ui.idle_for(46)
    assert ui.screen == "home" and not ui.app.large


def test_idle_returns_home_and_resets_language(ui):
    ui.tap_text("English", exact=True)
    ui.tap_text("Touch to start")
    ui.settle()
    ui.idle_for(44)
    assert ui.screen == "services"
    ui.idle_for(2)
    assert ui.screen == "home" and ui.app.lang == "id"


def test_ticket_screen_returns_home_after_ticket_seconds(ui):
    go_to_service(ui, "pengambilan-paspor")
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")
    if ui.screen == "priority":
        ui.tap_text("Tidak, antrean biasa")
    ui.wait_for(lambda: ui.screen == "ticket")
    ui.idle_for(14)
    assert ui.screen == "ticket"
    ui.idle_for(2)
    assert ui.screen == "home"


def test_one_tap_one_event_duplicate_device_dropped(ui):
    """Linux defaults deliver one tap as a mouse and a touch event: the second is dropped."""
    from kivy.tests.common import UnitTestTouch

    w = ui.find("English", exact=True)
    x, y = w.to_window(*w.center)
    ui.mono.advance(1)  # not right after a screen change
    a, b = UnitTestTouch(x, y), UnitTestTouch(x, y)
    b.device = "mouse"
    a.touch_down()
    b.touch_down()  # a second touch while one is down: dropped
    a.touch_up()
    b.touch_up()
    ui.pump(2)
    assert ui.app.lang == "en"
    a2 = UnitTestTouch(x, y)
    a2.device = "mouse"
    a2.touch_down()
    a2.touch_up()  # same tap from another device within 250 ms: dropped, so no double toggle
    ui.pump(2)
    assert ui.app.lang == "en"


def test_priority_ticket_without_its_own_statistics_says_served_first(ui):
    """Fresh statistics for the regular queue only: the priority ticket is not given the regular
    queue's wait, on screen as on paper, but told it is served first."""
    from kiosk.state_keys import QUEUE_STATS
    from kiosk.store import Store

    view = ui.app.snapshot.service("paspor-baru-dewasa")
    with Store(ui.config.store.path) as store:
        store.set_state(QUEUE_STATS, {"fetched_at": ui.clock.now().isoformat(),
                                      view.prefix: {"waiting": 12, "avg_service_s": 180}})
    go_to_service(ui, "paspor-baru-dewasa")
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")
    ui.tap_text("Lansia (usia 60 tahun ke atas)")
    ui.wait_for(lambda: ui.screen == "ticket")
    result = ui.current().result
    assert result.number == "P001" and result.served_first
    assert ui.has("Dilayani lebih dulu") and not ui.has("Perkiraan waktu tunggu") and not ui.has("36 menit")
    assert ui.fake.wait_for_jobs(1) and "Dilayani lebih dulu / Served first" in ui.job_text()
    ui.tap_text("English", exact=True)
    assert ui.has("Served first") and not ui.has("Estimated wait")
