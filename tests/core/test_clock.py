"""A Pi has no RTC: clocks a day behind or a year ahead, at start and mid-day."""

from collections import Counter
from datetime import datetime, timedelta, timezone

from support.kiosk_env import JAKARTA_NOON, make_clock, make_config

from kiosk.clock import ManualClock, clock_trusted
from kiosk.issuer import Issuer
from kiosk.store import Store


def no_duplicates_within_a_day(store):
    rows = store.conn.execute("SELECT service_day, number FROM tickets").fetchall()
    counts = Counter((r[0], r[1]) for r in rows)
    assert all(n == 1 for n in counts.values())


def test_clock_one_day_behind_mid_day_keeps_numbering(tmp_path):
    cfg = make_config(tmp_path)
    clock = make_clock(JAKARTA_NOON)
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, clock)
        assert [issuer.issue("A").number for _ in range(3)] == ["A001", "A002", "A003"]
        # power cut, reboot with yesterday's time and no NTP yet
        clock.set(JAKARTA_NOON - timedelta(days=1), synchronized=False)
        t = issuer.issue("A")
        assert (t.number, t.service_day, t.clock_trusted) == ("A004", "2026-11-27", False)
        no_duplicates_within_a_day(store)


def test_clock_one_day_behind_at_start_then_corrected(tmp_path):
    cfg = make_config(tmp_path)
    clock = make_clock(JAKARTA_NOON - timedelta(days=1), synchronized=False)
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, clock)
        assert issuer.issue("A").service_day == "2026-11-26"
        clock.set(JAKARTA_NOON, synchronized=True)
        t = issuer.issue("A")
        assert (t.number, t.service_day, t.clock_trusted) == ("A001", "2026-11-27", True)


def test_untrusted_clock_a_year_ahead_mid_day_does_not_reset(tmp_path):
    cfg = make_config(tmp_path)
    clock = make_clock(JAKARTA_NOON)
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, clock)
        issuer.issue("A")
        clock.set(JAKARTA_NOON + timedelta(days=365), synchronized=False)
        t = issuer.issue("A")
        assert (t.number, t.service_day) == ("A002", "2026-11-27")
        clock.set(JAKARTA_NOON + timedelta(hours=1), synchronized=True)
        assert issuer.issue("A").number == "A003"
        no_duplicates_within_a_day(store)


def test_year_ahead_at_start_never_resets_while_stored_day_is_newer(tmp_path):
    cfg = make_config(tmp_path)
    ahead = JAKARTA_NOON + timedelta(days=365)
    clock = make_clock(ahead, synchronized=False)
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, clock)
        assert issuer.issue("A").service_day == "2027-11-27"
        # NTP corrects the clock: the stored day is newer, so numbering goes on rather than restarting
        clock.set(JAKARTA_NOON, synchronized=True)
        t = issuer.issue("A")
        assert (t.number, t.service_day) == ("A002", "2027-11-27")
        no_duplicates_within_a_day(store)


def test_untrusted_clock_may_cross_a_long_weekend(tmp_path):
    cfg = make_config(tmp_path)
    clock = make_clock(JAKARTA_NOON, synchronized=False)
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, clock)
        issuer.issue("A")
        clock.set(JAKARTA_NOON + timedelta(days=3), synchronized=False)  # Friday -> Monday
        t = issuer.issue("A")
        assert (t.number, t.service_day) == ("A001", "2026-11-30")


def test_server_check_makes_the_clock_trusted_while_recent():
    clock = ManualClock(JAKARTA_NOON, synchronized=False)
    recent = {"ok": True, "checked_at": (JAKARTA_NOON - timedelta(minutes=5)).isoformat(), "drift_s": 0.4}
    assert clock_trusted(clock, recent)
    assert not clock_trusted(clock, {**recent, "drift_s": 30})
    assert not clock_trusted(clock, {**recent, "ok": False})
    assert not clock_trusted(clock, {**recent, "checked_at": (JAKARTA_NOON - timedelta(hours=7)).isoformat()})
    assert not clock_trusted(clock, {"ok": True, "checked_at": "garbage"})
    assert not clock_trusted(clock, None)
    assert clock_trusted(ManualClock(datetime(2026, 1, 1, tzinfo=timezone.utc), synchronized=True), None)
