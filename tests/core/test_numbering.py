"""Numbering rules: format, block, service day with its rollover hour, timezone and stored mark."""

from datetime import date, datetime, time, timezone

import pytest
from support.kiosk_env import JAKARTA_NOON, make_clock, make_config

from kiosk.issuer import Issuer, Refused
from kiosk.numbering import format_number, next_seq, resolve_service_day, service_day_for
from kiosk.store import Store


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_format_pads_to_block_width():
    assert format_number("A", 1, (1, 999)) == "A001"
    assert format_number("A", 42, (1, 99)) == "A042"
    assert format_number("B", 500, (500, 9999)) == "B0500"


def test_next_seq_within_block():
    assert next_seq(None, (500, 999)) == 500
    assert next_seq(500, (500, 999)) == 501
    assert next_seq(999, (500, 999)) is None


def test_service_day_uses_office_timezone():
    # 23:30 UTC on the 26th is 06:30 WIB on the 27th
    assert service_day_for(utc(2026, 11, 26, 23, 30), "Asia/Jakarta", time(0, 0)) == date(2026, 11, 27)
    assert service_day_for(utc(2026, 11, 26, 23, 30), "UTC", time(0, 0)) == date(2026, 11, 26)
    # WITA (UTC+8) offices roll over an hour earlier in UTC terms
    assert service_day_for(utc(2026, 11, 26, 16, 30), "Asia/Makassar", time(0, 0)) == date(2026, 11, 27)


def test_service_day_rollover_hour():
    # the day starts at 05:00 WIB: 04:59 still belongs to yesterday
    assert service_day_for(utc(2026, 11, 26, 21, 59), "Asia/Jakarta", time(5, 0)) == date(2026, 11, 26)
    assert service_day_for(utc(2026, 11, 26, 22, 0), "Asia/Jakarta", time(5, 0)) == date(2026, 11, 27)


def test_resolve_never_goes_backwards_and_caps_untrusted_jumps():
    d = date(2026, 11, 27)
    assert resolve_service_day(date(2026, 11, 26), d, trusted=True, max_untrusted_jump=4) == d
    assert resolve_service_day(date(2026, 11, 30), d, trusted=False, max_untrusted_jump=4) == date(2026, 11, 30)
    assert resolve_service_day(date(2027, 11, 27), d, trusted=False, max_untrusted_jump=4) == d
    assert resolve_service_day(date(2027, 11, 27), d, trusted=True, max_untrusted_jump=4) == date(2027, 11, 27)
    assert resolve_service_day(date(2027, 11, 27), None, trusted=False, max_untrusted_jump=4) == date(2027, 11, 27)


def issue_numbers(issuer, service, n, priority=None):
    return [issuer.issue(service, priority).number for _ in range(n)]


def test_numbers_restart_each_service_day(tmp_path):
    cfg = make_config(tmp_path, kiosk='day_starts_at = "05:00"')
    clock = make_clock(utc(2026, 11, 26, 21, 0))  # 04:00 WIB on the 27th: still the 26th's service day
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, clock)
        assert issue_numbers(issuer, "A", 2) == ["A001", "A002"]
        assert store.last_ticket().service_day == "2026-11-26"
        clock.set(utc(2026, 11, 26, 22, 0))  # 05:00 WIB: a new service day
        assert issue_numbers(issuer, "A", 1) == ["A001"]
        assert store.last_ticket().service_day == "2026-11-27"


def test_block_for_second_kiosk_and_exhaustion(tmp_path):
    cfg = make_config(tmp_path, kiosk="number_block = [500, 502]")
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, make_clock())
        assert issue_numbers(issuer, "A", 3) == ["A500", "A501", "A502"]
        with pytest.raises(Refused) as e:
            issuer.issue("A")
        assert e.value.refusal.code == "block_exhausted"
        assert "ask staff" in e.value.refusal.text("en")
        assert issue_numbers(issuer, "G", 1) == ["G500"]  # other series are independent


def test_quota_and_priority_quota(tmp_path):
    cfg = make_config(tmp_path, quota=2, priority_quota=1)
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, make_clock())
        assert issue_numbers(issuer, "A", 2) == ["A001", "A002"]
        with pytest.raises(Refused) as e:
            issuer.issue("A")
        assert e.value.refusal.code == "quota_full"
        assert "Kuota Paspor Baru hari ini sudah habis" in e.value.refusal.text("id")
        # priority applicants have their own quota and their own number series
        assert issuer.issue("A", "lansia").number == "P001"
        with pytest.raises(Refused) as e:
            issuer.issue("A", "lansia")
        assert e.value.refusal.code == "priority_quota_full"


def test_priority_rules(tmp_path):
    cfg = make_config(tmp_path)
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, make_clock())
        for service, group, code in [("G", "lansia", "priority_not_allowed"), ("A", "vip", "unknown_priority_group")]:
            with pytest.raises(Refused) as e:
                issuer.issue(service, group)
            assert e.value.refusal.code == code
        t = issuer.issue("paspor-baru", "disabilitas")
        assert (t.number, t.priority, t.service) == ("P001", "disabilitas", "paspor-baru")


def test_closed_hours_and_closed_dates(tmp_path):
    cfg = make_config(tmp_path, hours='["08:00-16:00"]')
    clock = make_clock(utc(2026, 11, 27, 9, 30))  # 16:30 WIB
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, clock)
        with pytest.raises(Refused) as e:
            issuer.issue("A")
        assert e.value.refusal.code == "closed"
        assert "Senin-Minggu 08:00-16:00" in e.value.refusal.text("id")
        clock.set(utc(2026, 11, 27, 8, 59))  # 15:59 WIB
        assert issuer.issue("A").number == "A001"
        assert store.outbox_stats().depth == 1


def test_unknown_service(tmp_path):
    cfg = make_config(tmp_path)
    with Store(cfg.store.path) as store:
        with pytest.raises(Refused) as e:
            Issuer(cfg, store, make_clock()).issue("Z")
        assert e.value.refusal.code == "unknown_service"


def test_lock_refuses(tmp_path):
    cfg = make_config(tmp_path)
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, make_clock())
        with store.transaction():
            store.set_state("kiosk.lock", {"locked": True, "by": "test"})
        with pytest.raises(Refused) as e:
            issuer.issue("A")
        assert e.value.refusal.code == "locked"
        assert store.last_ticket() is None


def test_ticket_records_everything_and_its_event(tmp_path):
    cfg = make_config(tmp_path)
    clock = make_clock(JAKARTA_NOON, synchronized=False, boot_id="boot-1")
    with Store(cfg.store.path) as store:
        t = Issuer(cfg, store, clock).issue("A")
        assert t.issued_at == "2026-11-27T12:00:00+07:00"
        assert (t.kiosk_id, t.boot_id, t.clock_trusted, t.print_state) == ("test-kiosk", "boot-1", False, "pending")
        (event,) = store.pending_events(10)
        assert event.kind == "ticket.issued"
        assert event.wire()["ticket"]["number"] == "A001"
        assert event.wire()["seq"] == event.seq
