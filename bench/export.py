"""Ticket-log export at scale: 10,000 and 100,000 tickets through the agent's log API and through
`kiosk export`, with wall time and peak RSS of the process doing the work.

Targets (issue 6): each path under 2 s for 100,000 tickets, and a peak memory that does not grow
with the number of tickets (10,000 vs 100,000 in the same run). Prints MISSED for a missed
target; with --strict it then exits 1.

    .venv/bin/python bench/export.py [--sizes 10000,100000] [--page 10000] [--strict]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
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

from kiosk.store import Store, Ticket  # noqa: E402

TIME_TARGET_S = 2.0
MEMORY_GROWTH_LIMIT_MB = 10.0

SERVER = textwrap.dedent("""
    import resource, sys
    from kiosk.config import load_config
    from kiosk.logapi import start_server
    server = start_server(load_config(sys.argv[1]))
    print(server.url, flush=True)
    sys.stdin.read()  # until the bench closes our stdin
    server.stop()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
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


def via_http(config: Path, n: int, page: int) -> tuple[float, float]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(config)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=child_env())
    try:
        url = proc.stdout.readline().strip()
        headers = {"Authorization": "Bearer " + (config.parent / "log.token").read_text().strip()}
        session = requests.Session()
        started = time.perf_counter()
        after, count = 0, 0
        while True:
            r = session.get(f"{url}/api/v1/tickets", params={"after": after, "limit": page}, headers=headers,
                            timeout=(3, 60), stream=True)
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
        proc.stdin.close()
        rss_kb = int(proc.stdout.readline())
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    return elapsed, rss_kb / 1024


def via_export(config: Path, n: int) -> tuple[float, float]:
    started = time.perf_counter()
    out = config.parent / "export.jsonl"
    with open(out, "wb") as f:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config), "export"], stdout=f, env=child_env())
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, "kiosk export failed"
    lines = sum(1 for _ in open(out, "rb"))
    assert lines == n, f"kiosk export wrote {lines} records, expected {n}"
    return elapsed, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--page", type=int, default=10000, help="records per API request (agent.log_page_max)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        for n in sizes:
            folder = Path(tmp) / str(n)
            folder.mkdir()
            config = write_config(folder, args.page)
            fill_s = fill(folder / "kiosk.db", n)
            http_s, http_mb = via_http(config, n, args.page)
            export_s, export_mb = via_export(config, n)
            results[n] = (http_s, http_mb, export_s, export_mb)
            print(f"{n:>7} tickets (filled in {fill_s:.1f} s): HTTP API {http_s:.2f} s, server peak RSS {http_mb:.0f} MB; "
                  f"kiosk export {export_s:.2f} s, peak RSS {export_mb:.0f} MB", flush=True)
    ok = True
    biggest, smallest = max(sizes), min(sizes)
    for label, t_index, m_index in (("HTTP API", 0, 1), ("kiosk export", 2, 3)):
        t = results[biggest][t_index]
        growth = results[biggest][m_index] - results[smallest][m_index]
        time_ok, mem_ok = t < TIME_TARGET_S, growth < MEMORY_GROWTH_LIMIT_MB
        ok &= time_ok and mem_ok
        print(f"{label}: {biggest} tickets in {t:.2f} s (target < {TIME_TARGET_S:.0f} s: {'ok' if time_ok else 'MISSED'}); "
              f"peak RSS {smallest} -> {biggest}: {growth:+.1f} MB (target < +{MEMORY_GROWTH_LIMIT_MB:.0f} MB: "
              f"{'ok' if mem_ok else 'MISSED'})")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
