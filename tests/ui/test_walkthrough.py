"""Issue #18: the applicant's and staff's screens walked by real taps on the real app under Xvfb,
asserting what is drawn (pixels read back from the GPU, the screen shown, the texts on it)."""

from __future__ import annotations

import subprocess
import sys
import time

from driver import SERVICES
from test_faults_staff import corner, enter_pin, finish, open_staff
from test_flow import go_to_service, stored, tick_all_mandatory

from kiosk import locale

WHITE = (255, 255, 255)
BLUE = (10, 61, 145)  # kiosk.kv BLUE (0.04, 0.24, 0.57)


def near(rgba, rgb, tol=12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgba[:3], rgb))


def doc_rows(ui):
    return [w for w in ui.widgets() if w.__class__.__name__ == "DocRow"]


def last_ticket(ui):
    from kiosk.store import Store

    with Store(ui.config.store.path) as store:
        return store.last_ticket()


def on_screen(widget, viewport) -> bool:
    """Whether the widget lies inside the viewport widget's rectangle, in window coordinates."""
    x0, y0 = widget.to_window(widget.x, widget.y)
    x1, y1 = widget.to_window(widget.right, widget.top)
    vx0, vy0 = viewport.to_window(viewport.x, viewport.y)
    vx1, vy1 = viewport.to_window(viewport.right, viewport.top)
    return x0 >= vx0 - 1 and y0 >= vy0 - 1 and x1 <= vx1 + 1 and y1 <= vy1 + 1


# 1 -------------------------------------------------------------------------------------------

def test_1_a_ticked_document_shows_its_tick(ui):
    go_to_service(ui, "paspor-baru-dewasa")
    row = doc_rows(ui)[0]
    box = row.ids.box
    assert near(ui.pixel(box, 0.75, 0.3), WHITE)  # an empty box, away from where the tick is drawn
    ui.tap(row)
    assert near(ui.pixel(box, 0.75, 0.3), BLUE), "the tapped box is not drawn ticked"
    assert near(ui.pixel(box, 0.42, 0.28), WHITE)  # the white check mark on blue
    ui.tap(row)
    assert near(ui.pixel(box, 0.75, 0.3), WHITE)  # and un-ticked again
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")
    assert ui.screen == "priority"  # everything ticked: no "missing documents" warning


# 2 -------------------------------------------------------------------------------------------

def test_2_double_and_triple_taps_cannot_skip_a_question(ui):
    go_to_service(ui, "paspor-baru-dewasa")
    take = ui.find("Ambil nomor antrean")
    ui.taps(take, count=2, gap=0.3)
    assert ui.screen == "message" and ui.has("Apakah Anda membawa semua dokumen wajib?")
    first = ui.current().ids.buttons.children[-1]
    assert first.text == "Kembali" and first.primary  # the main answer on a warning is "back"
    ui.tap(first)
    assert ui.screen == "detail"
    for gap in (0.3, 0.45):  # a triple tap, fast and slower: never a number without the question
        ui.taps(ui.find("Ambil nomor antrean"), count=3, gap=gap)
        assert ui.screen in ("message", "detail")
        if ui.screen == "message":
            ui.tap_text("Kembali", exact=True)
    tick_all_mandatory(ui)
    ui.taps(ui.find("Ambil nomor antrean"), count=3, gap=0.3)
    assert ui.screen == "priority" and ui.has("Apakah Anda termasuk kelompok prioritas?")
    ui.settle()
    assert last_ticket(ui) is None and ui.jobs() == []
    # the regular-queue answer is in the list, not in the bottom row where the previous buttons were
    regular = ui.find("Tidak, antrean biasa")
    assert regular.parent is ui.current().ids.groups.__self__


# 3 -------------------------------------------------------------------------------------------

def kiosk_cli(ui, *args):
    return subprocess.run([sys.executable, "-m", "kiosk", "--config", str(ui.config.path), *args],
                          capture_output=True, text=True, timeout=60)


def test_3_a_lock_from_another_process_shows_within_2_seconds(ui):
    go_to_service(ui, "pengambilan-paspor")
    assert kiosk_cli(ui, "lock", "--reason", "test").returncode == 0
    t0 = time.monotonic()
    ui.wait_for(lambda: ui.screen == "closed", timeout=5, what="closed screen after kiosk lock")
    assert time.monotonic() - t0 < 2.0
    assert ui.has("Kios ini sedang ditutup oleh petugas") and ui.has("Silakan tanyakan kepada petugas")
    assert not ui.has("Jam layanan") and not ui.has("datang kembali pada jam layanan")
    assert kiosk_cli(ui, "unlock").returncode == 0
    t0 = time.monotonic()
    ui.wait_for(lambda: ui.screen == "home", timeout=5, what="home after kiosk unlock")
    assert time.monotonic() - t0 < 2.0


# 4 -------------------------------------------------------------------------------------------

def test_4_a_pulled_catalogue_is_applied_at_the_next_return_home(ui):
    from kiosk.agent.pull import write_atomically

    go_to_service(ui, "paspor-baru-dewasa")
    text = SERVICES.read_text(encoding="utf-8").replace('name_id = "Paspor Baru Dewasa (M-Paspor)"',
                                                        'name_id = "Paspor Baru Dewasa 2027"')
    write_atomically(ui.config.remote_catalogue_path, text)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        ui.pump(1)
    assert ui.screen == "detail" and ui.has("Paspor Baru Dewasa (M-Paspor)")  # not in the middle of a session
    ui.tap_text("Kembali", exact=True)
    ui.tap_text("Kembali", exact=True)
    assert ui.screen == "home"
    ui.wait_for(lambda: ui.app.kiosk_config.catalogue.find("A").name_id == "Paspor Baru Dewasa 2027", timeout=3,
                what="the new catalogue")
    ui.settle()
    ui.tap_text("Sentuh untuk mulai")
    ui.settle()
    ui.find("Paspor Baru Dewasa 2027", exact=True)
    ui.tap(ui.find("Paspor Baru Dewasa 2027", exact=True))
    assert ui.has("A  Paspor Baru Dewasa 2027")
    assert ui.app.worker.lobby.issuer.config.catalogue.find("A").name_id == "Paspor Baru Dewasa 2027"


# 5 -------------------------------------------------------------------------------------------

def test_5_language_and_large_text_belong_to_the_session(ui):
    ui.tap_text("Huruf besar")
    ui.tap_text("English", exact=True)
    ui.tap_text("Touch to start")
    ui.settle()
    ui.tap_text("Back", exact=True)
    assert ui.screen == "home" and ui.app.lang == "en" and ui.app.large  # "Back" is not the end
    ui.tap_text("Touch to start")
    ui.settle()
    ui.tap(ui.find("Passport pickup", exact=False))
    ui.tap(ui.current().ids.titlebar.ids.switch)  # a language switch on every screen
    assert ui.app.lang == "id" and ui.has("Dokumen yang perlu dibawa")
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")
    finish(ui)
    ui.tap_text("Selesai")
    assert ui.screen == "home" and ui.app.lang == "id" and not ui.app.large  # the session ended
    ui.tap_text("English", exact=True)  # left on the start screen by someone who walked away
    ui.idle_for(46)
    assert ui.app.lang == "id" and ui.has("Sentuh untuk mulai")


# 6 -------------------------------------------------------------------------------------------

def test_6_every_list_opens_at_its_top(ui):
    ui.tap_text("Sentuh untuk mulai")
    ui.settle()
    scroll = ui.current().ids.scroll
    scroll.scroll_y = 0
    ui.pump(2)
    ui.tap_text("Kembali", exact=True)
    ui.tap_text("Sentuh untuk mulai")
    ui.settle()
    scroll = ui.current().ids.scroll
    first = ui.find(ui.app.snapshot.services[0].name_id, exact=True)
    assert scroll.scroll_y == 1 and on_screen(first, scroll)
    open_staff(ui)
    ui.current().ids.scroll.scroll_y = 0
    ui.tap_text("Keluar")
    open_staff(ui)
    assert ui.current().ids.scroll.scroll_y == 1 and on_screen(ui.current().ids.info, ui.current().ids.scroll)


# 7 -------------------------------------------------------------------------------------------

def contrast(a, b) -> float:
    def lum(c):
        c = [x / 255 for x in c[:3]]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_7_more_below_is_visible_and_the_count_is_said(ui):
    ui.tap_text("Sentuh untuk mulai")
    ui.settle()
    assert ui.has("Pilih layanan (9 layanan)")
    scr = ui.current()
    scroll = scr.ids.scroll
    assert scr.ids.hint.text == "Geser ke bawah untuk melihat lainnya" and scr.ids.hint.opacity == 1
    bar = ui.pixel(scroll, 1 - (scroll.bar_width / 2 + scroll.bar_margin) / scroll.width, 0.97)
    assert contrast(bar, WHITE) >= 4.5, bar  # the scroll bar, as drawn, stands out from white
    scroll.scroll_y = 0
    ui.pump(3)
    assert scr.ids.hint.text == ""  # at the bottom: nothing more below
    ui.tap_text("Kembali", exact=True)
    ui.tap_text("Huruf besar")
    ui.tap_text("Sentuh untuk mulai")
    ui.settle()
    ui.tap(ui.find("Pengambilan Paspor", exact=False))
    docs = [r for r in doc_rows(ui) if r.doc.mandatory]
    assert not on_screen(docs[-1], ui.current().ids.scroll)  # large text: a document below the fold...
    assert ui.current().ids.hint.text == "Geser ke bawah untuk melihat lainnya"  # ...and the screen says so


# 8 -------------------------------------------------------------------------------------------

def test_8_still_there_warning_keeps_the_ticks(ui):
    go_to_service(ui, "paspor-baru-dewasa")
    row = doc_rows(ui)[0]
    ui.tap(row)
    ui.idle_for(29)
    assert ui.app.warn_left == 0
    ui.idle_for(2)
    overlay = ui.app.still_there
    assert overlay.opacity == 1 and "Masih di sana?" in ui.texts(overlay)
    assert any("dalam 14 detik" in t for t in ui.texts(overlay))
    assert near(ui.pixel(overlay.children[0], 0.02, 0.5), WHITE)  # the dialog is drawn over a dimmed screen
    ticked = dict(ui.current().ticked)
    x, y = row.to_window(*row.center)
    ui.tap_at(x, y)  # the tap that answers does not also press what is underneath
    assert ui.app.warn_left == 0 and ui.screen == "detail"
    assert ui.current().ticked == ticked and near(ui.pixel(row.ids.box, 0.75, 0.3), BLUE)
    ui.idle_for(44)
    assert ui.screen == "detail" and ui.app.warn_left > 0
    ui.idle_for(2)
    assert ui.screen == "home" and ui.app.warn_left == 0


# 9 -------------------------------------------------------------------------------------------

def test_9_ticket_screen_says_what_next_and_counts_down(ui):
    go_to_service(ui, "pengambilan-paspor")
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")
    finish(ui)
    assert ui.has("Tunggu nomor Anda dipanggil di layar.")
    ui.idle_for(1)
    assert ui.has("Kembali ke awal dalam 14 detik")
    ui.idle_for(5)
    assert ui.has("Kembali ke awal dalam 9 detik")
    assert ui.fake.wait_for_jobs(1) and "ANTREAN" in ui.job_text()
    for key in locale.keys("id"):  # one spelling (KBBI) on screen and paper
        assert "antrian" not in locale.t("id", key).lower(), key


def test_9_a_number_that_did_not_print_stays_up(ui):
    ui.fake.set_state("paper_out")
    go_to_service(ui, "pengambilan-paspor")
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")
    result = finish(ui)
    assert not result.printed
    ui.idle_for(30)
    assert ui.screen == "ticket" and ui.has(result.number) and ui.has("Kembali ke awal dalam 30 detik")
    ui.idle_for(31)
    assert ui.screen == "home"


# 10 ------------------------------------------------------------------------------------------

def test_10_a_service_without_documents_has_no_gap_and_no_list_to_print(ui):
    go_to_service(ui, "informasi-pengaduan")
    scr = ui.current()
    assert not ui.has("Dokumen yang perlu dibawa")
    assert all(w.height > 0 for w in scr.ids.body.children)  # nothing empty left in the page
    assert scr.ids.print_req.opacity == 0 and scr.ids.print_req.disabled


def test_10_last_note_is_not_clipped(ui):
    go_to_service(ui, "paspor-baru-dewasa")
    scroll = ui.current().ids.scroll
    scroll.scroll_y = 0
    ui.pump(3)
    notes = ui.current()._parts["notes"].children
    last = notes[0]  # Kivy lists children last-added first
    assert last.text and on_screen(last, scroll)


def test_10_missing_documents_screen_about_having_them_and_no_print_when_paper_out(ui):
    ui.fake.set_state("paper_out")
    ui.app.poll()
    ui.settle()
    go_to_service(ui, "paspor-hilang")
    ui.tap_text("Ambil nomor antrean")
    assert ui.screen == "message" and ui.has("Apakah Anda membawa semua dokumen wajib?")
    assert not ui.has("dicentang")
    assert not ui.has("Cetak daftar persyaratan")  # the printer is known to be out of paper


# 11 ------------------------------------------------------------------------------------------

def test_11_restart_asks_first(ui, monkeypatch):
    # Record the stop instead of stopping: a stopped App with its widgets still on the shared test
    # Window makes the next layout pass evaluate kv against no running app (the real process exits).
    stops = []
    monkeypatch.setattr(ui.app, "stop", lambda *a: stops.append(ui.app.exit_code))
    open_staff(ui)
    ui.tap_text("Mulai ulang aplikasi")
    assert ui.screen == "message" and ui.has("Mulai ulang aplikasi?")
    assert not ui.app._stopping
    ui.tap_text("Batal")
    ui.settle()
    assert ui.screen == "staff" and not ui.app._stopping
    ui.tap_text("Mulai ulang aplikasi")
    ui.tap_text("Ya, mulai ulang")
    ui.settle()
    assert ui.app._stopping and stops == [75]


def test_11_reprint_number_entry_has_clear_and_takes_only_real_numbers(ui):
    open_staff(ui)
    scr = ui.current()
    digits = scr.ids.digits
    for key in "1B0011":
        ui.tap(ui.find(key, exact=True, root=scr.ids.letters if key.isalpha() else digits))
    assert scr.number == "B001" and ui.has("Cetak ulang nomor:  B001")
    ui.tap_text("Hapus")
    assert scr.number == "" and scr.ids.reprint_number.disabled


def test_11_staff_words_not_codes_and_reprint_after_paper_refilled(ui):
    ui.fake.set_state("paper_out")
    go_to_service(ui, "pengambilan-paspor")
    tick_all_mandatory(ui)
    ui.tap_text("Ambil nomor antrean")
    assert finish(ui).number == "G001"
    ui.clock.advance(seconds=795)
    ui.tap_text("English", exact=True)  # the last applicant's language...
    ui.press_and_hold(*corner(ui), seconds=5.1)
    enter_pin(ui, "2468")
    ui.settle()
    assert ui.screen == "staff" and ui.app.lang == "id"  # ...is not the staff screen's
    assert ui.has("tertua 13 menit") and not ui.has("795")
    ui.tap_text("Kertas sudah diisi")
    ui.settle()
    assert ui.has("Kertas printer habis.") and not ui.has("paper_out")
    ui.fake.set_state("ready")
    ui.tap_text("Kertas sudah diisi")
    ui.settle()
    offer = ui.current().ids.reprint_failed
    assert offer.opacity == 1 and offer.text == "Cetak ulang 1 tiket gagal: G001"
    ui.tap(offer)
    ui.settle()
    assert ui.fake.wait_for_jobs(1) and "G001" in ui.job_text()
    assert stored(ui, "G001").print_state == "printed"
    assert ui.has("1 tiket tercetak ulang: G001") and offer.opacity == 0


def test_11_staff_print_results_are_rendered_from_the_report_key(ui):
    """The staff screen reads a PrintReport's key through the catalogue, in the kiosk's language."""
    open_staff(ui)
    ui.tap_text("Cetak uji")
    ui.settle()
    ui.wait_for(lambda: ui.current().status == locale.t("id", "staff.test_printed"), what="test print status")
    assert ui.has("Halaman uji tercetak.")
    assert ui.fake.wait_for_jobs(1) and "TEST PAGE" in ui.job_text()
    ui.fake.set_state("paper_out")
    ui.tap_text("Cetak uji")
    ui.settle()
    ui.wait_for(lambda: ui.current().status.startswith(locale.t("id", "staff.print_failed")), what="failed status")
    assert ui.has("Kertas printer habis.") and not ui.has("paper_out")
