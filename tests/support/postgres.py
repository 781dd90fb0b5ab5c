"""A throwaway PostgreSQL cluster for the tests and benches: Debian's postgresql binaries, initdb +
pg_ctl, a unix socket only (no TCP port), stopped and deleted at the end. Never a mock.

PostgreSQL refuses to run as root: as root (CI, a fresh clone) the cluster runs as `nobody`
through runuser, in a folder owned by it: var/pg-PID/ in the repo when nobody can reach it and
the socket path fits (unix socket paths hold at most 107 bytes), else a folder under /tmp.
Each test gets its own schema (`?options=-csearch_path=...` in the URL), which is much cheaper
than a database per test.

Used by tests/conftest.py (fixtures `postgres_cluster`, `central_db_url`) and bench/central_scale.py.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parents[2]
RUN_AS = "nobody"
USER = "kiosk"
DATABASE = "kiosk"
SERVER_OPTIONS = "-c listen_addresses= -c max_connections=300 -c shared_buffers=64MB"
# Tests: durability is not under test (the cluster is deleted afterwards), speed is. The bench
# keeps PostgreSQL's durable defaults, as SQLite's synchronous=FULL is in the comparison.
FAST = " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PostgresMissing(RuntimeError):
    pass


def find_bindir() -> Path:
    """The newest installed server's bin folder (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresMissing("PostgreSQL server binaries (initdb, pg_ctl) are not installed: run `make debs` "
                          "(Debian package postgresql)")


class Cluster:
    def __init__(self, base: Path | None = None, durable: bool = False):
        self.durable = durable
        self.bindir = find_bindir()
        self.as_root = os.geteuid() == 0
        self.folder = base or self._folder()
        self.data = self.folder / "data"
        self.socket_dir = self.folder
        self._schemas = itertools.count(1)

    def _run(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd="/")
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
        return result

    def _folder(self) -> Path:
        candidate = REPO / "var" / f"pg-{os.getpid()}"
        socket = candidate / ".s.PGSQL.5432"
        if len(str(socket)) <= 100 and self._reachable(REPO / "var"):
            candidate.mkdir(parents=True, exist_ok=True)
            self._own(candidate)
            return candidate
        folder = Path(tempfile.mkdtemp(prefix="kpg-", dir="/tmp"))
        self._own(folder)
        return folder

    def _reachable(self, folder: Path) -> bool:
        folder.mkdir(parents=True, exist_ok=True)
        if not self.as_root:
            return True
        return subprocess.run(["runuser", "-u", RUN_AS, "--", "test", "-x", str(folder)],
                              capture_output=True, timeout=10).returncode == 0

    def _own(self, folder: Path) -> None:
        if self.as_root:
            shutil.chown(folder, RUN_AS)

    def start(self) -> "Cluster":
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8", "--no-locale",
                  "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-l", str(self.folder / "server.log"),
                  "-o", f"-k {self.socket_dir} {SERVER_OPTIONS}{'' if self.durable else FAST}", "start")
        self.admin(f"CREATE DATABASE {DATABASE}", database="postgres")
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, schema: str | None = None, database: str = DATABASE) -> str:
        url = f"postgresql://{USER}@/{database}?host={quote(str(self.socket_dir), safe='/')}"
        if schema:
            url += "&options=" + quote(f"-csearch_path={schema}", safe="")
        return url

    def admin(self, sql: str, database: str = DATABASE) -> None:
        import psycopg

        with psycopg.connect(self.url(database=database), autocommit=True) as conn:
            conn.execute(sql)

    def new_schema(self, prefix: str = "t") -> str:
        """A fresh empty schema; its URL is `url(schema)`."""
        name = f"{prefix}{os.getpid()}_{next(self._schemas)}"
        self.admin(f"CREATE SCHEMA {name}")
        return name

    def drop_schema(self, name: str) -> None:
        self.admin(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture(scope="session")
def postgres_cluster():
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def central_db_url(request, tmp_path):
    """The central server's database for one test, on each backend: a SQLite file, or a fresh
    schema of the session's PostgreSQL cluster (started on first use)."""
    if request.param == "sqlite":
        folder = tmp_path / "central"
        folder.mkdir(exist_ok=True)
        yield str(folder / "central.db")
        return
    cluster = request.getfixturevalue("postgres_cluster")
    schema = cluster.new_schema()
    yield cluster.url(schema)
    cluster.drop_schema(schema)
