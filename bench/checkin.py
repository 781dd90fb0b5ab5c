"""M-Paspor check-in latency through the Lobby, against a walk-in tap measured interleaved in the
same run on the same kiosk (file printer, synchronous=FULL): the booking lookup a scan triggers
(`Lobby.find_booking`, no write) and scan-to-ticket (`Lobby.check_in_and_print`: the decision
read again inside the transaction, ticket, check-in record, two outbox events, print) against
`Lobby.issue_and_print`. The list held is an office's busy day (2,000 bookings, 500 check-ins
pulled from another kiosk).

Targets: find_booking p95 at most 0.5x a walk-in issue-and-print's (it must fit well inside the
100 ms tap-to-screen budget the UI has); check_in_and_print p95 at most 1.5x issue_and_print's.

    .venv/bin/python bench/checkin.py [--n 600]   (exit status 1 if a target is missed)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo first: tests/printer is not `printer`

from support.kiosk_env import JAKARTA_NOON, make_clock, make_config
from targets import Targets, median_ratio

from kiosk.checkin.listing import hold_list, parse_list
from kiosk.lobby import Lobby
from kiosk.printing import TicketPrinting
from kiosk.store import Store

BLOCK = 50
DAY = "2026-11-27"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94]


def busy_list(n: int) -> dict:
    start = datetime.fromisoformat(f"{DAY}T08:00:00+07:00")
    bookings = [{"code": f"MPB{i:06d}", "day": DAY, "service": "paspor-baru",
                 "slot": (start + timedelta(seconds=i * 14)).isoformat(), "masked_name": "B*** S******"}
                for i in range(n)]
    checkins = [{"code": f"MPX{i:06d}", "day": DAY, "kiosk_id": "other", "ticket_id": f"t{i}", "number": f"A{5000 + i}",
                 "slot": None, "checked_in_at": f"{DAY}T08:00:00+07:00", "unverified": False} for i in range(500)]
    return {"office": "TEST", "days": [DAY], "bookings": bookings, "elsewhere": [], "checkins": checkins}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=600, help="check-ins (and walk-in taps, lookups) measured")
    args = ap.parse_args()
    clock = make_clock(JAKARTA_NOON)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = make_config(Path(tmp), kiosk="number_block = [1, 9999]", quota=9999,
                          extra="[bookings]\nwindow_before_minutes = 720\nwindow_after_minutes = 720")
        with Store(cfg.store.path) as store:
            hold_list(store, parse_list(busy_list(2000), "TEST"), fetched_at=clock.now().isoformat())
            lobby = Lobby(cfg, store, clock, TicketPrinting(cfg, clock))
            lookups, checkins, taps = [], [], []
            lookup_rounds, checkin_rounds, tap_rounds = [], [], []
            for block in range(0, args.n, BLOCK):
                codes = [f"MPB{i:06d}" for i in range(block, min(args.n, block + BLOCK))]
                t_taps, t_lookups, t_checkins = [], [], []
                for code in codes:
                    t0 = perf_counter()
                    r = lobby.issue_and_print("G")
                    t_taps.append(perf_counter() - t0)
                    assert r.issued, r.message_en
                    t0 = perf_counter()
                    found = lobby.find_booking(code)
                    t_lookups.append(perf_counter() - t0)
                    assert found.may_check_in, found
                    t0 = perf_counter()
                    r = lobby.check_in_and_print(code)
                    t_checkins.append(perf_counter() - t0)
                    assert r.issued and r.printed, r.message_en
                taps += t_taps
                lookups += t_lookups
                checkins += t_checkins
                if len(codes) >= 20:
                    tap_rounds.append(p95(t_taps))
                    lookup_rounds.append(p95(t_lookups))
                    checkin_rounds.append(p95(t_checkins))
            lobby.printing.close()
    for name, v in (("issue_and_print (walk-in)", taps), ("find_booking", lookups), ("check_in_and_print", checkins)):
        print(f"{name:<26} p50 {statistics.median(v) * 1e3:7.3f} ms  p95 {p95(v) * 1e3:7.3f} ms  max {max(v) * 1e3:7.3f} ms")
    targets = Targets("checkin")
    targets.at_most("find_booking p95", median_ratio(lookup_rounds, tap_rounds), 0.5, baseline="a walk-in issue_and_print")
    targets.at_most("check_in_and_print p95", median_ratio(checkin_rounds, tap_rounds), 1.5,
                    baseline="a walk-in issue_and_print")
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
