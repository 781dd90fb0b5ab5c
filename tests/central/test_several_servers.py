"""Exactly once with several `kiosk-central serve` processes on one PostgreSQL (issue 15).

Real processes: two servers on one database, kiosks spreading their pushes over both, each push
racing an overlapping retry of itself on the other server, and a server SIGKILLed mid-load (and
started again) more than once. The database's constraints and transactions are what keeps every
event once and each kiosk's events in its order, and a counter call to one ticket only: the
servers share no memory.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from support.waiting import stop_process, wait_for

from central import counter_queue
from central.auth import issue_token
from central.db import CentralDB

REPO = Path(__file__).resolve().parents[2]
KIOSKS = 6
EVENTS_PER_KIOSK = 240
OFFICE = "BLITAR"


class Server:
    """One `kiosk-central serve` process; `url` once it listens."""

    def __init__(self, db_url: str, log: Path):
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "central", "serve", "--db", db_url, "--listen", "127.0.0.1:0",
             "--threads", "4", "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=log.open("w"), cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        self.url = wait_for(f"{log.name} to listen", self._listening, timeout=30)

    def _listening(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"server exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
        match = re.search(r"listening on (http://\S+)", self.log.read_text())
        return match.group(1) if match else None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def day_of_events(make_event, kiosk_id: str) -> list[dict]:
    """A kiosk's outbox: each ticket issued, then most of them printed, in outbox (seq) order."""
    events, seq = [], 0
    for n in range(1, EVENTS_PER_KIOSK // 2 + 1):
        seq += 1
        issued = make_event(n, kiosk_id=kiosk_id)
        issued["seq"] = seq
        events.append(issued)
        seq += 1
        printed = make_event(n, kiosk_id=kiosk_id, kind="ticket.printed", ticket_id=issued["ticket"]["id"])
        printed["seq"], printed["ticket"]["print_state"] = seq, "printed"
        events.append(printed)
    return events


def test_two_servers_one_postgresql_every_event_once_in_kiosk_order(postgres_cluster, tmp_path, make_event):
    schema = postgres_cluster.new_schema("multi")
    url = postgres_cluster.url(schema)
    db = CentralDB(url)
    kiosks = {f"K{i}": issue_token(db, "kiosk", f"K{i}", office=OFFICE) for i in range(KIOSKS)}
    outboxes = {k: day_of_events(make_event, k) for k in kiosks}
    servers = [Server(url, tmp_path / "a.log"), Server(url, tmp_path / "b.log")]
    lock = threading.Lock()
    failures = {"connection": 0, "busy": 0, "killed_in_transaction": 0}
    stop_killing, kills_done = threading.Event(), threading.Event()
    rng = random.Random(15)

    def post(server_url: str, kiosk_id: str, batch: list[dict]) -> set[str]:
        """The event ids the server says it holds; none if the push failed (as a kiosk sees it)."""
        try:
            r = requests.post(f"{server_url}/api/v1/events", timeout=15,
                              headers={"Authorization": f"Bearer {kiosks[kiosk_id]}"},
                              json={"kiosk_id": kiosk_id, "office": OFFICE, "events": batch})
        except requests.RequestException:
            with lock:
                failures["connection"] += 1
            return set()
        if r.status_code == 503:
            with lock:
                failures["busy"] += 1
            return set()
        assert r.status_code == 200, r.text
        assert not [x for x in r.json()["rejected"] if not x["retry"]], r.text
        return set(r.json()["accepted"])

    def kiosk_day(kiosk_id: str) -> None:
        outbox, head, krng = outboxes[kiosk_id], 0, random.Random(kiosk_id)
        with ThreadPoolExecutor(2) as pool:
            # Until the kills are done a kiosk whose outbox is delivered resends its last batch (as
            # one that lost the answer does): the load, and so the kills mid-batch, go on.
            while head < len(outbox) or not kills_done.is_set():
                # The push and a retry of it (a longer batch from the same head) race on both servers.
                first, second = krng.sample(servers, 2)
                size = krng.randint(20, 60)
                if head == len(outbox):
                    pool.submit(post, first.url, kiosk_id, outbox[-size:]).result()
                    continue
                a = pool.submit(post, first.url, kiosk_id, outbox[head:head + size])
                b = pool.submit(post, second.url, kiosk_id, outbox[head:head + size + krng.randint(0, 30)])
                held = a.result() | b.result()
                while head < len(outbox) and outbox[head]["event_id"] in held:
                    head += 1

    def in_transaction(pid: int) -> bool:
        return db.conn().execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = ? "
                                 "AND xact_start IS NOT NULL", (f"kiosk-central/{pid}",)).fetchone()[0] > 0

    def killer() -> None:
        try:
            kill_three()
        finally:
            kills_done.set()

    def kill_three() -> None:
        for _ in range(3):
            if stop_killing.wait(rng.uniform(0.2, 0.5)):
                return
            victim = rng.randrange(len(servers))
            # Mid-batch: the moment the database shows one of its transactions open.
            deadline, seen = time.monotonic() + 3, False
            while not seen and time.monotonic() < deadline:
                seen = in_transaction(servers[victim].proc.pid)
            servers[victim].kill()
            failures["killed_in_transaction"] += seen
            servers[victim] = Server(url, tmp_path / f"restart-{victim}-{time.monotonic_ns()}.log")

    chaos = threading.Thread(target=killer)
    chaos.start()
    try:
        with ThreadPoolExecutor(KIOSKS) as pool:
            list(pool.map(kiosk_day, kiosks))
    finally:
        stop_killing.set()
        kills_done.set()
        chaos.join(60)
        for server in servers:
            stop_process(server.proc)

    for kiosk_id, outbox in outboxes.items():
        stored = [e["event_id"] for e in db.events(kiosk_id)]
        assert stored == [e["event_id"] for e in outbox], f"{kiosk_id}: events lost, doubled or out of order"
        tickets = list(db.iter_tickets(kiosk_id=kiosk_id))
        assert len(tickets) == EVENTS_PER_KIOSK // 2
        assert {t["print_state"] for t in tickets} == {"printed"}
    total = db.conn().execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone()
    assert tuple(total) == (KIOSKS * EVENTS_PER_KIOSK,) * 2
    assert failures["connection"] > 0, "no push was cut off by a killed server: the test did not test that"
    assert failures["killed_in_transaction"] > 0, "no server was killed inside a transaction"
    db.close()


def test_counters_on_different_processes_never_call_the_same_ticket(postgres_cluster, make_event):
    url = postgres_cluster.url(postgres_cluster.new_schema("calls"))
    db = CentralDB(url)
    issue_token(db, "kiosk", "K1", office=OFFICE)
    db.ingest("K1", OFFICE, [make_event(n) for n in range(1, 41)])
    called: list[str] = []
    start = threading.Barrier(4)

    def counter(name: str) -> None:
        own = CentralDB(url)  # its own connection, as another server process has
        start.wait()
        while (ticket := counter_queue.call_next(own, OFFICE, "A", name, f"token:{name}")) is not None:
            called.append(ticket["id"])
        own.close()

    threads = [threading.Thread(target=counter, args=(f"desk-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(called) == sorted(t["id"] for t in db.iter_tickets()), "a ticket called twice or never"
    db.close()
