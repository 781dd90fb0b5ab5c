"""Clock campaign: a Pi without a real-time clock meets every clock a lobby can have: one day
behind after a power cut, a year ahead, NTP jumps back and forth mid-day, the service day's start
at `day_starts_at`, the central server's time check coming and going. Whatever happens, no number
repeats within a service day, the day never resets early or goes backwards, and every ticket (and
`kiosk status`) says rightly whether the clock was trusted.

Design (kiosk/numbering.py): the service day never goes backwards; a trusted clock moves it
forward freely; an untrusted one by at most kiosk.max_untrusted_day_jump days.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from figures import record, sized
from support.kiosk_env import make_config

import kiosk.issuer as issuer_module
from kiosk.cli.common import Context
from kiosk.cli.status_cmd import collect
from kiosk.clock import SERVER_CHECK_VALID, SERVER_DRIFT_TOLERANCE_S, ManualClock
from kiosk.issuer import Issuer
from kiosk.state_keys import SERVER_CLOCK
from kiosk.store import Store

WIB = ZoneInfo("Asia/Jakarta")
MAX_JUMP = 4
STARTS = "05:00"


def wib(y, m, d, hh, mm=0, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=WIB)


def true_day(moment: datetime) -> date:
    return (moment.astimezone(WIB) - timedelta(hours=5)).date()


@pytest.fixture
def kiosk(tmp_path):
    cfg = make_config(tmp_path / "etc", kiosk=f'number_block = [1, 9999]\nday_starts_at = "{STARTS}"\n'
                                              f"max_untrusted_day_jump = {MAX_JUMP}", quota=9999, priority_quota=9999)
    store = Store(cfg.store.path)
    yield cfg, store
    store.close()


def test_named_clock_scenarios(kiosk, monkeypatch):
    cfg, store = kiosk
    clock = ManualClock(wib(2026, 11, 27, 8), synchronized=True)
    issuer = Issuer(cfg, store, clock)
    day = [issuer.issue("A") for _ in range(3)]
    assert [t.number for t in day] == ["A0001", "A0002", "A0003"] and {t.service_day for t in day} == {"2026-11-27"}

    # A power cut: the Pi boots with yesterday's time and no NTP yet.
    clock = ManualClock(wib(2026, 11, 26, 8, 5), synchronized=False)
    t = Issuer(cfg, store, clock).issue("A")
    assert (t.number, t.service_day, t.clock_trusted) == ("A0004", "2026-11-27", False)

    # A clock a year ahead, untrusted: the day stays; numbering goes on.
    clock.set(wib(2027, 11, 27, 9))
    t = Issuer(cfg, store, clock).issue("A")
    assert (t.number, t.service_day, t.clock_trusted) == ("A0005", "2026-11-27", False)

    # NTP arrives and puts the clock back mid-day: still the same day, still counting.
    clock.set(wib(2026, 11, 27, 10), synchronized=True)
    t = Issuer(cfg, store, clock).issue("A")
    assert (t.number, t.service_day, t.clock_trusted) == ("A0006", "2026-11-27", True)

    # The service day starts at 05:00: 04:59:59 the next morning is still today, 05:00 is a new day.
    clock.set(wib(2026, 11, 28, 4, 59, 59))
    assert Issuer(cfg, store, clock).issue("A").number == "A0007"
    clock.set(wib(2026, 11, 28, 5, 0, 0))
    t = Issuer(cfg, store, clock).issue("A")
    assert (t.number, t.service_day) == ("A0001", "2026-11-28")

    # An untrusted jump of two days forward moves the day (a long weekend), a jump back never does.
    clock.set(wib(2026, 11, 30, 8), synchronized=False)
    t = Issuer(cfg, store, clock).issue("A")
    assert (t.number, t.service_day) == ("A0001", "2026-11-30")
    clock.set(wib(2026, 11, 28, 9), synchronized=True)
    t = Issuer(cfg, store, clock).issue("A")
    assert (t.number, t.service_day) == ("A0002", "2026-11-30")

    # The central server's Date check makes an unsynchronised clock trusted, for 6 hours.
    clock.set(wib(2026, 11, 30, 9), synchronized=False)
    with store.transaction():
        store.set_state(SERVER_CLOCK, {"checked_at": clock.now().isoformat(), "drift_s": 0.8, "ok": True})
    monkeypatch.setattr(issuer_module, "Clock", lambda: clock)
    assert collect(Context(str(cfg.path)))["clock"]["trusted"] is True
    assert Issuer(cfg, store, clock).issue("G").clock_trusted is True
    clock.advance(hours=6, minutes=1)
    assert collect(Context(str(cfg.path)))["clock"]["trusted"] is False
    assert Issuer(cfg, store, clock).issue("G").clock_trusted is False


class Model:
    """The rules of kiosk/numbering.py and kiosk/clock.py, written out independently."""

    def __init__(self, block_first: int):
        self.stored: date | None = None
        self.last: dict[tuple[str, str], int] = {}
        self.first = block_first

    def trusted(self, clock: ManualClock, check: dict | None) -> bool:
        if clock.synchronized():
            return True
        if not check or not check["ok"]:
            return False
        age = clock.now() - datetime.fromisoformat(check["checked_at"])
        return timedelta(0) <= age <= SERVER_CHECK_VALID and abs(check["drift_s"]) <= SERVER_DRIFT_TOLERANCE_S

    def issue(self, clock_day: date, trusted: bool, series: str) -> tuple[str, int]:
        day = clock_day
        if self.stored is not None and (day <= self.stored or (not trusted and (day - self.stored).days > MAX_JUMP)):
            day = self.stored
        self.stored = day
        seq = self.last.get((day.isoformat(), series), self.first - 1) + 1
        self.last[(day.isoformat(), series)] = seq
        return day.isoformat(), seq


def test_random_clock_walk(kiosk, scale):
    cfg, store = kiosk
    steps = sized(5000, 100000, scale)
    rng = random.Random(int(os.environ.get("KIOSK_CAMPAIGN_SEED", "5")))
    true_now = wib(2026, 11, 27, 7, 30)
    clock = ManualClock(true_now, synchronized=True)
    issuer = Issuer(cfg, store, clock)
    model = Model(cfg.kiosk.number_block[0])
    check = None
    events = Counter()
    tickets = 0
    mismatches = []
    for _ in range(steps):
        op = rng.choices(("issue", "tick", "ntp", "bogus", "reboot", "server", "boundary"),
                         (50, 20, 6, 8, 4, 6, 6))[0]
        events[op] += 1
        if op == "tick":
            step = timedelta(minutes=rng.uniform(1, 90))
            true_now += step
            clock.set(clock.now() + step)
        elif op == "ntp":
            clock.set(true_now, synchronized=True)
        elif op == "bogus":
            offset = rng.choice((timedelta(days=-1), timedelta(days=365), timedelta(days=-365),
                                 timedelta(hours=rng.uniform(-30, 30)), timedelta(days=rng.randint(1, 10)),
                                 timedelta(days=-rng.randint(1, 10))))
            clock.set(true_now + offset, synchronized=False)
        elif op == "reboot":
            # A power cut: the Pi comes back with the time it had when the power went (or yesterday's).
            clock = ManualClock(true_now - rng.choice((timedelta(0), timedelta(days=1), timedelta(hours=3))),
                                synchronized=False, boot_id=f"boot-{events['reboot']}")
            issuer = Issuer(cfg, store, clock)
            true_now += timedelta(minutes=rng.uniform(1, 30))
        elif op == "server":
            check = {"checked_at": (clock.now() - timedelta(minutes=rng.choice((0, 5, 400)))).isoformat(),
                     "drift_s": rng.choice((0.2, -3.0, 12.0, -86400.0)), "ok": rng.random() < 0.7}
            with store.transaction():
                store.set_state(SERVER_CLOCK, check)
        elif op == "boundary":
            # Just before or at the start of the next service day, on a trusted clock.
            nxt = true_day(true_now) + timedelta(days=1)
            edge = datetime(nxt.year, nxt.month, nxt.day, 5, 0, tzinfo=WIB) + timedelta(seconds=rng.choice((-1, 0, 1)))
            true_now = max(true_now, edge)
            clock.set(true_now, synchronized=True)
        else:
            service = rng.choice(("A", "G"))
            priority = "lansia" if service == "A" and rng.random() < 0.1 else None
            trusted = model.trusted(clock, check)
            assert issuer.trusted() == trusted, "clock trust reported wrong"
            series = "P" if priority else service
            want_day, want_seq = model.issue(true_day(clock.now()), trusted, series)
            t = issuer.issue(service, priority)
            tickets += 1
            got = (t.service_day, t.seq, t.clock_trusted)
            if got != (want_day, want_seq, trusted):
                mismatches.append((clock.now().isoformat(), got, (want_day, want_seq, trusted)))
                break
    rows = store.conn.execute("SELECT service_day, number, prefix, seq, clock_trusted FROM tickets ORDER BY cursor").fetchall()
    numbers = Counter((r[0], r[1]) for r in rows)
    duplicated = sum(c - 1 for c in numbers.values())
    days = [r[0] for r in rows]
    backwards = sum(1 for a, b in zip(days, days[1:]) if b < a)
    resets = sum(1 for a, b in zip(days, days[1:]) if b > a)
    untrusted = sum(1 for r in rows if not r[4])
    record("clock", title="Clock: behind, ahead, jumps, day boundary", scale=scale, runs=steps,
           faults=events["bogus"] + events["reboot"] + events["ntp"] + events["boundary"] + events["server"],
           tickets=tickets, lost=0, duplicated=duplicated, longest_stall_s=None,
           stall_means="(no waiting involved: pure local rules)",
           passed=not (mismatches or duplicated or backwards),
           details={"operations": dict(events), "service_days": len(set(days)), "day_changes": resets,
                    "went_backwards": backwards, "tickets_on_untrusted_clock": untrusted,
                    "model_mismatches": mismatches[:3]})
    assert not mismatches, f"the kiosk and the rules disagree: {mismatches[0]}"
    assert duplicated == 0 and backwards == 0
