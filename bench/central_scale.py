"""The central server at national scale: SQLite vs PostgreSQL, one and two server processes.

500 simulated kiosks (loopback only) each push an office day: every ticket issued and printed, as
`ticket.issued` + `ticket.printed` events in batches the size a busy kiosk's agent sends. At most
`--concurrency` pushes are in flight at once (the rest of the fleet waits its turn, as kiosks
spread over a day do). Four set-ups, each a fresh database, in the same run:

  sqlite x1   one `kiosk-central serve` on one SQLite file (WAL, synchronous=FULL): the baseline
  sqlite x2   two processes on that one file (they share its single write lock)
  pg x1       one process on PostgreSQL (a throwaway cluster, durable defaults: fsync on)
  pg x2       two processes on that PostgreSQL, kiosks spread over them round-robin

Printed side by side: events/s and push p95 (ms), each as a ratio to sqlite x1; busy answers
(503, retried after its Retry-After). Every set-up must end with every event stored exactly once
(TARGET). docs/central-scale.md holds the figures and where one SQLite server stops being enough.

`--quick`: 100 kiosks, a shorter day.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import requests  # noqa: E402
from support.postgres import Cluster  # noqa: E402
from targets import Targets  # noqa: E402

from central.auth import issue_token  # noqa: E402
from central.db import CentralDB  # noqa: E402

OFFICES = 125
SERVICE_DAY = "2026-11-27"


def office_day(kiosk_id: str, office: str, tickets: int) -> list[dict]:
    """Random (v4) ids, as kiosks before kiosk/ids.py sent them: the fleet's worst case for the
    server's indexes (today's kiosks send time-ordered ids; bench/sync.py --random-ids compares)."""
    events, seq = [], 0
    for n in range(1, tickets + 1):
        ticket = {"id": str(uuid.uuid4()), "kiosk_id": kiosk_id, "office": office, "number": f"A{n:03d}",
                  "service": "paspor-baru", "prefix": "A", "seq": n, "priority": None, "service_day": SERVICE_DAY,
                  "issued_at": f"{SERVICE_DAY}T08:{n // 60 % 60:02d}:{n % 60:02d}+07:00", "print_state": "pending"}
        for kind, state in (("ticket.issued", "pending"), ("ticket.printed", "printed")):
            seq += 1
            events.append({"event_id": str(uuid.uuid4()), "kind": kind, "kiosk_id": kiosk_id, "seq": seq,
                           "created_at": f"{SERVICE_DAY}T01:00:00.000+00:00",
                           "ticket": {**ticket, "print_state": state}})
    return events


class Server:
    def __init__(self, db_url: str, log: Path, threads: int):
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "central", "serve", "--db", db_url, "--listen", "127.0.0.1:0", "--threads",
             str(threads), "--per-client", "0", "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=log.open("w"), cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        deadline = time.monotonic() + 30
        while True:
            match = re.search(r"listening on (http://\S+)", log.read_text())
            if match:
                self.url = match.group(1)
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run_case(name: str, db_url: str, processes: int, args, work: Path) -> dict:
    db = CentralDB(db_url)
    fleet = {}
    for i in range(args.kiosks):
        kiosk_id, office = f"K{i:04d}", f"OFFICE{i % OFFICES:03d}"
        fleet[kiosk_id] = (office, issue_token(db, "kiosk", kiosk_id, office=office),
                           office_day(kiosk_id, office, args.tickets))
    servers = [Server(db_url, work / f"{name.replace(' ', '-')}-{n}.log", args.threads) for n in range(processes)]
    latencies: list[float] = []
    busy = [0]
    lock = threading.Lock()
    local = threading.local()

    def push_day(index_and_kiosk) -> None:
        index, kiosk_id = index_and_kiosk
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        office, token, events = fleet[kiosk_id]
        url = servers[index % processes].url + "/api/v1/events"
        headers = {"Authorization": f"Bearer {token}"}
        for start in range(0, len(events), args.batch):
            body = {"kiosk_id": kiosk_id, "office": office, "events": events[start:start + args.batch]}
            while True:
                began = time.perf_counter()
                r = session.post(url, json=body, headers=headers, timeout=60)
                took = time.perf_counter() - began
                if r.status_code == 503:
                    with lock:
                        busy[0] += 1
                    time.sleep(float(r.headers.get("Retry-After", "1")))
                    continue
                r.raise_for_status()
                with lock:
                    latencies.append(took)
                break

    began = time.perf_counter()
    try:
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(push_day, enumerate(fleet)))
        elapsed = time.perf_counter() - began
    finally:
        for server in servers:
            server.stop()
    stored, distinct = db.conn().execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone()
    db.close()
    expected = args.kiosks * args.tickets * 2
    return {"name": name, "events_s": expected / elapsed, "p95_ms": 1000 * statistics.quantiles(latencies, n=20)[-1],
            "busy": busy[0], "exactly_once": stored == distinct == expected, "stored": stored, "expected": expected,
            "seconds": elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 kiosks, a shorter day")
    parser.add_argument("--kiosks", type=int, default=500)
    parser.add_argument("--tickets", type=int, default=120, help="tickets per kiosk per day (2 events each)")
    parser.add_argument("--batch", type=int, default=20, help="events per push")
    parser.add_argument("--concurrency", type=int, default=32, help="pushes in flight at once")
    parser.add_argument("--threads", type=int, default=8, help="worker threads per server process")
    args = parser.parse_args()
    if args.quick:
        args.kiosks, args.tickets = 100, 40

    targets = Targets("central_scale")
    work = REPO / "var" / f"bench-central-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(durable=True).start()
    results = []
    try:
        for name, processes in (("sqlite x1", 1), ("sqlite x2", 2), ("pg x1", 1), ("pg x2", 2)):
            if name.startswith("sqlite"):
                url = str(work / f"{name.replace(' ', '-')}.db")
            else:
                url = cluster.url(cluster.new_schema("bench"))
            print(f"== {name}: {args.kiosks} kiosks x {args.tickets * 2} events, batches of {args.batch}, "
                  f"{args.concurrency} in flight", flush=True)
            results.append(run_case(name, url, processes, args, work))
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)

    base = results[0]
    print(f"\n{'set-up':<11} {'events/s':>9} {'ratio':>6} {'push p95 ms':>12} {'ratio':>6} {'busy 503':>9} {'seconds':>8}")
    for r in results:
        print(f"{r['name']:<11} {r['events_s']:>9.0f} {r['events_s'] / base['events_s']:>5.2f}x {r['p95_ms']:>12.1f} "
              f"{r['p95_ms'] / base['p95_ms']:>5.2f}x {r['busy']:>9} {r['seconds']:>8.1f}")
    print(f"(cores: {os.cpu_count()}; ratios against sqlite x1 measured in this run)\n")
    for r in results:
        targets.holds(f"{r['name']}: every event stored exactly once ({r['stored']} of {r['expected']})",
                      r["exactly_once"])
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
