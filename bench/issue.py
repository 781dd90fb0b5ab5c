"""Issue latency through the public API (Issuer.issue, synchronous=FULL), against a bare
SQLite commit of one row with the same durability settings, interleaved in blocks in the same run.

Prints p50/p95/max in ms, tickets/s, and the ratio to the baseline. Target: issue p95 within 3x
the bare commit's (one fsync each; an issue also reads its counters and quota and writes the
ticket, its outbox event and the counter). Exit status 1 when missed.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo first: tests/printer is not `printer`

from support.kiosk_env import make_config
from targets import Targets

from kiosk.issuer import Issuer
from kiosk.store import Store

N = 2000
BLOCK = 100
RATIO = 3.0


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1]


def interleaved(folder: Path, n: int) -> tuple[list[float], list[float]]:
    """n bare one-row commits and n issues, alternating in blocks of BLOCK, on the same disk."""
    conn = sqlite3.connect(folder / "bare.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    cfg = make_config(folder / "kiosk", kiosk="number_block = [1, 9999]", quota=9999)
    bare, real = [], []
    services = ["A", "G"]
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store)
        for block in range(0, n, BLOCK):
            for i in range(block, min(n, block + BLOCK)):
                t0 = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t (v) VALUES (?)", (str(i),))
                conn.execute("COMMIT")
                bare.append(time.perf_counter() - t0)
            for i in range(block, min(n, block + BLOCK)):
                t0 = time.perf_counter()
                issuer.issue(services[i % 2])
                real.append(time.perf_counter() - t0)
    conn.close()
    return bare, real


def report(name: str, samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples]
    row = {"p50": statistics.median(ms), "p95": percentile(ms, 95), "max": max(ms), "per_s": len(ms) / sum(samples)}
    print(f"{name:<34} p50 {row['p50']:7.3f} ms  p95 {row['p95']:7.3f} ms  max {row['max']:7.2f} ms  {row['per_s']:8.0f}/s")
    return row


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        bare, issued = interleaved(Path(tmp), N)
    base = report("baseline: bare 1-row commit", bare)
    real = report("Issuer.issue (ticket + outbox)", issued)
    print(f"ratio issue/baseline: p50 {real['p50'] / base['p50']:.2f}x, p95 {real['p95'] / base['p95']:.2f}x")
    targets = Targets("issue")
    targets.at_most("issue p95", real["p95"] / base["p95"], RATIO, baseline="a bare 1-row commit",
                    note=f"{real['p95']:.2f} vs {base['p95']:.2f} ms")
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
