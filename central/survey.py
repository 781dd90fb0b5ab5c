"""Survei Kepuasan Masyarakat on the central server: stored responses and the IKM reports over them.

Responses come from the kiosks (the outbox event `survey.response`, recorded after the batch that
carried it is ingested, keyed by its event id, so a retried batch records nothing twice), and from
other callers of `record_response` (the phone survey behind the ticket's QR, staff entering paper
forms). One response per ticket: a second one for the same ticket is not stored (False).

`ikm_report` computes the index with central/ikm.py (the regulation's arithmetic) over a date range,
overall and per group (service, day, month, quarter or year); `csv_text` writes it for a
spreadsheet. SQL is portable (SQLite and PostgreSQL): `?` placeholders, ON CONFLICT, the nine scores
and every field a report filters or groups by stored as plain columns.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from shared.survey_wire import (
    BODY_KEY,
    DAY_RE,
    ELEMENTS,
    KIND,
    SOURCES,
    SurveyInputError,
    clean_complaint,
    response_problem,
)

from . import ikm
from .db import CentralDB
from .protocol import office_problem, utc_now_iso

log = logging.getLogger("central.survey")

GROUPINGS = ("service", "day", "month", "quarter", "year")
# A response given without a date (the phone survey) is dated by the office's calendar; offices in
# WITA/WIT pass answered_on themselves.
DEFAULT_TZ = ZoneInfo("Asia/Jakarta")
SCORE_COLUMNS = tuple(f"u{i}" for i in range(1, len(ELEMENTS) + 1))
THREE_PLACES = Decimal("0.001")
UNSPECIFIED = "-"  # the group of responses that named no service


def default_range() -> tuple[date, date]:
    """1 January of this year to today (the office's calendar): the report when no range is given."""
    today = datetime.now(DEFAULT_TZ).date()
    return today.replace(month=1, day=1), today


def _on(day: date | str, what: str) -> str:
    text = day.isoformat() if isinstance(day, date) else day
    if not (isinstance(text, str) and DAY_RE.match(text)):
        raise SurveyInputError(f"{what} must be a date YYYY-MM-DD, not {str(day)[:20]!r}")
    try:
        date.fromisoformat(text)
    except ValueError:
        raise SurveyInputError(f"{what} {text} is not a calendar date") from None
    return text


def record_response(db: CentralDB, office: str, answers: dict, *, source: str, ticket_id: str | None = None,
                    respondent: dict | None = None, complaint: str | None = None, service: str | None = None,
                    answered_on: date | str | None = None, lang: str | None = None,
                    event_id: str | None = None, kiosk_id: str | None = None) -> bool:
    """Store one response; False when it is already held (a response for that ticket, or that event).

    Raises SurveyInputError (a ValueError) naming the field when the input is malformed. Without
    `service`, a linked ticket's service is used.
    """
    problem = office_problem(office) if office is not None else "office is required"
    if problem:
        raise SurveyInputError(problem)
    if source not in SOURCES:
        raise SurveyInputError(f"source must be one of {', '.join(SOURCES)}")
    day = _on(answered_on, "answered_on") if answered_on is not None else datetime.now(DEFAULT_TZ).date().isoformat()
    body = {"answers": answers, "answered_on": day, "service": service, "ticket_id": ticket_id,
            "respondent": respondent, "complaint": complaint, "lang": lang}
    problem = response_problem(body)
    if problem:
        raise SurveyInputError(problem)
    respondent = respondent or {}
    with db.write() as conn:
        if ticket_id is not None:
            row = conn.execute("SELECT office, service FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
            if row is not None and row["office"] not in (None, office):
                raise SurveyInputError(f"ticket {ticket_id} belongs to another office")
            if row is not None and service is None:
                service = row["service"]
        cur = conn.execute(
            "INSERT INTO survey_responses(office, source, event_id, kiosk_id, ticket_id, service, answered_on, "
            f"received_at, {', '.join(SCORE_COLUMNS)}, age_band, sex, education, occupation, lang, complaint) "
            f"VALUES ({', '.join(['?'] * (14 + len(SCORE_COLUMNS)))}) ON CONFLICT DO NOTHING",
            (office, source, event_id, kiosk_id, ticket_id, service, day, utc_now_iso(),
             *(answers[e] for e in ELEMENTS),
             respondent.get("age_band"), respondent.get("sex"), respondent.get("education"),
             respondent.get("occupation"), lang, clean_complaint(complaint)),
        )
        return cur.rowcount == 1


def record_events(db: CentralDB, kiosk_id: str, office: str | None, events: list, accepted: Iterable[str]) -> int:
    """Record the survey responses among a batch's accepted events (new or already held: a retried
    batch finds each one stored already). Returns how many were new."""
    accepted = set(accepted)
    wanted = [e for e in events if isinstance(e, dict) and e.get("kind") == KIND and e.get("event_id") in accepted]
    if not wanted:
        return 0
    if office is None:
        office = (db.kiosk(kiosk_id) or {}).get("office")
    if office is None:
        log.warning("kiosk %s has no office: its %d survey response(s) are held as events only", kiosk_id, len(wanted))
        return 0
    new = 0
    for event in wanted:
        body = event[BODY_KEY]
        try:
            new += record_response(
                db, office, body["answers"], source="kiosk", ticket_id=body.get("ticket_id"),
                respondent=body.get("respondent"), complaint=body.get("complaint"), service=body.get("service"),
                answered_on=body["answered_on"], lang=body.get("lang"), event_id=event["event_id"], kiosk_id=kiosk_id)
        except SurveyInputError as err:
            # Checked at ingest already; what is left is a link to another office's ticket.
            log.warning("kiosk %s survey response %s not counted: %s", kiosk_id, event["event_id"], err)
    return new


# -- the index ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IkmGroup:
    """The index of one group of responses (or of all of them); `result` is None without responses."""

    group: str | None
    count: int
    result: ikm.IkmResult | None

    @property
    def ikm(self) -> Decimal | None:
        """The unit's index on the 25-100 scale (two decimals), as the regulation reports it."""
        return self.result.index if self.result else None

    @property
    def band(self) -> ikm.Band | None:
        return self.result.band if self.result else None

    @property
    def nrr(self) -> dict[str, Fraction]:
        return dict(self.result.nrr) if self.result else {}

    def to_dict(self) -> dict:
        r = self.result
        return {
            **({"group": self.group} if self.group is not None else {}),
            "count": self.count,
            "ikm": float(r.index) if r else None,
            "ikm_1_4": float(_three(r.ikm)) if r else None,
            "band": r.band.grade if r else None,
            "quality": {"id": r.band.quality_id, "en": r.band.quality_en} if r else None,
            "nrr": {e: float(_three(r.nrr[e])) for e in ELEMENTS} if r else {},
            "element_index": {e: float(r.element_index(e)) for e in ELEMENTS} if r else {},
        }


@dataclass(frozen=True)
class IkmReport:
    office: str
    date_from: str
    date_to: str
    by: str | None
    total: IkmGroup
    rows: list[IkmGroup] = field(default_factory=list)

    @property
    def ikm(self) -> Decimal | None:
        return self.total.ikm

    @property
    def band(self) -> ikm.Band | None:
        return self.total.band

    @property
    def count(self) -> int:
        return self.total.count

    @property
    def nrr(self) -> dict[str, Fraction]:
        return self.total.nrr

    def to_dict(self) -> dict:
        return {"office": self.office, "from": self.date_from, "to": self.date_to, "by": self.by,
                "elements": list(ELEMENTS), **self.total.to_dict(), "rows": [g.to_dict() for g in self.rows]}


def _three(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(THREE_PLACES, rounding=ROUND_HALF_UP)


def _group_key(by: str | None, answered_on: str, service: str | None) -> str | None:
    if by is None:
        return None
    if by == "service":
        return service or UNSPECIFIED
    if by == "day":
        return answered_on
    if by == "month":
        return answered_on[:7]
    if by == "quarter":
        return f"{answered_on[:4]}-Q{(int(answered_on[5:7]) - 1) // 3 + 1}"
    return answered_on[:4]


def _index(group: str | None, scores: list[tuple[int, ...]]) -> IkmGroup:
    return IkmGroup(group, len(scores), ikm.compute(scores) if scores else None)


def ikm_report(db: CentralDB, office: str, date_from: date | str, date_to: date | str, by: str | None = None) -> IkmReport:
    """The IKM of `office`'s responses answered from `date_from` to `date_to` (both included),
    overall and, with `by` (service, day, month, quarter, year), per group in key order (responses
    without a service last, as "-"). A range that ends before it starts holds no responses."""
    problem = office_problem(office)
    if problem:
        raise SurveyInputError(problem)
    start, end = _on(date_from, "from"), _on(date_to, "to")
    if by is not None and by not in GROUPINGS:
        raise SurveyInputError(f"by must be one of {', '.join(GROUPINGS)}")
    everything: list[tuple[int, ...]] = []
    groups: dict[str | None, list[tuple[int, ...]]] = {}
    cur = db.conn().execute(
        f"SELECT answered_on, service, {', '.join(SCORE_COLUMNS)} FROM survey_responses "
        "WHERE office = ? AND answered_on >= ? AND answered_on <= ? ORDER BY answered_on, id",
        (office, start, end))
    for row in cur:
        scores = tuple(row[c] for c in SCORE_COLUMNS)
        everything.append(scores)
        if by is not None:
            groups.setdefault(_group_key(by, row["answered_on"], row["service"]), []).append(scores)
    order = sorted(groups, key=lambda k: (k == UNSPECIFIED, k))
    return IkmReport(office, start, end, by, _index(None, everything), [_index(k, groups[k]) for k in order])


def csv_text(report: IkmReport) -> str:
    """The report as CSV: one line per group then a TOTAL line; NRR per element (1-4, three
    decimals), the IKM on the 1-4 scale and the unit's index (25-100), its band and quality."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([report.by or "group", "respondents",
                     *(f"U{i}_{e}" for i, e in enumerate(ELEMENTS, 1)), "ikm_1_4", "ikm", "band", "mutu"])

    def line(label: str, g: IkmGroup) -> list:
        r = g.result
        if r is None:
            return [label, 0, *([""] * len(ELEMENTS)), "", "", "", ""]
        return [label, g.count, *(_three(r.nrr[e]) for e in ELEMENTS), _three(r.ikm), r.index, r.band.grade,
                r.band.quality_id]

    for g in report.rows:
        writer.writerow(line(g.group or UNSPECIFIED, g))
    writer.writerow(line("TOTAL", report.total))
    return out.getvalue()


def responses(db: CentralDB, office: str, limit: int = 100) -> list[dict]:
    """The latest responses of an office, newest first (for tools and tests; complaints included)."""
    rows = db.conn().execute(
        "SELECT * FROM survey_responses WHERE office = ? ORDER BY id DESC LIMIT ?", (office, limit)).fetchall()
    out = []
    for row in rows:
        d = dict(row)
        d["answers"] = {e: d.pop(c) for e, c in zip(ELEMENTS, SCORE_COLUMNS)}
        out.append(d)
    return out
