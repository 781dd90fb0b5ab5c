"""Ticket-log export at scale, against the database's own speed measured in the same run.

For 10,000 and 100,000 tickets, interleaved over several rounds (each round runs every path once,
in a rotated order, so drifting load on the machine hits them alike):
  - floor: the sqlite3 command-line tool dumping the same rows as JSON (`sqlite3 -json`);
  - reference: a bare Python loop over the same query (a process that reads every row);
  - the log API (the agent's server in its own process, paged with after=cursor) and
    `kiosk export` (its own process, to a file).
Targets (issue 19), each the median of per-round ratios: the log API and `kiosk export` within
2x the sqlite3 dump for 100,000 tickets; peak RSS at 100,000 within 1.25x of the same path at
10,000 (memory flat in N). Exit status 1 when a target is missed.

    .venv/bin/python bench/export.py [--sizes 10000,100000] [--page 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from targets import Targets, median_ratio  # noqa: E402

from kiosk.store import Store, Ticket  # noqa: E402
from kiosk.store.db import TICKET_COLUMNS  # noqa: E402

TIME_RATIO = 2.0
MEMORY_RATIO = 1.25  # 10x the records; the former absolute target (+10 MB on ~40 MB) in ratio form
QUERY = f"SELECT {TICKET_COLUMNS} FROM tickets ORDER BY cursor"
# Peak RSS is the process's own VmHWM, read as it exits: getrusage/wait4 would report at least the
# bench's own size, which a child forked from it inherits as its high-water mark.
PEAK_RSS = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
BARE_LOOP = textwrap.dedent(f"""
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1])
    n = 0
    for row in conn.execute(sys.argv[2]):
        n += 1
    print(n, {PEAK_RSS})
""")
# `python -m kiosk ...` with its peak RSS (kB) written, as it exits, to the pipe the bench passed.
KIOSK_WITH_PEAK = textwrap.dedent(f"""
    import atexit, os, runpy, sys
    atexit.register(lambda: os.write(int(os.environ["BENCH_PEAK_FD"]), str({PEAK_RSS}).encode()))
    sys.argv[0] = "kiosk"
    runpy.run_module("kiosk", run_name="__main__", alter_sys=True)
""")

SERVER = textwrap.dedent(f"""
    import sys
    from kiosk.config import load_config
    from kiosk.logapi import start_server
    server = start_server(load_config(sys.argv[1]))
    print(server.url, flush=True)
    sys.stdin.read()  # until the bench closes our stdin
    server.stop()
    print({PEAK_RSS}, flush=True)
""")


def fill(path: Path, n: int) -> float:
    """n tickets through Store in one transaction (the Issuer's rules are not what is measured)."""
    started = time.perf_counter()
    with Store(path) as store, store.transaction():
        for i in range(1, n + 1):
            store.insert_ticket(Ticket(
                id=str(uuid.UUID(int=i)), kiosk_id="bench-kiosk", number=f"A{i % 1000:03d}", service="paspor-baru",
                prefix="A", seq=i % 1000, priority=None, service_day=f"2026-{1 + i // 28000:02d}-{1 + i // 1000 % 28:02d}",
                issued_at="2026-11-27T08:00:00+07:00", mono_ns=i, boot_id="bench", clock_trusted=True,
            ))
    return time.perf_counter() - started


def write_config(folder: Path, page: int) -> Path:
    token = folder / "log.token"
    token.write_text(secrets.token_urlsafe(32) + "\n")
    token.chmod(0o600)
    (folder / "services.toml").write_text((REPO / "config/services.toml").read_text())
    path = folder / "kiosk.toml"
    path.write_text(textwrap.dedent(f"""
        [kiosk]
        id = "bench-kiosk"
        office_code = "BENCH"
        office_name = "Bench"
        catalogue = "services.toml"
        [store]
        path = "kiosk.db"
        [agent]
        listen = "127.0.0.1:0"
        log_token_file = "log.token"
        log_page_max = {page}
        log_rate_per_second = 1000.0
        log_rate_burst = 1000
    """))
    return path


def child_env() -> dict:
    return {**{k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}, "PYTHONPATH": str(REPO)}


class LogApi:
    """The log API in its own process for all rounds of one size; its peak RSS read at the end."""

    def __init__(self, config: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, str(config)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=child_env())
        self.url = self.proc.stdout.readline().strip()
        self.headers = {"Authorization": "Bearer " + (config.parent / "log.token").read_text().strip()}

    def fetch_all(self, n: int, page: int) -> float:
        session = requests.Session()
        started = time.perf_counter()
        after, count = 0, 0
        while True:
            r = session.get(f"{self.url}/api/v1/tickets", params={"after": after, "limit": page},
                            headers=self.headers, timeout=(3, 60), stream=True)
            r.raise_for_status()
            tail, got = b"", 0
            for chunk in r.iter_content(chunk_size=256 * 1024):
                got += chunk.count(b"\n")
                tail = (tail + chunk)[-4096:]
            count += got
            if got < page:
                break
            last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
            after = json.loads(last)["cursor"]
        elapsed = time.perf_counter() - started
        session.close()
        assert count == n, f"the API returned {count} records, expected {n}"
        return elapsed

    def stop(self) -> float:
        """Peak RSS of the server process, MB."""
        try:
            self.proc.stdin.close()
            rss_kb = int(self.proc.stdout.readline())
            self.proc.wait(10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return rss_kb / 1024


def timed(argv: list[str], out: Path) -> tuple[float, float, str]:
    """Run a process with stdout to `out`: wall seconds, peak RSS (MB, if it writes it to BENCH_PEAK_FD),
    and stdout's first 200 bytes."""
    peak_r, peak_w = os.pipe()
    started = time.perf_counter()
    with open(out, "wb") as f:
        proc = subprocess.Popen(argv, stdout=f, env={**child_env(), "BENCH_PEAK_FD": str(peak_w)}, pass_fds=(peak_w,))
        os.close(peak_w)
        status = proc.wait()
    elapsed = time.perf_counter() - started
    peak_kb = os.read(peak_r, 64)
    os.close(peak_r)
    assert status == 0, f"{argv[:3]} failed"
    with open(out, "rb") as f:
        return elapsed, int(peak_kb or 0) / 1024, f.read(200).decode("utf-8", "replace")


def count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def run_size(folder: Path, n: int, page: int, rounds: int) -> dict[str, list[float]]:
    """Seconds per path per round, and peak RSS (MB) per path under the key 'rss:<path>'."""
    config = write_config(folder, page)
    db = folder / "kiosk.db"
    fill(db, n)
    sqlite3_tool = shutil.which("sqlite3")
    assert sqlite3_tool, "the sqlite3 command-line tool is not installed (make debs)"
    api = LogApi(config)
    out = folder / "out"
    paths = {
        "sqlite3 -json": lambda: timed([sqlite3_tool, "-json", str(db), QUERY], out),
        "bare Python loop": lambda: timed([sys.executable, "-c", BARE_LOOP, str(db), QUERY], out),
        "kiosk export": lambda: timed([sys.executable, "-c", KIOSK_WITH_PEAK, "--config", str(config), "export"], out),
        "log API": lambda: (api.fetch_all(n, page), 0.0, ""),
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    rss: dict[str, float] = {}
    names = list(paths)
    try:
        for r in range(rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                elapsed, peak, head = paths[name]()
                times[name].append(elapsed)
                rss[name] = max(rss.get(name, 0.0), peak)
                if name == "kiosk export":
                    assert count_lines(out) == n, f"kiosk export wrote {count_lines(out)} records, expected {n}"
                elif name == "bare Python loop":
                    assert head.split()[0] == str(n), f"the bare loop read {head.split()[0]} rows, expected {n}"
                    rss[name] = max(rss[name], int(head.split()[1]) / 1024)
    finally:
        rss["log API"] = api.stop()
    return {**times, **{f"rss:{k}": [v] for k, v in rss.items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--page", type=int, default=10000, help="records per API request (agent.log_page_max)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per size (default 5)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        for n in sizes:
            folder = Path(tmp) / str(n)
            folder.mkdir()
            results[n] = res = run_size(folder, n, args.page, args.rounds)
            floor = res["sqlite3 -json"]
            print(f"{n:>7} tickets, median of {args.rounds} interleaved rounds:")
            for name in ("sqlite3 -json", "bare Python loop", "kiosk export", "log API"):
                peak = res["rss:" + name][0]
                print(f"    {name:<17} {statistics.median(res[name]):6.2f} s  {median_ratio(res[name], floor):5.2f}x sqlite3"
                      f"   peak RSS {f'{peak:5.1f} MB' if peak else 'not measured'}", flush=True)
    targets = Targets("export")
    big, small = sizes[-1], sizes[0]
    for name in ("log API", "kiosk export"):
        targets.at_most(f"{name}, {big:,} tickets", median_ratio(results[big][name], results[big]["sqlite3 -json"]),
                        TIME_RATIO, baseline="the sqlite3 -json dump",
                        note=f"{statistics.median(results[big][name]):.2f} s")
    if big != small:
        for name in ("log API", "kiosk export"):
            grow = results[big]["rss:" + name][0] / results[small]["rss:" + name][0]
            targets.at_most(f"{name} peak RSS, {big:,} tickets", grow, MEMORY_RATIO,
                            baseline=f"the same at {small:,}",
                            note=f"{results[small]['rss:' + name][0]:.1f} -> {results[big]['rss:' + name][0]:.1f} MB")
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
