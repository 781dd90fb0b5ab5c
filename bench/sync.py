"""Sync throughput and its cost to the applicant, each a ratio to a baseline measured in the same run.

1. Drain: outbox events into the reference server (its own process, loopback), batched at the
   server's cap (central.batch_size = 500, central/app.py MAX_BATCH) and one request per event,
   interleaved over rounds; events/s each and the median of the per-round ratios.
   Target: batched at least 40x the per-event rate.
2. Issue latency (Issuer.issue, p95) with `kiosk agent` running as its own process, under
   `ionice -c3` as systemd/kiosk-agent.service runs it (IOSchedulingClass=idle; its CPU policy is
   agent.cpu_policy, SCHED_IDLE, applied by the agent), while the server is up (the agent draining
   a backlog), down (connection refused) and black-holed (connects, never answers), against an idle
   baseline (no agent), the cases interleaved in rounds. Target: each p95 within 1.10x of the idle
   one. The server stands in for another machine: it runs under SCHED_IDLE with its database in
   memory, so its CPU and disk are not charged to the kiosk.

Exit status 1 when a target is missed. `--quick` runs a smaller version.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from support.kiosk_env import write_config  # noqa: E402
from targets import Targets, median_ratio  # noqa: E402

from central.app import MAX_BATCH  # noqa: E402
from kiosk.agent.client import CentralClient  # noqa: E402
from kiosk.agent.loop import Agent  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.ids import time_ordered_id  # noqa: E402
from kiosk.issuer import Issuer  # noqa: E402
from kiosk.numbering import format_number  # noqa: E402
from kiosk.store import Store, Ticket  # noqa: E402
from kiosk.store import db as store_db  # noqa: E402

SHM = "/dev/shm" if os.path.isdir("/dev/shm") else None
BACKLOG_PREFIXES = "WXYZ"  # backlog tickets never share a number series with the measured issues
BLOCK = (1, 9999)
DRAIN_RATIO = 40.0
LATENCY_RATIO = 1.10
# The agent's IO class as its systemd unit sets it (IOSchedulingClass=idle).
IONICE = ["ionice", "-c", "3"] if shutil.which("ionice") else []
# What one lever is worth: `--compare LEVER` adds a case "draining, without LEVER" (or "server
# down, without LEVER" for a lever of the down case, LEVER_CASE) to the same interleaved rounds
# (`--without LEVER` undoes it in every case). The agent runs with it undone through this
# wrapper, which patches the agent's module constants before `kiosk agent` starts.
LEVERS = {
    "ionice": "",
    "idle-cpu-policy": "import os; os.sched_setscheduler = lambda *a: (_ for _ in ()).throw(OSError('lever off'))",
    "nice": "import os; os.nice = lambda n: 0",
    "marks-without-fsync": "db.Store.relax_durability = lambda self: None",
    "own-wal-flush": "db.Store._flush_wal = lambda self: None",
    "small-mark-transactions": "db.MARK_CHUNK = 10**9",
    "ui-pauses": "loop.YIELD_S = 0.0",
    "held-marks": "marks.HeldMarks.hold = lambda self, ids: self.store.mark_delivered(ids)",
    "quiet-checkpoint": "db.Store.checkpoint = lambda self: None",
    "held-attempts": "marks.HeldMarks.note_attempt = lambda self, ids, error: self.store.note_attempt(ids, error)",
}
LEVER_CASE = {"held-attempts": "server down"}
AGENT = textwrap.dedent("""
    import sys
    from kiosk.store import db
    from kiosk.agent import loop, marks
    {patches}
    from kiosk.cli.main import main
    sys.exit(main(sys.argv[1:]))
""")


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94]


class Central:
    """`kiosk-central serve` in its own process: in production it is another machine."""

    def __init__(self, folder: Path, prefix: list[str] = ()):
        """`prefix`: a command that runs the server (`chrt --idle 0`: every thread it starts inherits it)."""
        folder.mkdir(parents=True, exist_ok=True)
        self.db = folder / "central.db"
        self.log = folder / "central.log"
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [*prefix, sys.executable, "-m", "central", "serve", "--db", str(self.db), "--listen", "127.0.0.1:0",
                 "--log-level", "warning"],
                stderr=log, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
            )
        deadline = time.monotonic() + 20
        self.url = None
        while self.url is None and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kiosk-central exited while starting: {self.log.read_text()}")
            match = re.search(r"listening on (http://\S+)", self.log.read_text())
            self.url = match.group(1) if match else None
            time.sleep(0.05)
        if self.url is None:
            self.proc.kill()
            raise RuntimeError("kiosk-central did not start within 20 s")

    def token(self, kiosk_id: str) -> str:
        return subprocess.run([sys.executable, "-m", "central", "tokens", "add", kiosk_id, "--db", str(self.db)],
                              capture_output=True, text=True, check=True, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)}).stdout.strip()

    def count_events(self) -> int:
        import sqlite3

        with sqlite3.connect(self.db) as conn:
            return conn.execute("SELECT count(*) FROM events").fetchone()[0]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(15)


class Kiosk:
    def __init__(self, folder: Path, kiosk_id: str, url: str, token: str, central_extra: str = ""):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "central.token").write_text(token + "\n")
        (folder / "central.token").chmod(0o600)
        self.folder, self.kiosk_id, self.token = folder, kiosk_id, token
        self.path = self.write(url, central_extra)
        self.config = load_config(self.path)
        self.store = Store(self.config.store.path)

    def write(self, url: str, central_extra: str = "", name: str = "kiosk.toml") -> Path:
        central = f'url = "{url}"\ntoken_file = "central.token"\nbatch_linger_seconds = 0.0\n{central_extra}'
        # Written beside the others (same services.toml, token and database), under its own name.
        scratch = self.folder / f".{name}.d"
        written = write_config(scratch, kiosk=f'id = "{self.kiosk_id}"\nnumber_block = [1, 9999]',
                               quota=9999, central=central)
        path = self.folder / name
        if not (self.folder / "services.toml").exists():
            (scratch / "services.toml").rename(self.folder / "services.toml")
        written.rename(path)
        return path

    def add_backlog(self, n: int, new_id=time_ordered_id) -> None:
        """n `ticket.issued` events as the issuer writes them, in one transaction per 1000; ids from
        `new_id` (the kiosk's own, or uuid4 to measure what time-ordered ids are worth)."""
        issuer = Issuer(self.config, self.store)
        day = issuer.service_day().isoformat()
        now = issuer.clock.now()
        made = 0
        while made < n:
            with self.store.transaction():
                for _ in range(min(1000, n - made)):
                    prefix = BACKLOG_PREFIXES[made % len(BACKLOG_PREFIXES)]
                    seq = (self.store.last_seq(day, prefix) or 0) + 1
                    ticket = self.store.insert_ticket(Ticket(
                        id=new_id(), kiosk_id=self.kiosk_id, number=format_number(prefix, seq, BLOCK),
                        service="pengambilan", prefix=prefix, seq=seq, priority=None, service_day=day,
                        issued_at=now.astimezone(issuer.tz).isoformat(timespec="seconds"),
                        mono_ns=issuer.clock.monotonic_ns(), boot_id=issuer.clock.boot_id(), clock_trusted=True,
                    ))
                    self.store.set_last_seq(day, prefix, seq)
                    event_ids, store_db.time_ordered_id = store_db.time_ordered_id, new_id
                    try:
                        self.store.add_event("ticket.issued", ticket, now.isoformat(timespec="milliseconds"))
                    finally:
                        store_db.time_ordered_id = event_ids
                    made += 1
        # Fold the backlog's write-ahead log into the database now, so the first measured issue
        # does not pay for a checkpoint of pages this set-up wrote. RESTART, not TRUNCATE: the
        # next commits reuse the WAL file as SQLite does on a kiosk, instead of growing an empty
        # one (every fsync that extends a file also commits the file system's journal).
        self.store.conn.execute("PRAGMA wal_checkpoint(RESTART)")

    def close(self) -> None:
        self.store.close()


# 1. drain throughput -------------------------------------------------------------------------

def drain_rate(kiosk: Kiosk) -> tuple[int, float]:
    depth = kiosk.store.outbox_stats().depth
    kiosk.store.relax_durability()  # as `kiosk agent` runs
    agent = Agent(kiosk.config, kiosk.store, CentralClient(kiosk.config.central))
    started = time.perf_counter()
    report = agent.sync_once(pull=False)
    elapsed = time.perf_counter() - started
    agent.client.close()
    if report.pending:
        raise RuntimeError(f"drain stopped with {report.pending} pending: {report.error}")
    return depth, elapsed


# 2. issue latency while the agent works ------------------------------------------------------

def issue_samples(issuer: Issuer, n: int, interval: float) -> list[tuple[float, float]]:
    """(wall-clock start, duration) of n issues, one every `interval` seconds, like a busy lobby."""
    out = []
    for _ in range(n):
        wall, start = time.time(), time.perf_counter()
        issuer.issue("A")
        out.append((wall, time.perf_counter() - start))
        time.sleep(interval)
    return out


def drain_finished_at(store: Store) -> float:
    """Wall-clock time of the last delivery mark (the store stamps them in UTC)."""
    from datetime import datetime, timezone

    stamp = store.conn.execute("SELECT max(delivered_at) FROM outbox").fetchone()[0]
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def start_agent(config_path: Path, store: Store, without: set[str] = frozenset()) -> subprocess.Popen:
    patches = "; ".join(LEVERS[lever] for lever in sorted(without) if LEVERS[lever]) or "pass"
    ionice = [] if "ionice" in without else IONICE
    proc = subprocess.Popen([*ionice, sys.executable, "-c", AGENT.format(patches=patches), "--config", str(config_path),
                             "agent", "--log-level", "error"], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = store.get_state("agent.status") or {}
        if status.get("state") == "running" and status.get("pid") == proc.pid:
            # Past its start-up (imports, first pull and heartbeat): what is measured is the agent
            # at work, not a Python process starting.
            time.sleep(1.0)
            return proc
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("kiosk agent did not start")


def stop_agent(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def black_hole() -> socket.socket:
    """A listener that never accepts: connects complete in the kernel, requests get no answer."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def random_id() -> str:
    return str(uuid.uuid4())


def drain_rounds(tmp: Path, central: Central, events: int, per_event: int, rounds: int,
                 random_ids: bool = False) -> dict[str, list[float]]:
    """Events/s of a batched and a per-event drain, alternating which goes first, per round; with
    `random_ids`, a third case: batched, its tickets and events named by uuid4 instead."""
    cases = [("batched", MAX_BATCH, events, time_ordered_id), ("per-event", 1, per_event, time_ordered_id)]
    if random_ids:
        cases.append(("batched, uuid4 ids", MAX_BATCH, events, random_id))
    rates: dict[str, list[float]] = {name: [] for name, *_ in cases}
    for r in range(rounds):
        for name, batch, n, new_id in cases[r % len(cases):] + cases[:r % len(cases)]:
            kid = f"b{len(rates[name])}-{name.split(',')[0]}{'-v4' if new_id is random_id else ''}-{r}"
            kiosk = Kiosk(tmp / kid, kid, central.url, central.token(kid), f"batch_size = {batch}")
            kiosk.add_backlog(n, new_id)
            depth, elapsed = drain_rate(kiosk)
            kiosk.close()
            rates[name].append(depth / elapsed)
            print(f"  round {r + 1} {name:<18} batch {batch:>3}: {depth:>6} events in {elapsed:6.2f} s = "
                  f"{depth / elapsed:7.0f} events/s", flush=True)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000, help="batched drain backlog per round (default 10000)")
    parser.add_argument("--per-event", type=int, default=500, help="per-event drain backlog per round (default 500)")
    parser.add_argument("--drain-rounds", type=int, default=5, help="interleaved drain rounds (default 5)")
    parser.add_argument("--random-ids", action="store_true", help="add a batched case whose ids are uuid4 "
                                                                   "(what time-ordered ids are worth)")
    parser.add_argument("--samples", type=int, default=1200, help="issues per latency case (default 1200)")
    parser.add_argument("--interval", type=float, default=0.005, help="seconds between issues (default 0.005)")
    parser.add_argument("--rounds", type=int, default=24, help="latency cases interleaved over this many rounds")
    parser.add_argument("--backlog", type=int, default=5000, help="events the agent drains per latency round")
    parser.add_argument("--agent-batch", type=int, default=MAX_BATCH, help=f"the draining agent's central.batch_size "
                                                                          f"(default {MAX_BATCH})")
    parser.add_argument("--skip-drain", action="store_true", help="only the issue latency part")
    parser.add_argument("--skip-latency", action="store_true", help="only the drain part")
    parser.add_argument("--compare", default="", help="comma-separated levers: each adds a draining (or server "
                                                       "down) case without it")
    parser.add_argument("--without", default="", help="comma-separated levers the agent runs without, to measure "
                                                       f"them: {', '.join(LEVERS)}")
    parser.add_argument("--quick", action="store_true", help="2,000 + 200 events, 2 drain rounds; 200 issues per case, 4 rounds")
    args = parser.parse_args()
    if args.quick:
        args.events, args.per_event, args.drain_rounds, args.samples, args.rounds = 2000, 200, 2, 200, 4
    without = {lever for lever in args.without.split(",") if lever}
    compare = [lever for lever in args.compare.split(",") if lever]
    unknown = (without | set(compare)) - set(LEVERS)
    if unknown:
        parser.error(f"unknown lever {sorted(unknown)[0]!r}; known: {', '.join(LEVERS)}")
    targets = Targets("sync")

    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        tmp = Path(tmp)
        central = Central(tmp / "central")
        try:
            if not args.skip_drain:
                print(f"== drain into kiosk-central ({central.url}): {args.events} events batched, {args.per_event} "
                      f"one request each, interleaved over {args.drain_rounds} rounds", flush=True)
                rates = drain_rounds(tmp, central, args.events, args.per_event, args.drain_rounds, args.random_ids)
                batched, per_event = (statistics.median(rates[k]) for k in ("batched", "per-event"))
                print(f"batched {batched:.0f} events/s ({args.events} drained in {args.events / batched:.2f} s), "
                      f"per-event {per_event:.0f} events/s (medians)")
                if args.random_ids:
                    print(f"batched with uuid4 ids {statistics.median(rates['batched, uuid4 ids']):.0f} events/s: "
                          f"{median_ratio(rates['batched, uuid4 ids'], rates['per-event']):.2f}x one request per "
                          f"event, {median_ratio(rates['batched, uuid4 ids'], rates['batched']):.2f}x time-ordered ids")
                targets.at_least(f"batched drain (batch_size {MAX_BATCH}) events/s",
                                 median_ratio(rates["batched"], rates["per-event"]), DRAIN_RATIO,
                                 baseline="one request per event")

            if args.skip_latency:
                return targets.finish()
            # In production the server is another machine. Here a second one stands in for it: its
            # database in memory (/dev/shm) so its fsyncs do not queue on the kiosk's disk, and the
            # idle CPU policy so it does not take the CPU from the kiosk processes measured.
            remote_dir = tempfile.TemporaryDirectory(dir=SHM, prefix="bench-central-")
            remote = Central(Path(remote_dir.name), ["chrt", "--idle", "0"])
            print(f"\n== issue latency, {args.samples} issues per case one every {args.interval * 1000:.0f} ms, "
                  f"kiosk agent in its own process ({' '.join(IONICE) or 'no ionice'}, agent.cpu_policy idle"
                  f"{'; without ' + ', '.join(sorted(without)) if without else ''}); "
                  f"cases interleaved over {args.rounds} rounds", flush=True)
            kiosk = Kiosk(tmp / "lobby", "bench-lobby", remote.url, remote.token("bench-lobby"),
                          f"batch_size = {args.agent_batch}")
            issuer = Issuer(kiosk.config, kiosk.store)
            issue_samples(issuer, 50, args.interval)  # warm caches before any figure
            hole = black_hole()
            down = kiosk.write(f"http://127.0.0.1:{closed_port()}", name="down.toml")
            configs = {
                "server down": (down, without),
                "black-holed": (kiosk.write(f"http://127.0.0.1:{hole.getsockname()[1]}", name="hole.toml"), without),
                "server up, draining": (kiosk.path, without),
            }
            lever_paths = {"server down": down, "draining": kiosk.path}
            for lever in compare:
                case = LEVER_CASE.get(lever, "draining")
                configs[f"{case}, without {lever}"] = (lever_paths[case], without | {lever})
            # Interleaved in rounds, so the machine's other load drifting over the run hits every
            # case alike instead of passing for the agent's cost.
            results: dict[str, list[float]] = {"idle (no agent)": [], **{name: [] for name in configs}}
            per_round = max(1, args.samples // args.rounds)
            overlapped = 0
            for r in range(args.rounds):
                order = list(configs.items())
                order = order[r % len(order):] + order[:r % len(order)]
                results["idle (no agent)"] += [d for _, d in issue_samples(issuer, per_round, args.interval)]
                for name, (config_path, undone) in order:
                    draining = "draining" in name
                    agent = start_agent(config_path, kiosk.store, undone)
                    try:
                        if draining:
                            kiosk.add_backlog(args.backlog)
                        samples = issue_samples(issuer, per_round, args.interval)
                        if draining:
                            deadline = time.monotonic() + 120
                            while kiosk.store.outbox_stats().depth and time.monotonic() < deadline:
                                time.sleep(0.05)
                            drain_end = drain_finished_at(kiosk.store)
                            samples = [(start, d) for start, d in samples if start < drain_end]
                            overlapped += len(samples)
                        results[name] += [d for _, d in samples]
                    finally:
                        stop_agent(agent)
            hole.close()
            drains = per_round * args.rounds * sum("draining" in name for name in configs)
            print(f"  (draining: {overlapped} of {drains} issues ran while the agent was draining "
                  f"a backlog of {args.backlog}; only those count)")
            base = p95(results["idle (no agent)"])
            for name, samples in results.items():
                ms = sorted(s * 1000 for s in samples)
                print(f"{name:<44} p50 {statistics.median(ms):6.2f} ms   p95 {p95(ms):6.2f} ms   max {ms[-1]:6.2f} ms"
                      f"   p95 {p95(ms) / (base * 1000):.2f}x idle")
            for name in ("server down", "black-holed", "server up, draining"):
                targets.at_most(f"issue p95, agent running, {name}", p95(results[name]) / base, LATENCY_RATIO,
                                baseline="idle (no agent)", note=f"{p95(results[name]) * 1000:.2f} vs {base * 1000:.2f} ms")
            kiosk.close()
            remote.stop()
            remote_dir.cleanup()
        finally:
            central.stop()
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
