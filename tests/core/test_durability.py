"""Several processes on one database, and processes killed with SIGKILL in the middle of issuing."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

from support.kiosk_env import make_config

from kiosk.clock import Clock
from kiosk.issuer import Issuer
from kiosk.store import Store

WORKER = textwrap.dedent(
    """
    import sys
    from kiosk.config import load_config
    from kiosk.issuer import Issuer
    from kiosk.store import Store
    cfg = load_config(sys.argv[1])
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store)
        sys.stdin.readline()  # start together
        for _ in range(int(sys.argv[2])):
            print(issuer.issue("A").number, flush=True)
    """
)


def test_four_processes_issue_1000_distinct_contiguous_numbers(tmp_path):
    cfg = make_config(tmp_path, kiosk="number_block = [1, 9999]", quota=5000)
    Store(cfg.store.path).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(cfg.path), "250"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    time.sleep(0.5)
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    numbers = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err
        numbers += out.split()
    assert len(numbers) == 1000
    assert sorted(numbers) == [f"A{i:04d}" for i in range(1, 1001)]
    with Store(cfg.store.path) as store:
        assert store.outbox_stats().depth == 1000


def _issue_forever(config_path):
    """Child process body: issue until killed. Never returns into pytest."""
    code = 1
    try:
        from kiosk.config import load_config

        cfg = load_config(config_path)
        store = Store(cfg.store.path)
        issuer = Issuer(cfg, store, Clock())
        while True:
            issuer.issue("A")
    finally:
        os._exit(code)


def test_sigkill_while_issuing_loses_nothing_and_never_duplicates(tmp_path):
    cfg = make_config(tmp_path, kiosk="number_block = [1, 9999]", quota=9999)
    Store(cfg.store.path).close()
    rng = random.Random(20261127)
    kills = 0
    last_count = 0
    with Store(cfg.store.path) as check:
        while kills < 200:
            pid = os.fork()
            if pid == 0:
                _issue_forever(str(cfg.path))
            time.sleep(rng.uniform(0.0, 0.03))
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
            kills += 1
            if kills % 20 == 0 or kills == 200:
                assert check.quick_check() == "ok"
                rows = check.conn.execute("SELECT seq FROM tickets ORDER BY cursor").fetchall()
                seqs = [r[0] for r in rows]
                # numbering continues: no gap, no repeat, whatever moment the kill hit
                assert seqs == list(range(1, len(seqs) + 1))
                assert len(seqs) >= last_count
                last_count = len(seqs)
                orphans = check.conn.execute(
                    "SELECT count(*) FROM tickets t WHERE NOT EXISTS "
                    "(SELECT 1 FROM outbox o WHERE o.ticket_id = t.id AND o.kind = 'ticket.issued')"
                ).fetchone()[0]
                assert orphans == 0
        assert last_count > 0
        # and the next issue after all those kills simply continues
        nxt = Issuer(cfg, check, Clock()).issue("A")
        assert nxt.seq == last_count + 1
