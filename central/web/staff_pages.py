"""The staff pages: log in, the counter (`/counter`) and the office report (`/reports`).

Plain forms, no script: every action is a POST carrying the session's CSRF token, answered with a
redirect back to the page (so a reload never repeats an action). The session is a server-side
row (central/staff.py) behind an HttpOnly, SameSite=Strict cookie, Secure when the request came
over https. A user sees and acts on their own office only; `/reports` and the kiosk lock are for
supervisors.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from functools import wraps

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for

from .. import counter_queue, ikm, kiosk_commands, reports, reports_svg, staff, survey
from ..db import CentralDB
from .i18n import Texts

COOKIE = "staff_session"
LOGIN_COOKIE = "staff_login"  # the login form's own CSRF value (there is no session yet)
NEXT_PAGES = ("/counter", "/reports")
COUNTER_REFRESH_MS = 10_000  # how often the counter page takes in new waiting counts (static/counter.js)
SECURE_COOKIES = "STAFF_SECURE_COOKIES"  # app.config key: mark the staff cookies Secure over plain http too

TEXTS = Texts("staff", {
    "login.title": ("Masuk petugas", "Staff login"),
    "login.user": ("Nama pengguna", "User name"),
    "login.password": ("Kata sandi", "Password"),
    "login.submit": ("Masuk", "Log in"),
    "logout": ("Keluar", "Log out"),
    "nav.reports": ("Laporan", "Report"),
    "csrf.title": ("Formulir kedaluwarsa", "Form expired"),
    "csrf.body": ("Formulir ini sudah kedaluwarsa atau bukan dari halaman ini. Muat ulang halaman lalu coba lagi.",
                  "This form has expired or did not come from this page. Reload the page and try again."),
    "forbidden.title": ("Tidak diizinkan", "Not allowed"),
    "forbidden.body": ("Halaman ini hanya untuk supervisor.", "This page is for supervisors only."),
    "counter.title": ("Loket", "Counter"),
    "counter.pick": ("Pilih loket Anda", "Choose your counter"),
    "counter.sit": ("Duduk di loket ini", "Serve at this counter"),
    "counter.none": ("Kantor {office} belum punya loket. Minta admin menjalankan: kiosk-central counters {office} 1 2 3",
                     "Office {office} has no counters yet. Ask the admin to run: kiosk-central counters {office} 1 2 3"),
    "counter.at": ("Loket {counter}", "Counter {counter}"),
    "counter.change": ("Ganti loket", "Change counter"),
    "counter.serving": ("Sedang dilayani", "Now serving"),
    "counter.idle": ("Tidak ada tiket yang sedang dilayani.", "No ticket being served."),
    "counter.called_at": ("Dipanggil {time}", "Called at {time}"),
    "counter.recalls": ("dipanggil ulang {n}x", "recalled {n}x"),
    "counter.recall": ("Panggil ulang", "Recall"),
    "counter.skip": ("Lewati (tidak hadir)", "Skip (no-show)"),
    "counter.done": ("Selesai", "Done"),
    "counter.transfer": ("Alihkan ke", "Transfer to"),
    "counter.transfer.go": ("Alihkan", "Transfer"),
    "counter.next": ("Panggil berikutnya", "Call next"),
    "counter.waiting": ("{n} menunggu", "{n} waiting"),
    "counter.recent": ("Panggilan terakhir", "Recent calls"),
    "counter.refresh": ("Muat ulang", "Refresh"),
    "msg.nobody": ("Tidak ada yang menunggu di antrean {queue}.", "No one is waiting in queue {queue}."),
    "msg.no_current": ("Loket ini tidak sedang melayani tiket.", "This counter is serving no ticket."),
    "msg.bad_queue": ("Antrean tidak dikenal.", "Unknown queue."),
    "msg.lock_sent": ("Perintah terkirim; kios menerapkannya saat sinkron berikutnya.",
                      "Command queued; the kiosk applies it on its next sync."),
    "msg.bad_kiosk": ("Kios tidak dikenal di kantor ini.", "No such kiosk in this office."),
    "msg.bad_date": ("Tanggal tidak valid (TTTT-BB-HH).", "Invalid date (YYYY-MM-DD)."),
    "reports.title": ("Laporan kantor {office}", "Office report {office}"),
    "reports.from": ("Dari", "From"),
    "reports.to": ("Sampai", "To"),
    "reports.show": ("Tampilkan", "Show"),
    "reports.csv": ("Unduh CSV", "Download CSV"),
    "reports.hourly": ("Tiket per layanan per jam", "Tickets per service per hour"),
    "reports.hour": ("Jam", "Hour"),
    "reports.total": ("Total", "Total"),
    "reports.times": ("Waktu tunggu dan waktu layanan (menit)", "Waiting and service times (minutes)"),
    "reports.service": ("Layanan", "Service"),
    "reports.issued": ("Diambil", "Issued"),
    "reports.waiting": ("Menunggu", "Waiting"),
    "reports.served": ("Dilayani", "Served"),
    "reports.skipped": ("Dilewati", "Skipped"),
    "reports.wait": ("Tunggu", "Wait"),
    "reports.svc": ("Layanan", "Service"),
    "reports.mean": ("rata-rata", "mean"),
    "reports.median": ("median", "median"),
    "reports.p90": ("p90", "p90"),
    "reports.chart.wait": ("Rata-rata tunggu dan layanan per layanan (menit)", "Mean wait and service per service (minutes)"),
    "reports.kiosks": ("Kesehatan kios", "Kiosk health"),
    "reports.kiosk": ("Kios", "Kiosk"),
    "reports.heartbeat": ("Detak terakhir", "Last heartbeat"),
    "reports.stale": ("terlambat", "late"),
    "reports.printer": ("Printer", "Printer"),
    "reports.backlog": ("Antrean kirim", "Backlog"),
    "reports.quarantined": ("Karantina", "Quarantined"),
    "reports.lock": ("Kunci", "Lock"),
    "reports.locked": ("terkunci", "locked"),
    "reports.open": ("terbuka", "open"),
    "reports.command": ("Perintah terakhir", "Last command"),
    "reports.cmd.pending": ("{action} diminta {at} oleh {by}, menunggu kios", "{action} requested {at} by {by}, waiting for the kiosk"),
    "reports.cmd.fetched": ("{action} diambil kios {at}", "{action} picked up by the kiosk at {at}"),
    "reports.cmd.confirmed": ("{action} dikonfirmasi kios {at}", "{action} confirmed by the kiosk at {at}"),
    "reports.do.lock": ("Kunci", "Lock"),
    "reports.do.unlock": ("Buka", "Unlock"),
    "reports.reason": ("Alasan", "Reason"),
    "reports.none": ("Belum ada data.", "No data yet."),
    "reports.ikm": ("Indeks Kepuasan Masyarakat (IKM)", "Public Satisfaction Index (IKM)"),
    "ikm.respondents": ("Responden", "Respondents"),
    "ikm.total": ("IKM unit layanan", "Service unit IKM"),
    "ikm.none": ("Belum ada jawaban survei pada rentang ini.", "No survey responses in this range."),
    "ikm.element": ("Unsur", "Element"),
    "ikm.nrr": ("NRR (1-4)", "NRR (1-4)"),
    "ikm.index": ("Indeks (25-100)", "Index (25-100)"),
    "ikm.band": ("Mutu", "Grade"),
    "ikm.chart": ("Indeks per unsur (25-100)", "Index per element (25-100)"),
    "ikm.chart.by": ("IKM per {by}", "IKM per {by}"),
    "ikm.per": ("Per", "Per"),
    "ikm.by.service": ("layanan", "service"),
    "ikm.by.day": ("hari", "day"),
    "ikm.by.month": ("bulan", "month"),
    "ikm.by.quarter": ("triwulan", "quarter"),
    "ikm.by.year": ("tahun", "year"),
    "ikm.bands": ("Mutu pelayanan (PermenPAN-RB 14/2017)", "Service quality bands (PermenPAN-RB 14/2017)"),
    "ikm.from": ("dari {low}", "from {low}"),
    "ikm.u1": ("Persyaratan", "Requirements"),
    "ikm.u2": ("Sistem, mekanisme dan prosedur", "Procedure"),
    "ikm.u3": ("Waktu penyelesaian", "Service time"),
    "ikm.u4": ("Biaya/tarif", "Cost"),
    "ikm.u5": ("Produk spesifikasi jenis pelayanan", "Service product"),
    "ikm.u6": ("Kompetensi pelaksana", "Staff competence"),
    "ikm.u7": ("Perilaku pelaksana", "Staff behaviour"),
    "ikm.u8": ("Penanganan pengaduan, saran dan masukan", "Complaint handling"),
    "ikm.u9": ("Sarana dan prasarana", "Facilities"),
    "reports.audit": ("Catatan perubahan terakhir", "Latest changes"),
    "reports.at": ("Waktu", "At"),
    "reports.who": ("Oleh", "By"),
    "reports.action": ("Tindakan", "Action"),
})

MESSAGES = ("nobody", "no_current", "bad_queue", "lock_sent", "bad_kiosk", "bad_date")


def _short_time(iso: str | None) -> str:
    """HH:MM:SS of a UTC timestamp in the server's local time (the office's, on the office server)."""
    if not iso:
        return "-"
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return iso


def make_blueprint(db: CentralDB) -> Blueprint:
    bp = Blueprint("staff", __name__)
    bp.context_processor(lambda: {"t": TEXTS.t, "who": g.get("staff"), "short_time": _short_time})

    @bp.before_request
    def load_session():
        g.staff_secret = request.cookies.get(COOKIE)
        g.staff = staff.session(db, g.staff_secret)
        if request.method == "POST" and request.endpoint != "staff.login_post":
            if g.staff is None:
                return redirect(url_for("staff.login", next=request.path if request.path in NEXT_PAGES else None))
            if not staff.csrf_ok(g.staff, request.form.get("csrf")):
                return _refused("csrf", 403)
        return None

    def actor() -> str:
        return f"user:{g.staff.user.username}"

    def login_required(func):
        @wraps(func)
        def run(*args, **kwargs):
            if g.staff is None:
                return redirect(url_for("staff.login", next=request.path if request.path in NEXT_PAGES else None))
            return func(*args, **kwargs)
        return run

    def supervisor_required(func):
        @wraps(func)
        def run(*args, **kwargs):
            if g.staff is None:
                return redirect(url_for("staff.login", next="/reports"))
            if not g.staff.user.supervisor:
                return _refused("forbidden", 403)
            return func(*args, **kwargs)
        return run

    # login

    @bp.get("/staff/login")
    def login():
        if g.staff is not None:
            return redirect(_home(g.staff))
        return _login_page()

    def _login_page(error: str | None = None, status: int = 200) -> Response:
        form_token = secrets.token_urlsafe(24)
        page = render_template("staff/login.html", form_token=form_token, error=error,
                               next=request.values.get("next", ""))
        response = Response(page, status=status, mimetype="text/html")
        _set_cookie(response, LOGIN_COOKIE, form_token, max_age=3600)
        return response

    @bp.post("/staff/login")
    def login_post():
        sent, kept = request.form.get("form_token", ""), request.cookies.get(LOGIN_COOKIE, "")
        if not sent or not secrets.compare_digest(sent.encode(), kept.encode()):
            return _refused("csrf", 403)
        try:
            secret, session = staff.login(db, request.form.get("username", ""), request.form.get("password", ""),
                                          request.remote_addr or "-")
        except staff.LoginRefused as err:
            response = _login_page(str(err), 429 if err.retry_after_s else 401)
            if err.retry_after_s:
                response.headers["Retry-After"] = str(err.retry_after_s)
            return response
        wanted = request.form.get("next", "")
        response = redirect(wanted if wanted in NEXT_PAGES else _home(session), 303)
        _set_cookie(response, COOKIE, secret, max_age=staff.SESSION_HOURS * 3600)
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @bp.post("/staff/logout")
    def logout():
        staff.logout(db, g.staff_secret, g.staff)
        response = redirect(url_for("staff.login"), 303)
        response.delete_cookie(COOKIE)
        return response

    # counter

    @bp.get("/counter")
    @login_required
    def counter():
        office = g.staff.user.office
        seat = g.staff.counter
        current = counter_queue.current(db, office, seat) if seat else None
        message = request.args.get("m")
        return render_template(
            "staff/counter.html", office=office, seat=seat, counters=staff.counters(db, office), current=current,
            queues=counter_queue.office_queues(db, office), recent=counter_queue.recent_calls(db, office, 8),
            refresh_ms=COUNTER_REFRESH_MS,
            message=TEXTS.t(f"msg.{message}", queue=request.args.get("q", "")) if message in MESSAGES else None)

    def back(message: str | None = None, **params):
        return redirect(url_for("staff.counter", m=message, **params) if message else url_for("staff.counter"), 303)

    @bp.post("/counter/sit")
    def counter_sit():
        try:
            staff.sit_at(db, g.staff_secret, g.staff, request.form.get("counter", ""))
        except staff.StaffError:
            abort(400)
        return back()

    def known_queue(prefix: str) -> bool:
        return any(q["prefix"] == prefix for q in counter_queue.office_queues(db, g.staff.user.office))

    @bp.post("/counter/next")
    def counter_next():
        seat, prefix = g.staff.counter, request.form.get("queue", "")
        if not seat:
            return back()
        if not known_queue(prefix):
            return back("bad_queue")
        ticket = counter_queue.call_next(db, g.staff.user.office, prefix, seat, actor())
        return back() if ticket else back("nobody", q=prefix)

    def on_current(action):
        seat = g.staff.counter
        if not seat:
            return back()
        try:
            action(db, g.staff.user.office, seat, actor())
        except counter_queue.NoCurrentTicket:
            return back("no_current")
        return back()

    @bp.post("/counter/recall")
    def counter_recall():
        return on_current(counter_queue.recall)

    @bp.post("/counter/skip")
    def counter_skip():
        return on_current(counter_queue.skip)

    @bp.post("/counter/done")
    def counter_done():
        return on_current(counter_queue.done)

    @bp.post("/counter/transfer")
    def counter_transfer():
        prefix = request.form.get("queue", "")
        if not known_queue(prefix):
            return back("bad_queue")
        return on_current(lambda d, office, seat, who: counter_queue.transfer(d, office, seat, prefix, who))

    # reports

    def day_range():
        today = db.current_service_day(g.staff.user.office) or datetime.now(timezone.utc).date().isoformat()
        day_from = reports.parse_day(request.args.get("from"), today)
        day_to = reports.parse_day(request.args.get("to"), day_from)
        return (day_from, day_to) if day_from <= day_to else (day_to, day_from)

    def ikm_grouping() -> str:
        by = request.args.get("by", "day")
        return by if by in survey.GROUPINGS else "day"

    @bp.get("/reports")
    @supervisor_required
    def reports_page():
        office = g.staff.user.office
        try:
            day_from, day_to = day_range()
        except ValueError:
            return redirect(url_for("staff.reports_page", m="bad_date"), 303)
        hourly = reports.tickets_per_hour(db, office, day_from, day_to)
        times = reports.times(db, office, day_from, day_to)
        kiosks = reports.kiosk_health(db, office)
        hourly_svg = reports_svg.bar_chart(
            TEXTS.t("reports.hourly"), [f"{h:02d}" for h in hourly["hours"]],
            [(p, [hourly["counts"][h].get(p, 0) for h in hourly["hours"]]) for p in hourly["services"]],
            stacked=True) if hourly["hours"] else None
        times_svg = reports_svg.bar_chart(
            TEXTS.t("reports.chart.wait"), [r["service"] for r in times],
            [(TEXTS.t("reports.wait"), [r["wait"]["mean_min"] for r in times]),
             (TEXTS.t("reports.svc"), [r["service_time"]["mean_min"] for r in times])]) if times else None
        by = ikm_grouping()
        ikm_figures = ikm_section(db, office, day_from, day_to, by)
        message = request.args.get("m")
        return render_template(
            "staff/reports.html", office=office, day_from=day_from, day_to=day_to, hourly=hourly, times=times,
            kiosks=kiosks, hourly_svg=hourly_svg, times_svg=times_svg, ikm=ikm_figures,
            audit=staff.audit_rows(db, office, limit=15),
            message=TEXTS.t(f"msg.{message}") if message in MESSAGES else None)

    @bp.get("/reports/<name>.csv")
    @supervisor_required
    def reports_csv(name: str):
        office = g.staff.user.office
        try:
            day_from, day_to = day_range()
        except ValueError:
            abort(400)
        if name == "hourly":
            text = reports.hourly_csv(reports.tickets_per_hour(db, office, day_from, day_to))
        elif name == "times":
            text = reports.times_csv(reports.times(db, office, day_from, day_to))
        elif name == "kiosks":
            text = reports.kiosks_csv(reports.kiosk_health(db, office))
        elif name == "ikm":
            text = ikm_csv(db, office, day_from, day_to, ikm_grouping())
        else:
            abort(404)
        response = Response(text, mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{office}-{name}-{day_from}-{day_to}.csv"'
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.post("/reports/kiosks/<kiosk_id>/<action>")
    @supervisor_required
    def kiosk_command(kiosk_id: str, action: str):
        if action not in kiosk_commands.ACTIONS:
            abort(404)
        try:
            kiosk_commands.request(db, kiosk_id, action, actor(), request.form.get("reason", ""),
                                   office=g.staff.user.office)
        except kiosk_commands.CommandError:
            return redirect(url_for("staff.reports_page", m="bad_kiosk"), 303)
        return redirect(url_for("staff.reports_page", m="lock_sent") + "#kiosks", 303)

    return bp


def ikm_section(db: CentralDB, office: str, day_from: str, day_to: str, by: str) -> dict:
    """The survey's IKM over the range (central/survey.py): overall with its band, per element
    (NRR 1-4, index 25-100 and band), per period or service (`by`), and the regulation's bands."""
    report = survey.ikm_report(db, office, day_from, day_to, by)
    result = report.total.result
    elements = []
    for i, element in enumerate(ikm.ELEMENTS, 1):
        elements.append({
            "code": f"U{i}", "key": element,
            "nrr": round(float(result.nrr[element]), 3) if result else None,
            "index": float(result.element_index(element)) if result else None,
            "band": result.element_band(element) if result else None,
        })
    svg = reports_svg.bar_chart(
        TEXTS.t("ikm.chart"), [e["code"] for e in elements],
        [(TEXTS.t("ikm.index"), [e["index"] for e in elements])], width=560) if result else None
    rows_svg = reports_svg.bar_chart(
        TEXTS.t("ikm.chart.by", by=TEXTS.t(f"ikm.by.{by}")), [g.group or "-" for g in report.rows],
        [("IKM", [float(g.ikm) if g.ikm is not None else None for g in report.rows])],
        width=560) if report.rows else None
    return {"report": report, "elements": elements, "svg": svg, "rows_svg": rows_svg, "by": by,
            "bands": ikm.BANDS, "groupings": survey.GROUPINGS}


def ikm_csv(db: CentralDB, office: str, day_from: str, day_to: str, by: str) -> str:
    return survey.csv_text(survey.ikm_report(db, office, day_from, day_to, by))


def _home(session: staff.Session) -> str:
    return "/reports" if session.user.supervisor else "/counter"


def _set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    # Behind a reverse proxy that terminates https the request arrives as http: `serve
    # --secure-cookies` marks them Secure all the same.
    secure = request.is_secure or bool(current_app.config.get(SECURE_COOKIES))
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Strict", secure=secure, path="/")


def _refused(kind: str, status: int) -> Response:
    return Response(render_template("staff/refused.html", kind=kind), status=status, mimetype="text/html")
