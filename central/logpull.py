"""Pulling the kiosks' ticket logs (the kiosk side: docs/openapi-kiosk.yaml), on a schedule.

Each kiosk's agent serves its whole ticket log, in issue order, as JSON lines paged by cursor.
The server keeps one cursor per kiosk: every page is stored together with its new cursor in one
transaction, so a crash or a dead network mid-pull repeats at most one page, which the primary
key (kiosk, cursor) absorbs. This copy of the log is what an office audits against the events
the sync protocol delivered: a ticket in the log that never arrived as an event is a sync gap.

A source is a kiosk's agent or another kiosk-central (an office server serves its own tickets by
the same protocol, GET /api/v1/tickets with a `log` token): one national server on PostgreSQL
pulls every office's log. Exactly once with several pullers at once (two `serve --pull-every`
processes on one database): a page is inserted with ON CONFLICT DO NOTHING, the stored cursor
only moves forward, and `records` counts the rows really inserted.

The tables are this module's own (a migration in central/db.py creates them).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from .protocol import MAX_INT, json_depth_problem, unencodable_path, utc_now_iso

log = logging.getLogger("central.logpull")

PAGE = 1000
MAX_PAGES_PER_PULL = 1000
MAX_LINE_BYTES = 64 * 1024
TIMEOUT = (3.05, 30.0)
TOKEN_RE = re.compile(r"[\x21-\x7e]{16,512}")
KIOSK_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class PullError(Exception):
    pass


@dataclass(frozen=True)
class Source:
    kiosk_id: str
    url: str
    token: str
    cursor: int
    records: int
    last_pull_at: str | None
    last_ok_at: str | None
    last_error: str | None

    def public(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "token"}


@dataclass(frozen=True)
class PullResult:
    kiosk_id: str
    before: int
    after: int
    records: int
    error: str | None = None


def add_source(db, kiosk_id: str, url: str, token: str) -> None:
    """Register (or update) where a kiosk's log is and its log token; the cursor is kept."""
    with db.write() as conn:
        conn.execute(
            "INSERT INTO log_sources(kiosk_id, url, token) VALUES (?,?,?) "
            "ON CONFLICT(kiosk_id) DO UPDATE SET url = excluded.url, token = excluded.token",
            (kiosk_id, url.rstrip("/"), token),
        )


def remove_source(db, kiosk_id: str) -> bool:
    with db.write() as conn:
        return conn.execute("DELETE FROM log_sources WHERE kiosk_id = ?", (kiosk_id,)).rowcount == 1


def sources(db) -> list[Source]:
    return [Source(**dict(r)) for r in db.conn().execute("SELECT * FROM log_sources ORDER BY kiosk_id")]


def pulled(db, kiosk_id: str, after: int = 0):
    """The pulled log of one kiosk, in its issue order."""
    while True:
        rows = db.conn().execute(
            "SELECT cursor, record FROM kiosk_log WHERE kiosk_id = ? AND cursor > ? ORDER BY cursor LIMIT 500",
            (kiosk_id, after),
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield json.loads(row["record"])
        after = rows[-1]["cursor"]


def _page(session: requests.Session, source: Source, after: int, limit: int, timeout) -> list[dict]:
    r = session.get(f"{source.url}/api/v1/tickets", params={"after": after, "limit": limit},
                    headers={"Authorization": f"Bearer {source.token}"}, timeout=timeout, stream=True)
    with r:
        if r.status_code == 401:
            raise PullError("the kiosk refused the log token (HTTP 401): copy /etc/kiosk/log.token from the kiosk "
                            f"and run: kiosk-central pull add {source.kiosk_id} {source.url} --token-file FILE")
        if r.status_code == 429:
            raise PullError(f"the kiosk asked to slow down (HTTP 429, Retry-After {r.headers.get('Retry-After', '?')} s)")
        if r.status_code != 200:
            raise PullError(f"the kiosk answered HTTP {r.status_code}: {r.text[:200]}")
        records, last = [], after
        for line in r.iter_lines(chunk_size=64 * 1024):
            if not line:
                continue
            if len(line) > MAX_LINE_BYTES:
                raise PullError(f"a record after cursor {last} is larger than {MAX_LINE_BYTES} bytes")
            record = _record(line, last)
            records.append(record)
            last = record["cursor"]
            if len(records) > limit:
                raise PullError(f"the kiosk sent more than the {limit} records asked for")
        return records


def _record(line: bytes, last: int) -> dict:
    """One pulled record, every field we store checked: a hostile kiosk gets a PullError, never an exception."""
    where = f"the record after cursor {last}"
    if json_depth_problem(line):
        raise PullError(f"{where} is nested too deep")
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        raise PullError(f"unreadable record after cursor {last}") from None
    if not isinstance(record, dict):
        raise PullError(f"{where} is not a JSON object")
    cursor, ticket_id = record.get("cursor"), record.get("id")
    if not isinstance(cursor, int) or isinstance(cursor, bool) or not last < cursor <= MAX_INT:
        raise PullError(f"record out of order or malformed after cursor {last}: cursor must be a whole number "
                        f"above {last} and at most {MAX_INT}")
    if not (isinstance(ticket_id, str) and 0 < len(ticket_id) <= 128):
        raise PullError(f"{where} has no ticket id (a string of 1-128 characters)")
    bad = unencodable_path(record, "record")
    if bad:
        raise PullError(f"{where}: {bad} is not valid Unicode text")
    return record


def pull_one(db, source: Source, *, page: int = PAGE, max_pages: int = MAX_PAGES_PER_PULL, timeout=TIMEOUT) -> PullResult:
    """Pull everything after the stored cursor, page by page; each page commits with its cursor."""
    session = requests.Session()
    session.trust_env = False
    cursor, count, error = source.cursor, 0, None
    try:
        for _ in range(max_pages):
            records = _page(session, source, cursor, page, timeout)
            if records:
                now = utc_now_iso()
                with db.write() as conn:
                    stored = conn.executemany(
                        "INSERT INTO kiosk_log(kiosk_id, cursor, ticket_id, record, pulled_at) VALUES (?,?,?,?,?) "
                        "ON CONFLICT (kiosk_id, cursor) DO NOTHING",
                        [(source.kiosk_id, r["cursor"], r["id"], json.dumps(r, separators=(",", ":"), ensure_ascii=False), now)
                         for r in records],
                    )
                    # A stored page is a good pull so far: its cursor and "no error" are one state
                    # (a reader never sees the new cursor beside the last round's error).
                    conn.execute(
                        "UPDATE log_sources SET cursor = CASE WHEN cursor < ? THEN ? ELSE cursor END, "
                        "records = records + ?, last_pull_at = ?, last_ok_at = ?, last_error = NULL WHERE kiosk_id = ?",
                        (records[-1]["cursor"], records[-1]["cursor"], stored.rowcount, now, now, source.kiosk_id))
                cursor, count = records[-1]["cursor"], count + len(records)
            if len(records) < page:
                break
    except PullError as e:
        error = str(e)
    except requests.RequestException as e:
        error = f"cannot reach the kiosk at {source.url} ({e.__class__.__name__}); is kiosk-agent running and " \
                "agent.listen reachable from here?"
    finally:
        session.close()
    _mark(db, source.kiosk_id, error)
    return PullResult(source.kiosk_id, source.cursor, cursor, count, error)


def _mark(db, kiosk_id: str, error: str | None) -> None:
    now = utc_now_iso()
    with db.write() as conn:
        if error is None:
            conn.execute("UPDATE log_sources SET last_pull_at = ?, last_error = NULL, last_ok_at = ? WHERE kiosk_id = ?",
                         (now, now, kiosk_id))
        else:
            conn.execute("UPDATE log_sources SET last_pull_at = ?, last_error = ? WHERE kiosk_id = ?",
                         (now, error, kiosk_id))


def pull_all(db, kiosk_id: str | None = None, **kwargs) -> list[PullResult]:
    results = []
    for source in sources(db):
        if kiosk_id and source.kiosk_id != kiosk_id:
            continue
        try:
            result = pull_one(db, source, **kwargs)
        except Exception as e:  # one source's surprise must not stop the others
            log.exception("log pull from %s failed unexpectedly", source.kiosk_id)
            result = PullResult(source.kiosk_id, source.cursor, source.cursor, 0,
                                f"internal error while pulling ({e.__class__.__name__}: {str(e)[:200]})")
            _mark(db, source.kiosk_id, result.error)
        if result.error:
            log.warning("log pull from %s failed at cursor %d: %s", source.kiosk_id, result.after, result.error)
        elif result.records:
            log.info("log pull from %s: %d records, cursor %d -> %d", source.kiosk_id, result.records, result.before, result.after)
        results.append(result)
    return results


class Scheduler:
    """`kiosk-central serve --pull-every S`: pulls every kiosk's log every S seconds in a thread.

    Nothing a kiosk sends ends the thread (each round catches everything and logs it), and the
    server's loop calls `supervise()`: a thread that died anyway is logged and started again.
    `health()` is what `GET /api/v1/health` shows of it.
    """

    def __init__(self, db, every: float):
        self.db, self.every = db, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = self.restarts = 0
        self.last_round_at: str | None = None
        self.last_error: str | None = None
        self.failing = 0

    def start(self) -> "Scheduler":
        self._thread = threading.Thread(target=self._run, name="logpull", daemon=True)
        self._thread.start()
        return self

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def supervise(self) -> None:
        if self._thread is not None and not self.alive() and not self._stop.is_set():
            self.restarts += 1
            log.error("log pull thread had stopped (%s); restarting it (restart %d)", self.last_error, self.restarts)
            self.start()

    def health(self) -> dict:
        return {"running": self.alive(), "every_s": self.every, "rounds": self.rounds, "restarts": self.restarts,
                "last_round_at": self.last_round_at, "sources_failing": self.failing, "last_error": self.last_error}

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.round()
            self._stop.wait(max(0.0, self.every - (time.monotonic() - started)))

    def round(self) -> None:
        try:
            results = pull_all(self.db)
            self.failing = sum(1 for r in results if r.error)
            self.last_error = next((f"{r.kiosk_id}: {r.error}" for r in results if r.error), None)
        except Exception as e:  # a busy or broken database must not end the schedule
            self.last_error = f"{e.__class__.__name__}: {e}"
            log.exception("log pull round failed")
        self.rounds += 1
        self.last_round_at = utc_now_iso()

    def stop(self, timeout: float = 35.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


# command line: `kiosk-central pull ...` ----------------------------------------------------------


def register(sub, common, cli_error, open_db) -> None:
    """Add `pull` to kiosk-central's commands (central/cli.py calls this)."""
    pull = sub.add_parser("pull", help="pull the kiosks' ticket logs (add a kiosk, list, run now)").add_subparsers(
        dest="pull_command", required=True, metavar="ACTION")

    def add(args) -> int:
        if not KIOSK_RE.fullmatch(args.kiosk_id):
            raise cli_error(f"kiosk id {args.kiosk_id!r} must be 1-128 characters A-Z, a-z, 0-9, '.', '_', ':' or '-'")
        parts = urlsplit(args.url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise cli_error(f"{args.url!r} must be the kiosk's log API address, e.g. http://10.0.5.21:8470")
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise cli_error(f"cannot read {args.token_file}: {e}") from None
        if not TOKEN_RE.fullmatch(token):
            raise cli_error(f"{args.token_file} must hold the kiosk's log token (a copy of its /etc/kiosk/log.token)")
        add_source(open_db(args.db), args.kiosk_id, args.url, token)
        print(f"{args.kiosk_id}: its log will be pulled from {args.url.rstrip('/')}")
        return 0

    def list_(args) -> int:
        for s in sources(open_db(args.db)):
            if args.json:
                print(json.dumps(s.public()))
            else:
                state = f"ERROR {s.last_error}" if s.last_error else f"ok at {s.last_ok_at or 'never'}"
                print(f"{s.kiosk_id}  {s.url}  cursor {s.cursor}  {s.records} records  {state}")
        return 0

    def run(args) -> int:
        db = open_db(args.db)
        if args.kiosk and args.kiosk not in {s.kiosk_id for s in sources(db)}:
            raise cli_error(f"no log source for kiosk {args.kiosk!r}; add it: kiosk-central pull add {args.kiosk} URL --token-file FILE", 3)
        results = pull_all(db, args.kiosk)
        for r in results:
            if args.json:
                print(json.dumps(r.__dict__))
            elif r.error:
                print(f"{r.kiosk_id}: FAILED at cursor {r.after} ({r.records} records pulled first): {r.error}")
            else:
                print(f"{r.kiosk_id}: {r.records} new records, cursor {r.before} -> {r.after}")
        return 1 if any(r.error for r in results) else 0

    def remove(args) -> int:
        if not remove_source(open_db(args.db), args.kiosk_id):
            raise cli_error(f"no log source for kiosk {args.kiosk_id!r}", 3)
        return 0

    p = pull.add_parser("add", parents=[common], help="pull KIOSK_ID's log from URL with its log token",
                        description="URL is the kiosk's [agent] listen address; FILE a copy of its /etc/kiosk/log.token. "
                                    "Adding a kiosk again updates URL and token and keeps its cursor.")
    p.add_argument("kiosk_id", metavar="KIOSK_ID")
    p.add_argument("url", metavar="URL")
    p.add_argument("--token-file", required=True, metavar="FILE")
    p.set_defaults(func=add)
    p = pull.add_parser("list", parents=[common], help="kiosks whose logs are pulled, with cursor and last result")
    p.add_argument("--json", action="store_true", help="one JSON object per line (never the token)")
    p.set_defaults(func=list_)
    p = pull.add_parser("run", parents=[common], help="pull now (exit 1 if any kiosk failed)")
    p.add_argument("--kiosk", metavar="KIOSK_ID", help="only this kiosk")
    p.add_argument("--json", action="store_true", help="one JSON object per kiosk")
    p.set_defaults(func=run)
    p = pull.add_parser("remove", parents=[common], help="stop pulling KIOSK_ID's log (what was pulled stays)")
    p.add_argument("kiosk_id", metavar="KIOSK_ID")
    p.set_defaults(func=remove)


def every_seconds(text: str) -> float:
    value = float(text)
    if not 0.2 <= value <= 86400:
        raise argparse.ArgumentTypeError("must be 0.2-86400 seconds")
    return value
