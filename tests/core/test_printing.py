"""From issue to paper over a real pty: what the applicant holds, and what the store records."""

import json
import subprocess
import sys
import time

import pytest
from support.kiosk_env import make_clock, make_config, write_config

from kiosk.issuer import Issuer
from kiosk.printing import TicketPrinting
from kiosk.store import Store
from printer.decode import decode
from printer.fake import FakePrinter


@pytest.fixture
def fake(tmp_path):
    with FakePrinter(link=tmp_path / "printer.tty") as fp:
        yield fp


def texts(job):
    return [line.text for line in job.decoded.lines]


def kiosk(config, *args):
    return subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), *args], capture_output=True, text=True, timeout=60)


def test_cli_issue_prints_the_ticket_the_applicant_holds(tmp_path, fake):
    cfg = write_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"')
    r = kiosk(cfg, "issue", "A", "--json")
    assert r.returncode == 0, r.stderr
    ticket = json.loads(r.stdout)
    assert ticket["print_state"] == "printed"
    assert fake.wait_for_jobs(1)
    job = fake.jobs[0].decoded
    lines = texts(fake.jobs[0])
    assert "A001" in lines
    assert "Paspor Baru" in lines and "New passport" in lines
    assert job.qr_payloads == [ticket["id"]]
    assert job.cuts


def test_cli_issue_with_paper_out_exits_3_and_says_why(tmp_path, fake):
    cfg = write_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"')
    fake.set_state("paper_out")
    r = kiosk(cfg, "issue", "G", "--json")
    assert r.returncode == 3
    ticket = json.loads(r.stdout)
    assert ticket["number"] == "G001"
    assert ticket["print_state"] == "print_failed"
    assert "paper" in r.stderr.lower()
    assert fake.jobs == []  # nothing was sent to a printer that had no paper


def test_print_outcome_and_reprint_are_events(tmp_path, fake):
    cfg = make_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"')
    printing = TicketPrinting(cfg, make_clock())
    with Store(cfg.store.path) as store:
        ticket = Issuer(cfg, store, make_clock()).issue("A", "lansia")
        fake.set_state("cover_open")
        first = printing.print_ticket(store, ticket)
        assert not first.delivered and first.state == "cover_open"
        assert store.ticket(ticket.id).print_state == "print_failed"
        assert "cover" in store.ticket(ticket.id).print_error
        fake.set_state("ready")
        again = printing.print_ticket(store, store.ticket(ticket.id), reprint=True)
        assert again.delivered
        stored = store.ticket(ticket.id)
        assert (stored.print_state, stored.reprints, stored.print_error) == ("printed", 1, None)
        assert [e.kind for e in store.events_for(ticket.id)] == ["ticket.issued", "ticket.print_failed", "ticket.reprinted"]
        assert store.get_state("printer.status")["state"] == "ready"
    printing.close()
    lines = texts(fake.jobs[-1])
    assert "P001" in lines
    assert any("PRIORITAS / PRIORITY" in line for line in lines)


def test_silent_printer_is_failed_not_hung(tmp_path, fake):
    cfg = make_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"')
    printing = TicketPrinting(cfg, make_clock())
    fake.silent = True
    with Store(cfg.store.path) as store:
        ticket = Issuer(cfg, store, make_clock()).issue("A")
        t0 = time.monotonic()
        outcome = printing.print_ticket(store, ticket)
        assert time.monotonic() - t0 < 10
        assert not outcome.delivered
        assert store.ticket(ticket.id).print_state == "print_failed"
    printing.close()


def test_queue_statistics_reach_the_ticket(tmp_path, fake):
    cfg = make_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"')
    clock = make_clock()
    printing = TicketPrinting(cfg, clock)
    with Store(cfg.store.path) as store:
        with store.transaction():
            store.set_state("queue.stats", {"fetched_at": clock.now().isoformat(), "A": {"waiting": 7, "avg_service_s": 300}})
        assert printing.print_ticket(store, Issuer(cfg, store, clock).issue("A")).delivered
    printing.close()
    lines = texts(fake.jobs[-1])
    assert "7" in " ".join(lines) and "35" in " ".join(lines)


def test_printer_cli_status_preview_and_test_page(tmp_path, fake):
    cfg = write_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"')
    r = kiosk(cfg, "printer", "status", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["state"] == "ready"
    fake.set_state("paper_near_end")
    assert json.loads(kiosk(cfg, "printer", "status", "--json").stdout)["state"] == "paper_near_end"
    fake.set_state("offline")
    r = kiosk(cfg, "printer", "status", "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["state"] == "offline"
    fake.set_state("ready")
    r = kiosk(cfg, "printer", "test")
    assert r.returncode == 0, r.stdout + r.stderr
    assert fake.wait_for_jobs(1)
    assert any("test-kiosk" in line for line in texts(fake.jobs[0]))
    out = tmp_path / "a.png"
    r = kiosk(cfg, "printer", "preview", "A", "--out", str(out))
    assert r.returncode == 0 and out.stat().st_size > 1000


def test_bad_printer_settings_are_config_errors(tmp_path):
    cfg = write_config(tmp_path, printer='device = "lpt:1"\nmodel = "NoSuchPrinter"\ncolumns = 99')
    r = kiosk(cfg, "config", "validate")
    assert r.returncode == 2
    assert "printer.device: invalid printer device 'lpt:1'" in r.stderr
    assert "printer.model: unknown printer profile 'NoSuchPrinter'" in r.stderr
    assert 'printer.columns: 99 is out of range 24-48 (or "auto")' in r.stderr


def test_a_print_cut_off_by_a_crash_ends_print_failed_for_staff_to_reprint(tmp_path, fake):
    """Found by tests/campaigns/test_crash.py: a ticket whose process was killed between issue and
    print outcome stayed 'pending' forever, invisible on the staff screen's failed list."""
    from kiosk.clock import ManualClock
    from kiosk.lobby import Lobby, open_lobby

    cfg = make_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"')
    with Store(cfg.store.path) as store:
        crashed = Issuer(cfg, store, ManualClock(make_clock().now(), boot_id="old-boot")).issue("A")  # never printed
        clock = make_clock(boot_id="old-boot")
        printing = TicketPrinting(cfg, clock)
        lobby = Lobby(cfg, store, clock, printing)
        fresh = lobby.issuer.issue("G")  # pending, but its print may still be running: left alone
        assert lobby.recover_interrupted_prints() == []
        clock.advance(seconds=61)
        assert lobby.recover_interrupted_prints() == ["A001", "G001"]
        assert lobby.staff_info().failed_today == ["A001", "G001"]
        assert store.ticket(crashed.id).print_state == "print_failed"
        assert "interrupted" in store.ticket(crashed.id).print_error
        assert [e.kind for e in store.events_for(fresh.id)] == ["ticket.issued", "ticket.print_failed"]
        assert lobby.reprint("A001").ok and store.ticket(crashed.id).print_state == "printed"
        printing.close()
    # and a restart on another boot recovers at once
    with Store(cfg.store.path) as store:
        again = Issuer(cfg, store, ManualClock(make_clock().now(), boot_id="before-power-cut")).issue("A")
    lobby = open_lobby(cfg, make_clock(boot_id="after-power-cut"), TicketPrinting(cfg, make_clock()))
    assert lobby.store.ticket(again.id).print_state == "print_failed"
    lobby.printing.close()
    lobby.store.close()


NON_CONFIRMING = {
    # a write-only device node (the usblp driver's /dev/usb/lp0, here a plain file)
    "file": lambda tmp_path, fake: 'device = "file:jobs.bin"',
    # a printer whose profile/config says it has no status replies, on a real serial line
    "status-false": lambda tmp_path, fake: f'device = "serial:{fake.link}@115200"\nstatus = false',
}


@pytest.mark.parametrize("kind", sorted(NON_CONFIRMING))
def test_every_job_on_a_printer_that_cannot_confirm_counts_as_printed(tmp_path, fake, kind):
    """Issue 16 item 1: the slip and the staff test print said "could not be printed" on paper the
    applicant/staff was holding. Each job kind: what the person reads, the store, and the paper."""
    from kiosk.lobby import Lobby
    from kiosk.locale import both

    cfg = make_config(tmp_path / "etc", printer=NON_CONFIRMING[kind](tmp_path, fake))
    clock = make_clock()
    printing = TicketPrinting(cfg, clock)
    with Store(cfg.store.path) as store:
        lobby = Lobby(cfg, store, clock, printing)
        ticket = lobby.issue_and_print("A")
        assert ticket.printed and (ticket.message_id, ticket.message_en) == both("ticket.take")
        assert store.ticket(ticket.ticket_id).print_state == "printed"

        slip = lobby.print_requirements("A")
        assert slip.ok and (slip.text("id"), slip.text("en")) == both("requirements.printed"), slip.reason

        test = lobby.test_print()
        assert test.ok and (test.text("id"), test.text("en")) == both("staff.test_printed"), test.reason

        again = lobby.reprint("A001")
        assert again.ok and (again.text("id"), again.text("en")) == both("staff.reprinted", number="A001")
        stored = store.ticket(ticket.ticket_id)
        assert (stored.print_state, stored.reprints) == ("printed", 1)
        kinds = [e.kind for e in store.events_for(ticket.ticket_id)]
        assert kinds == ["ticket.issued", "ticket.printed", "ticket.reprinted"]
    printing.close()
    if kind == "file":
        jobs = decode((tmp_path / "etc" / "jobs.bin").read_bytes())
    else:
        assert fake.wait_for_jobs(4)
        jobs = decode(b"".join(job.data for job in fake.jobs))
    text = jobs.text
    assert text.count("A001") >= 2 and "PERSYARATAN / REQUIREMENTS" in text and "TEST PAGE / HALAMAN UJI" in text
    assert jobs.status_queries == [] or all(q.command != "GS r" for q in jobs.status_queries)


def test_a_printer_that_can_confirm_and_stays_silent_is_not_delivered(tmp_path, fake):
    """The other side of the rule: status supported, readable line, no answer -> failed, reprintable."""
    cfg = make_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"')
    printing = TicketPrinting(cfg, make_clock())
    fake.silent = True
    try:
        outcome = printing.print_requirements(cfg.catalogue.find("A"))
        assert printing.printer.can_confirm
        assert not outcome.delivered and not outcome.confirmed
        assert outcome.describe().startswith("not printed: ")
    finally:
        printing.close()


def test_print_state_constants_are_the_schema_check(tmp_path):
    import re
    import sqlite3

    from kiosk.store import PRINT_STATES
    from kiosk.store.schema import MIGRATIONS

    check = re.search(r"CHECK \(print_state IN \(([^)]*)\)\)", MIGRATIONS[0]).group(1)
    assert tuple(v.strip().strip("'") for v in check.split(",")) == PRINT_STATES
    cfg = make_config(tmp_path / "etc")
    with Store(cfg.store.path) as store:
        ticket = Issuer(cfg, store, make_clock()).issue("A")
        with pytest.raises(ValueError, match="print state must be one of pending, printed, print_failed"):
            with store.transaction():
                store.set_print_state(ticket.id, "done", error=None, at="2026-11-27T12:00:00")
        with pytest.raises(sqlite3.IntegrityError):  # and the database itself refuses a stray value
            with store.transaction():
                store.conn.execute("UPDATE tickets SET print_state = 'done' WHERE id = ?", (ticket.id,))


def test_config_validate_rejects_columns_wider_than_the_profile(tmp_path):
    cfg = write_config(tmp_path, printer='model = "TM-T88V"\npaper_mm = 80\ncolumns = 48')
    r = kiosk(cfg, "config", "validate")
    assert r.returncode == 2
    assert "printer.columns: columns must be an integer from 24 to 42, got 48: the TM-T88V profile prints 42" in r.stderr
    ok = write_config(tmp_path / "ok", printer='model = "TM-T88V"\npaper_mm = 80')
    assert kiosk(ok, "config", "validate").returncode == 0


def test_config_validate_warns_about_characters_the_printer_lacks(tmp_path):
    from support.kiosk_env import TEST_CATALOGUE

    catalogue = TEST_CATALOGUE.format(hours='["00:00-24:00"]', quota=10, priority_quota=5).replace(
        'name_en = "Passport pickup"', 'name_en = "Passport pickup ✓ 护照"')
    cfg = write_config(tmp_path, catalogue=catalogue, printer='footer = ["Terima kasih ★"]')
    r = kiosk(cfg, "config", "validate", "--json")
    assert r.returncode == 0, r.stderr  # a warning, not an error: the kiosk still runs
    warnings = json.loads(r.stdout)["warnings"]
    assert any(w.startswith("services[1].name_en: '✓' (U+2713), '护' (U+62A4), '照' (U+7167) cannot be printed")
               for w in warnings), warnings
    assert any(w.startswith("printer.footer[0]: '★' (U+2605)") for w in warnings), warnings
    assert "warning: services[1].name_en" in r.stderr


def test_cli_print_slip_and_ticket_exit_like_issue(tmp_path, fake):
    from kiosk.locale import both

    cfg = write_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"')
    r = kiosk(cfg, "print", "slip", "A", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["printed"] is True and out["key"] == "requirements.printed"
    assert (out["messages"]["id"], out["messages"]["en"]) == both("requirements.printed")
    assert fake.wait_for_jobs(1) and "PERSYARATAN / REQUIREMENTS" in fake.jobs[0].decoded.text
    r = kiosk(cfg, "print", "slip", "Z", "--lang", "id")  # refused: no such service
    assert r.returncode == 4 and r.stderr.startswith(f"refused: {both('error.unknown_service')[0]} (unknown_service")
    r = kiosk(cfg, "print", "ticket", "A001")  # refused: nothing issued yet today
    assert r.returncode == 4 and both("staff.no_ticket", number="A001")[1] in r.stderr
    assert kiosk(cfg, "issue", "A").returncode == 0
    r = kiosk(cfg, "print", "ticket", "a001", "--json")
    assert r.returncode == 0, r.stderr
    id_, en = both("staff.reprinted", number="A001")
    assert json.loads(r.stdout) | {"reason": None} == {
        "job": "ticket A001", "printed": True, "printer_state": "ready", "reason": None,
        "key": "staff.reprinted", "messages": {"id": id_, "en": en}, "print_state": "printed", "reprints": 1}
    r = kiosk(cfg, "print", "ticket", "A001", "--lang", "id")
    assert r.returncode == 0 and r.stdout.strip() == f"ticket A001: printed  ({id_})"
    assert fake.wait_for_jobs(3) and "A001" in fake.jobs[2].decoded.texts
    fake.set_state("paper_out")
    r = kiosk(cfg, "print", "slip", "G")
    assert r.returncode == 3 and "paper" in r.stderr.lower()
    assert both("requirements.failed")[1] in r.stdout


def test_priority_ticket_is_estimated_from_its_own_series_or_served_first(tmp_path, fake):
    cfg = make_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"')
    clock = make_clock()
    printing = TicketPrinting(cfg, clock)
    with Store(cfg.store.path) as store:
        with store.transaction():
            store.set_state("queue.stats", {"fetched_at": clock.now().isoformat(), "A": {"waiting": 12, "avg_service_s": 180}})
        assert printing.print_ticket(store, Issuer(cfg, store, clock).issue("A", "lansia")).delivered
        first = fake.jobs[-1].decoded
        assert first.find("Dilayani lebih dulu / Served first")
        assert "Ahead" not in first.text and "menit" not in first.text  # not the A queue's 12 / 36 min
        with store.transaction():
            store.set_state("queue.stats", {"fetched_at": clock.now().isoformat(), "A": {"waiting": 12, "avg_service_s": 180},
                                            "P": {"waiting": 2, "avg_service_s": 240}})
        printing.print_ticket(store, Issuer(cfg, store, clock).issue("A", "lansia"))
        assert fake.wait_for_jobs(2)
        second = fake.jobs[-1].decoded
        assert second.find("Ahead of you: 2") and "8 menit/min" in second.text
    printing.close()


def test_nv_logo_prints_only_once_its_upload_is_on_record(tmp_path, fake):
    """Issue 16 item 5: a replacement printer never received the logo: print the office name."""
    from kiosk.printing import PrintOutcome

    cfg = make_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"\nnv_logo_key = "LG"')
    clock = make_clock()
    printing = TicketPrinting(cfg, clock)
    with Store(cfg.store.path) as store:
        printing.print_ticket(store, Issuer(cfg, store, clock).issue("A"))
        printing.print_test_page([], store)
        assert fake.wait_for_jobs(2)
        plain, page = fake.jobs[0].decoded, fake.jobs[1].decoded
        assert plain.logos == [] and plain.find("Kantor Imigrasi Uji")
        assert page.logos == ["LG"] and page.find("not uploaded to this printer")
        printing.record_logo_upload(store, "LG", PrintOutcome(True, True, "ready", ""))
        printing.print_ticket(store, Issuer(cfg, store, clock).issue("A"))
        assert fake.wait_for_jobs(3)
        logo = fake.jobs[2].decoded
        assert logo.logos == ["LG"] and not logo.find("Kantor Imigrasi Uji")
    printing.close()


def test_printer_status_says_the_clone_prints_a_raster_qr(tmp_path):
    cfg = write_config(tmp_path, printer='model = "POS-5890"\npaper_mm = 58\nstatus = false')
    r = kiosk(cfg, "printer", "status", "--json")
    assert r.returncode == 0, r.stderr  # no status support: assumed ready
    st = json.loads(r.stdout)
    assert (st["qr"], st["columns"], st["dots"], st["can_confirm"]) == ("raster", 32, 384, False)
    text = kiosk(cfg, "printer", "status").stdout
    assert "QR raster (GS v 0: this model has no native QR)" in text


def test_cli_upload_logo_is_what_switches_tickets_to_the_logo(tmp_path, fake):
    from PIL import Image, ImageDraw

    logo = tmp_path / "logo.png"
    img = Image.new("1", (400, 100), 1)
    ImageDraw.Draw(img).rectangle((0, 0, 399, 99), outline=0, width=8)
    img.save(logo)
    cfg = write_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"\nnv_logo_key = "LG"')
    assert kiosk(cfg, "issue", "A").returncode == 0
    assert _doctor_logo(cfg).status == "WARN"  # a replacement printer: the doctor names the fix
    r = kiosk(cfg, "printer", "upload-logo", str(logo))
    assert r.returncode == 0 and r.stdout.startswith("printed"), r.stdout + r.stderr
    logo_check = _doctor_logo(cfg)
    assert (logo_check.status, logo_check.detail.split(" at ")[0]) == ("OK", f"NV logo 'LG' uploaded to serial:{fake.link}@115200")
    assert kiosk(cfg, "issue", "A").returncode == 0
    assert fake.wait_for_jobs(2)  # the upload stores the logo; it prints nothing
    assert "LG" in fake.nv_logos
    before, after = fake.jobs[0].decoded, fake.jobs[-1].decoded
    assert before.logos == [] and before.find("Kantor Imigrasi Uji")
    assert after.logos == ["LG"] and not after.find("Kantor Imigrasi Uji")


def _doctor_logo(cfg):
    from kiosk.config import load_config
    from kiosk.doctor import Host, checks

    return checks.printer_logo(checks.Scene(load_config(cfg), Host(), "kiosk", 2.0))


def test_cli_print_slip_on_a_printer_without_font_b_is_in_the_applicants_language(tmp_path, fake):
    """Issue 16 item 6: a ZJ-5870 (no Font B) prints the slip in one language: --lang, else the
    kiosk's first ui language; a printer with Font B keeps both (test above)."""
    cfg = write_config(tmp_path / "etc", printer=f'device = "serial:{fake.link}@115200"\nmodel = "ZJ-5870"\npaper_mm = 58')
    assert kiosk(cfg, "print", "slip", "A", "--lang", "en").returncode == 0
    assert kiosk(cfg, "print", "slip", "A").returncode == 0  # ui.languages defaults to id first
    assert fake.wait_for_jobs(2)
    en, id_ = (job.decoded.texts for job in fake.jobs[:2])
    assert en[1:3] == ["Hanya dalam bahasa Inggris", "REQUIREMENTS"] and "PERSYARATAN" not in "\n".join(en)
    assert id_[1:3] == ["In Bahasa Indonesia only", "PERSYARATAN"] and "REQUIREMENTS" not in "\n".join(id_)
    assert "Not a queue ticket" in en and "Bukan nomor antrean" in id_
