"""central.db holds token hashes and the kiosks' log tokens: created 0600, and a looser one is reported."""

import os
import stat
import subprocess
import sys

from central.db import CentralDB


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_central_db_is_created_0600_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        db = CentralDB(tmp_path / "central.db")
        db.conn().execute("CREATE TABLE IF NOT EXISTS t(x)")
        db.close()
    finally:
        os.umask(old)
    for name in os.listdir(tmp_path):
        assert mode(tmp_path / name) == 0o600, f"{name} is {mode(tmp_path / name):04o}"


def test_kiosk_central_warns_about_a_readable_database(tmp_path):
    path = tmp_path / "central.db"
    run = lambda: subprocess.run([sys.executable, "-m", "central", "tokens", "list", "--db", str(path)],  # noqa: E731
                                 capture_output=True, text=True, timeout=60)
    assert "warning" not in run().stderr
    path.chmod(0o644)
    r = run()
    assert r.returncode == 0 and f"chmod 600 {path}" in r.stderr and "0644" in r.stderr
