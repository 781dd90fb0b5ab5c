"""Crash campaign: SIGKILL the issuing process and the sync agent at random points of issue, print
and sync; after every restart the database is intact, no number is repeated, every number an
applicant was shown is stored, and after a final sync the central server holds every committed
ticket and event exactly once.

The issuing process is a fork()ed child running the touchscreen's own call (Lobby.issue_and_print)
against a fake printer on a real pty; the agent is a fork()ed child running the agent's real loop
against the real central server on loopback, and now and then a real `kiosk agent` process.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from figures import record, sized
from support.kiosk_env import write_config

from kiosk.agent.client import CentralClient
from kiosk.agent.loop import Agent
from kiosk.clock import Clock
from kiosk.config import load_config
from kiosk.lobby import Lobby
from kiosk.store import Store
from printer.fake import FakePrinter

SERVICES = ("A", "G")


def _child(body, *args) -> int:
    """fork(); the child runs body(*args) until killed and never returns into pytest."""
    pid = os.fork()
    if pid:
        return pid
    code = 3
    try:
        body(*args)
    except BaseException:  # noqa: BLE001 - reported to the parent through the error file
        with open(args[-1], "a") as f:
            f.write(f"pid {os.getpid()}:\n{traceback.format_exc()}\n")
    finally:
        os._exit(code)


def _issuer_body(cfg, seed: int, wfd: int, errfile: str) -> None:
    """The UI process: issue and print until killed; report what the applicant is shown."""
    rng = random.Random(seed)
    out = os.fdopen(wfd, "w", buffering=1)
    lobby = Lobby(cfg, Store(cfg.store.path), Clock())
    while True:
        service = rng.choice(SERVICES)
        priority = "lansia" if rng.random() < 0.15 and service == "A" else None
        started = time.monotonic()
        result = lobby.issue_and_print(service, priority)
        if not result.issued:
            raise AssertionError(f"refused: {result.code}")
        out.write(f"T {result.ticket_id} {result.number} {result.print_state} {time.monotonic() - started:.4f}\n")
        if rng.random() < 0.05:
            lobby.reprint(result.number)


def _agent_body(cfg, errfile: str) -> None:
    store = Store(cfg.store.path)
    store.relax_durability()
    Agent(cfg, store, CentralClient(cfg.central)).run()


class MinuteLater(Clock):
    """The real clocks, a minute on: what the kiosk sees when staff look after a restart."""

    def monotonic_ns(self) -> int:
        return super().monotonic_ns() + 61 * 1_000_000_000


class Ledger:
    """What the applicants were shown, read from the children's pipes."""

    def __init__(self):
        self.shown: dict[str, tuple[str, str]] = {}
        self.new: dict[str, tuple[str, str]] = {}
        self.longest = 0.0

    def take_new(self) -> dict[str, tuple[str, str]]:
        new, self.new = self.new, {}
        return new

    def read(self, rfd: int) -> None:
        with os.fdopen(rfd) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 5 and parts[0] == "T":  # a half-written last line is ignored
                    self.shown[parts[1]] = self.new[parts[1]] = (parts[2], parts[3])
                    self.longest = max(self.longest, float(parts[4]))


def check_database(db: Store, ledger: Ledger, full: bool) -> None:
    assert db.quick_check() == "ok"
    if full:
        assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    c = db.conn
    dup = c.execute("SELECT service_day, number, count(*) FROM tickets GROUP BY 1, 2 HAVING count(*) > 1").fetchall()
    assert not dup, f"duplicate numbers: {[tuple(r) for r in dup]}"
    # Per series: numbers contiguous (no gap, no repeat), rising in issue order, counter at the last one.
    for day, prefix, n, first, last, ordered in c.execute(
            "SELECT service_day, prefix, count(*), min(seq), max(seq), "
            "max(seq) = (SELECT seq FROM tickets t2 WHERE t2.service_day = t.service_day AND t2.prefix = t.prefix "
            "ORDER BY cursor DESC LIMIT 1) FROM tickets t GROUP BY 1, 2").fetchall():
        assert last - first + 1 == n and ordered, f"{day} {prefix}: numbering skipped or went back"
        assert db.last_seq(day, prefix) == last, f"counter {db.last_seq(day, prefix)} is not the last ticket {last}"
    orphans = c.execute("SELECT count(*) FROM tickets WHERE id NOT IN "
                        "(SELECT ticket_id FROM outbox WHERE kind = 'ticket.issued')").fetchone()[0]
    assert orphans == 0, "a ticket without its ticket.issued event"
    for tid, (number, state) in ledger.take_new().items():  # what this round's applicants were shown
        ticket = db.ticket(tid)
        assert ticket is not None and ticket.number == number, f"number {number} was shown but not stored"
        assert ticket.print_state in (state, "printed"), "the print outcome shown is not the one stored"


def final_sync(cfg, deadline_s: float = 120.0) -> None:
    with Store(cfg.store.path) as store:
        agent = Agent(cfg, store, CentralClient(cfg.central))
        deadline = time.monotonic() + deadline_s
        while store.outbox_stats().depth and time.monotonic() < deadline:
            agent.sync_once(pull=False)
        assert store.outbox_stats().depth == 0, "the outbox did not drain after the campaign"


def test_sigkill_issuer_and_agent_at_random_points(tmp_path, central, central_db, kiosk_token, scale):
    kills_wanted = sized(100, 1000, scale)
    real_agent_every = 25
    rng = random.Random(int(os.environ.get("KIOSK_CAMPAIGN_SEED", "20261127")))
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "central.token").write_text(kiosk_token + "\n")
    (etc / "central.token").chmod(0o600)
    errfile = str(tmp_path / "child-errors.txt")
    with FakePrinter(link=tmp_path / "printer.tty") as fake:
        cfg_path = write_config(
            etc, kiosk='id = "test-kiosk"\noffice_code = "TEST"\nnumber_block = [1, 9999]', quota=9999, priority_quota=9999,
            printer=f'device = "serial:{fake.link}@115200"\nstatus_timeout = 0.2\nwrite_timeout = 1.0',
            central=f'url = "{central.url}"\ntoken_file = "central.token"\nconnect_timeout = 0.5\nread_timeout = 1.0\n'
                    'batch_size = 20\nbatch_linger_seconds = 0.0\nbackoff_initial_seconds = 0.01\n'
                    'backoff_max_seconds = 0.1\nheartbeat_seconds = 1.0\npull_seconds = 1.0',
        )
        cfg = load_config(cfg_path)
        Store(cfg.store.path).close()
        ledger = Ledger()
        kills = {"issuer": 0, "agent": 0, "kiosk agent process": 0}
        rounds = 0
        agent_log = open(tmp_path / "kiosk-agent.log", "ab")
        with Store(cfg.store.path) as db:
            while sum(kills.values()) < kills_wanted:
                rounds += 1
                kind = rng.choices(("issuer", "agent", "both"), (0.45, 0.3, 0.25))[0]
                pids: list[tuple[str, int]] = []
                rfd = None
                if kind in ("issuer", "both"):
                    rfd, wfd = os.pipe()
                    pids.append(("issuer", _child(_issuer_body, cfg, rng.randrange(2**32), wfd, errfile)))
                    os.close(wfd)
                proc = None
                if kind in ("agent", "both"):
                    if rounds % real_agent_every == 0:
                        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(cfg_path), "agent"],
                                                stdout=agent_log, stderr=agent_log)
                    else:
                        pids.append(("agent", _child(_agent_body, cfg, errfile)))
                time.sleep(rng.uniform(0.3, 1.5) if proc else rng.uniform(0.0, 0.08))
                rng.shuffle(pids)
                for _what, pid in pids:
                    os.kill(pid, signal.SIGKILL)
                    if rng.random() < 0.3:
                        time.sleep(rng.uniform(0, 0.01))  # the other one goes on alone for a moment
                if proc is not None:
                    proc.kill()
                    proc.wait(10)
                    kills["kiosk agent process"] += 1
                for what, pid in pids:
                    _, status = os.waitpid(pid, 0)
                    died = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
                    assert died == signal.SIGKILL, (
                        f"the {what} child ended by itself: {Path(errfile).read_text() if Path(errfile).exists() else status}")
                    kills[what] += 1
                if rfd is not None:
                    ledger.read(rfd)
                check_database(db, ledger, full=rounds % 10 == 0)
            check_database(db, ledger, full=True)
            pending_after_kills = db.conn.execute("SELECT count(*) FROM tickets WHERE print_state = 'pending'").fetchone()[0]
            # The touchscreen comes back and, a minute later, staff open their screen: every print a
            # kill cut off is listed as failed (reprintable), none stays pending.
            staff = Lobby(cfg, db, MinuteLater()).staff_info()
            still_pending = db.conn.execute("SELECT count(*) FROM tickets WHERE print_state = 'pending'").fetchone()[0]
            assert still_pending == 0, f"{still_pending} tickets stay pending after a restart"
            assert len(staff.failed_today) == min(10, db.conn.execute(
                "SELECT count(*) FROM tickets WHERE print_state = 'print_failed' AND service_day = ?",
                (Lobby(cfg, db, Clock()).issuer.service_day().isoformat(),)).fetchone()[0])
        agent_log.close()
        final_sync(cfg)

    with Store(cfg.store.path) as db:
        kiosk_events = [r[0] for r in db.conn.execute("SELECT event_id FROM outbox ORDER BY seq")]
        kiosk_tickets = {t.id: t for t in db.iter_tickets()}
    held = [e["event_id"] for e in central_db.events("test-kiosk")]
    central_tickets = list(central_db.iter_tickets(kiosk_id="test-kiosk"))
    duplicated = (len(held) - len(set(held))) + (len(central_tickets) - len({t["id"] for t in central_tickets}))
    lost_events = set(kiosk_events) - set(held)
    lost_tickets = set(kiosk_tickets) - {t["id"] for t in central_tickets}
    record(
        "crash", title="Crash: SIGKILL issuer and agent", scale=scale, runs=rounds, faults=sum(kills.values()),
        tickets=len(kiosk_tickets), lost=len(lost_tickets) + len(lost_events), duplicated=duplicated,
        longest_stall_s=ledger.longest, stall_means="longest issue_and_print seen by an applicant",
        passed=not (duplicated or lost_events or lost_tickets or set(held) - set(kiosk_events)),
        details={"kills": kills, "events": len(kiosk_events), "numbers_shown": len(ledger.shown),
                 "prints_cut_off_by_a_kill": pending_after_kills, "printer_jobs": len(fake.jobs)},
    )
    assert not duplicated, "the central server holds an event or ticket twice"
    assert not lost_events and not lost_tickets, f"lost on the way: {len(lost_events)} events, {len(lost_tickets)} tickets"
    assert held == kiosk_events, "the server holds other events, or in another order"
    assert [t["id"] for t in central_tickets] == list(kiosk_tickets)
    for t in central_tickets:
        assert t["print_state"] == kiosk_tickets[t["id"]].print_state, "the server's print state differs"
    assert sum(kills.values()) >= kills_wanted
