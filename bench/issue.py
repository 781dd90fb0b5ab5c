"""Issue latency through the public API (Issuer.issue, synchronous=FULL), against a bare
SQLite commit of one row with the same durability settings in the same run.

Prints p50/p95/max in ms, tickets/s, and the ratio to the baseline. Target: p95 under 20 ms.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.kiosk_env import make_config  # noqa: E402

from kiosk.issuer import Issuer  # noqa: E402
from kiosk.store import Store  # noqa: E402

N = 2000


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1]


def bare_commits(path: Path, n: int) -> list[float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", (str(i),))
        conn.execute("COMMIT")
        out.append(time.perf_counter() - t0)
    conn.close()
    return out


def issues(folder: Path, n: int) -> list[float]:
    cfg = make_config(folder, kiosk="number_block = [1, 9999]", quota=9999)
    out = []
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store)
        services = ["A", "G"]
        for i in range(n):
            t0 = time.perf_counter()
            issuer.issue(services[i % 2])
            out.append(time.perf_counter() - t0)
    return out


def report(name: str, samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples]
    row = {"p50": statistics.median(ms), "p95": percentile(ms, 95), "max": max(ms), "per_s": len(ms) / sum(samples)}
    print(f"{name:<34} p50 {row['p50']:7.3f} ms  p95 {row['p95']:7.3f} ms  max {row['max']:7.2f} ms  {row['per_s']:8.0f}/s")
    return row


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        base = report("baseline: bare 1-row commit", bare_commits(Path(tmp) / "bare.db", N))
        real = report("Issuer.issue (ticket + outbox)", issues(Path(tmp) / "kiosk", N))
    print(f"ratio issue/baseline: p50 {real['p50'] / base['p50']:.2f}x, p95 {real['p95'] / base['p95']:.2f}x")
    verdict = "OK" if real["p95"] < 20 else "ABOVE TARGET"
    print(f"target p95 < 20 ms: {real['p95']:.3f} ms {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
