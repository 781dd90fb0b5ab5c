"""The Kivy App: screens, navigation, idle timers, the worker thread and the staff gesture.

Import only after `kiosk.ui.app.configure_kivy` (or, in tests, tests/ui/conftest.py) has set Kivy up.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kivy.app import App
from kivy.clock import Clock
from kivy.config import ConfigParser
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.uix.widget import Widget

from .. import locale
from ..clock import Clock as KioskClock
from ..config import KioskConfig
from ..sdnotify import Notifier, WatchdogPinger
from ..speech import Speaker, status_path
from . import screens  # noqa: F401  (registers the Screen classes with the Factory)
from .checkin import CheckinFlow
from .scanning import ScanInput
from .survey import SCREENS as SURVEY_SCREENS
from .survey import SurveyFlow
from .voice import TICKET_S as VOICE_TICKET_S
from .voice import Voice
from .worker import Worker

if TYPE_CHECKING:
    from ..printing import TicketPrinting

log = logging.getLogger("kiosk.ui")
HERE = Path(__file__).parent
KV_DIR = HERE / "screens"
SCREENS = ("home", "closed", "services", "detail", "priority", "printing", "ticket", "message", "pin", "staff",
           "checkin", "booking", *SURVEY_SCREENS)
NO_IDLE = ("home", "closed", "printing")
APPLICANT = ("services", "detail", "priority", "message", "checkin", "booking",
             *SURVEY_SCREENS)  # a lock takes the applicant off these at once
WARN_IDLE = APPLICANT  # these warn "Still there?" before going home; the ticket screen counts down
IDLE_WARNING_S = 15  # the warning shows for the last 15 s of ui.idle_seconds
FAILED_TICKET_S = 60  # a number that did not print stays up this long: the applicant writes it down
TAP_GUARD_S = 0.7  # taps this soon after a screen change are dropped: a double tap cannot answer unseen
WATCH_S = 0.25  # how often the worker asks SQLite whether another process wrote (lock, agent)
PREWARM = ("printing", "services", "detail", "ticket", "message", "priority", "closed", "booking", "checkin")
STAFF_HOLD_SECONDS = 5.0
DUP_WINDOW_S = 0.25  # a second "tap" this soon and this close, from another device, is the same tap
DUP_DISTANCE_PX = 40


class StaffCorner(Widget):
    """The hidden staff gesture: hold the top-left corner for 5 s. Swallows touches in its area."""

    def on_touch_down(self, touch):
        if self.collide_point(*touch.pos):
            touch.grab(self)
            App.get_running_app().corner_down(touch)
            return True
        return False

    def on_touch_up(self, touch):
        if touch.grab_current is self:
            touch.ungrab(self)
            App.get_running_app().corner_up(touch)
            return True
        return False


class StillThere(FloatLayout):
    """The "Masih di sana? / Still there?" overlay (look: kiosk.kv). While shown it takes every
    touch, so the tap that answers it cannot also press a button underneath."""

    def on_touch_down(self, touch):
        if App.get_running_app().warn_left > 0:
            App.get_running_app().still_here()
            return True
        return False

    def on_touch_move(self, touch):
        return App.get_running_app().warn_left > 0

    def on_touch_up(self, touch):
        return App.get_running_app().warn_left > 0


class KioskRoot(FloatLayout):
    """One tap, one event: a second touch while one is down, a duplicate of the last tap from
    another input device, or a tap within TAP_GUARD_S of a screen change (the second tap of a
    double tap, landing on whatever the new screen put there) is dropped. Every accepted touch
    resets the idle timer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._active: set = set()
        self._last: tuple | None = None  # (device, time, x, y)

    def _duplicate(self, touch) -> bool:
        if self._active:
            return True
        app = App.get_running_app()
        if app.monotonic() - app.shown_at < TAP_GUARD_S:
            log.info("dropped a tap %.0f ms after the screen changed", 1000 * (app.monotonic() - app.shown_at))
            return True
        last = self._last
        now = time.monotonic()
        if last and last[0] != touch.device and now - last[1] < DUP_WINDOW_S:
            if abs(last[2] - touch.x) < DUP_DISTANCE_PX and abs(last[3] - touch.y) < DUP_DISTANCE_PX:
                return True
        self._last = (touch.device, now, touch.x, touch.y)
        return False

    def on_touch_down(self, touch):
        if self._duplicate(touch):
            touch.ud["kiosk_dropped"] = True
            return True
        self._active.add(touch.uid)
        App.get_running_app().touched()
        if App.get_running_app().voice.touch_down(touch):
            return True
        return super().on_touch_down(touch)

    def on_touch_move(self, touch):
        if touch.ud.get("kiosk_dropped") or App.get_running_app().voice.touch_move(touch):
            return True
        return super().on_touch_move(touch)

    def on_touch_up(self, touch):
        if touch.ud.get("kiosk_dropped"):
            return True
        self._active.discard(touch.uid)
        App.get_running_app().touched()
        if App.get_running_app().voice.touch_up(touch):
            return True
        return super().on_touch_up(touch)


class KioskApp(App):
    lang = StringProperty(locale.DEFAULT_LANG)
    large = BooleanProperty(False)
    s = NumericProperty(1.0)  # screen scale: 1.0 at 800x480
    f = NumericProperty(1.0)  # font scale: s, times ui.large_text_scale in large-text mode
    portrait = BooleanProperty(False)
    snapshot = ObjectProperty(None, allownone=True)
    warn_left = NumericProperty(0)  # seconds before an idle applicant screen goes home; 0: no warning
    idle_left = NumericProperty(0)  # seconds before the ticket screen goes home
    office = StringProperty("")
    now_text = StringProperty("")
    voice_on = BooleanProperty(False)  # voice mode (kiosk/ui/voice.py), for this applicant only
    use_kivy_settings = False
    title = "Kiosk"

    def __init__(self, kiosk_config: KioskConfig, *, clock: KioskClock | None = None, printing: TicketPrinting | None = None,
                 monotonic=None, speaker: Speaker | None = None, **kwargs):
        super().__init__(**kwargs)
        self.kiosk_config = kiosk_config
        self.kclock = clock or KioskClock()
        # None until the worker's Lobby opens one (after the first frame; _open_lobby).
        self.printing = printing
        self.tz = ZoneInfo(kiosk_config.kiosk.timezone)
        self.monotonic = monotonic or time.monotonic
        self.languages = tuple(kiosk_config.ui.languages)
        self.lang = self.languages[0]
        self.office = kiosk_config.kiosk.office_name
        self.exit_code = 0
        self.worker: Worker | None = None
        self.sm: ScreenManager | None = None
        self.last_touch = self.monotonic()
        self._corner_since: float | None = None
        self._last_poll = -1e9
        self._minute = ""
        self._refresh_trigger = Clock.create_trigger(self._request_snapshot, 0.05)
        self._stopping = False
        self.staff_open = False
        self.shown_at = -1e9
        self._watching = False
        self._pending_catalogue = None
        self.survey = SurveyFlow(self)
        self.checkin = CheckinFlow(self)
        self.scanning: ScanInput | None = None
        # One speech engine for the whole app; its status file is what `kiosk doctor` reads.
        self.speaker = speaker or Speaker(kiosk_config.speech, status_file=status_path(kiosk_config.data_dir))
        self.voice = Voice(self)

    # -- Kivy App plumbing --------------------------------------------------------------------

    def load_config(self):
        """No <app>.ini on disk: every setting comes from kiosk.toml."""
        self.config = ConfigParser(name="kiosk-ui-%d" % id(self))
        return self.config

    def load_kv(self, filename=None):
        path = str(HERE / "kiosk.kv")
        if path in Builder.files:  # one App per process on a kiosk; tests build several
            return True
        return super().load_kv(filename)

    def open_settings(self, *largs):
        return False  # F1 settings panel off

    def build(self):
        if self.kiosk_config.ui.rotation:
            Window.rotation = self.kiosk_config.ui.rotation
        Window.clearcolor = (1, 1, 1, 1)
        root = KioskRoot()
        self.sm = ScreenManager(transition=NoTransition())
        root.add_widget(self.sm)
        self.still_there = Factory.StillThere()
        root.add_widget(self.still_there)
        self.corner = StaffCorner(size_hint=(None, None))
        root.add_widget(self.corner)
        root.add_widget(self.voice.focus)
        root.bind(size=self._layout_changed)
        Window.bind(on_request_close=self.on_request_close)
        self.bind(large=self._layout_changed)
        self.root = root
        self._layout_changed()
        self.show("home")
        return root

    def on_start(self):
        # systemd: READY once the first frame is on the display (not merely scheduled); the watchdog
        # is pinged from the Kivy loop, so a frozen screen stops the pings and systemd restarts the UI.
        self.notifier = Notifier()
        self.watchdog = WatchdogPinger(self.notifier)
        first_frame = threading.Event()  # the worker opens the Lobby after it (Worker's `after`)
        self._first_flip = lambda *args: self._on_first_frame(first_frame)
        Window.bind(on_flip=self._first_flip)
        self.worker = Worker(self._open_lobby,
                             lambda fn: Clock.schedule_once(lambda dt: fn(), 0), after=first_frame)
        self._ticker = Clock.schedule_interval(self.tick, 0.5)
        self._watcher = Clock.schedule_interval(lambda dt: self.watch(), WATCH_S)
        self.tick(0)
        self._prewarm = list(PREWARM)
        self.start_scanner()
        Clock.schedule_once(self._prewarm_next, 1.0)

    def _open_lobby(self):
        """On the worker thread, once the first frame is up: the Lobby's modules (store, issuer,
        printing, check-in) load here, so the applicant's first screen does not wait for them."""
        from ..lobby import open_lobby

        lobby = open_lobby(self.kiosk_config, self.kclock, self.printing)
        self.printing = lobby.printing
        return lobby

    def _on_first_frame(self, first_frame: threading.Event):
        self._unbind_first_flip()
        first_frame.set()
        self.notifier.ready("touchscreen running")

    def _unbind_first_flip(self):
        if getattr(self, "_first_flip", None) is not None:
            Window.unbind(on_flip=self._first_flip)
            self._first_flip = None

    def _prewarm_next(self, dt):
        """After the first frame, build one screen per frame (kv parse + widgets), so that the
        first tap on each does not pay for it: the tap's feedback must show within 100 ms."""
        if self._prewarm and self.sm is not None:
            from kivy.uix.label import Label

            scr = self.screen(self._prewarm.pop(0))
            if scr.parent is None:
                scr.size = self.sm.size
            for w in scr.walk(restrict=True):
                if isinstance(w, Label):
                    w.texture_update()  # the glyphs are rendered now, not on the first tap
            Clock.schedule_once(self._prewarm_next, 0.05)

    def on_stop(self):
        self.shutdown()

    def shutdown(self):
        self._unbind_first_flip()
        if getattr(self, "notifier", None) is not None:
            self.notifier.stopping()
        for name in ("_ticker", "_watcher"):
            if getattr(self, name, None) is not None:
                getattr(self, name).cancel()
                setattr(self, name, None)
        # Nothing of this app may run after it stops: a late prewarm or refresh would evaluate kv
        # rules, and kv's `app` proxy would cache this stopped app for every widget built later.
        self._prewarm = []
        Clock.unschedule(self._prewarm_next)
        self._refresh_trigger.cancel()
        self.voice.close()
        Window.unbind(on_request_close=self.on_request_close)
        if self.scanning is not None:
            self.scanning.stop()
            self.scanning = None
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        try:
            if self.printing is not None:
                self.printing.close()
        except Exception:
            log.exception("closing the printer")

    def on_request_close(self, *args, source=None, **kwargs):
        """Refuse closes from the keyboard (Esc, Alt+F4 as keys); a close request without a
        source is SIGTERM (systemctl stop) or the display going away: quit cleanly."""
        if source == "keyboard":
            log.info("refused a keyboard close request")
            return True
        return False

    def request_stop(self, code: int = 0):
        self.exit_code = code
        if not self._stopping:
            self._stopping = True
            Clock.schedule_once(lambda dt: self.stop(), 0)

    # -- sizes and texts ----------------------------------------------------------------------

    def _layout_changed(self, *args):
        w, h = Window.size if self.root is None else self.root.size
        if w <= 1 or h <= 1:
            w, h = Window.size
        self.portrait = h > w
        base = (480.0, 800.0) if self.portrait else (800.0, 480.0)
        self.s = max(0.5, min(w / base[0], h / base[1]))
        self.f = self.s * (self.kiosk_config.ui.large_text_scale if self.large else 1.0)
        if getattr(self, "corner", None) is not None:
            side = 70 * self.s
            self.corner.size = (side, side)
            self.corner.pos = (0, h - side)

    def t(self, key: str, *deps, **fmt) -> str:
        """The text for `key` in the current language; kv passes app.lang in `deps` to re-bind."""
        return locale.t(self.lang, key, **fmt)

    def pick(self, obj, field: str, *deps) -> str:
        """A catalogue field in the current language: name_id / name_en, or a PriorityGroup's id/en."""
        if obj is None:
            return ""
        for lang in (self.lang, locale.DEFAULT_LANG):  # the catalogue has id and en texts only
            value = getattr(obj, f"{field}_{lang}" if field else lang, "")
            if isinstance(value, str) and value:
                return value
        return ""

    def set_lang(self, lang: str):
        if lang in self.languages:
            self.lang = lang

    def next_lang(self, *deps) -> str:
        """The language the switch on every screen offers: the next one in ui.languages."""
        i = self.languages.index(self.lang) if self.lang in self.languages else -1
        return self.languages[(i + 1) % len(self.languages)]

    def toggle_large(self):
        self.large = not self.large

    # -- navigation ---------------------------------------------------------------------------

    def screen(self, name: str):
        """The screen `name`, created (and its .kv loaded) on first use."""
        if not self.sm.has_screen(name):
            path = str(KV_DIR / f"{name}.kv")
            if path not in Builder.files:
                Builder.load_file(path)
            cls = getattr(Factory, f"{name.capitalize()}Screen")
            self.sm.add_widget(cls(name=name))
        return self.sm.get_screen(name)

    def show(self, name: str, **kwargs):
        scr = self.screen(name)
        resumed = scr.prepare(**kwargs) if hasattr(scr, "prepare") else False
        if not resumed:  # a screen opens at its top; only a return from a dialog keeps its place
            from kivy.uix.scrollview import ScrollView

            for w in scr.walk(restrict=True):
                if isinstance(w, ScrollView):
                    w.scroll_y = 1
        self.sm.current = name
        self.last_touch = self.shown_at = self.monotonic()
        self.warn_left = 0
        self.voice.shown(scr)
        return scr

    @property
    def current(self) -> str:
        return self.sm.current if self.sm else ""

    def end_session(self):
        """The applicant is done (ticket taken, gave up, walked away): the next one starts in the
        default language and normal text size, with voice mode off."""
        self.voice.end()
        self.lang = self.languages[0]
        self.large = False

    def go_home(self, *args, end_session: bool = True):
        """Back to the start; `end_session=False` ("Kembali" from the services) keeps the applicant's
        language and text size. A catalogue pulled meanwhile is switched to here."""
        self.staff_open = False
        if end_session:
            self.end_session()
        if self._pending_catalogue is not None:
            self._apply_catalogue()
        if self.snapshot is not None and not self.snapshot.open:
            self.show("closed")
        else:
            self.show("home")
        self._refresh_trigger()

    def back_home(self, *args):
        self.go_home(end_session=False)

    def still_here(self):
        self.touched()
        self.warn_left = 0

    # -- timers -------------------------------------------------------------------------------

    def touched(self):
        self.last_touch = self.monotonic()
        self.survey.touched(self.last_touch)

    def tick(self, dt):
        """Twice a second: the clock on the home screen, idle return, the staff gesture, polling."""
        if getattr(self, "watchdog", None) is not None:
            self.watchdog.tick()
        now = self.monotonic()
        local = self.kclock.now().astimezone(self.tz)
        minute = local.strftime("%Y-%m-%d %H:%M")
        if minute != self._minute:
            self._minute = minute
            self.now_text = self.format_now(local)
        if self._corner_since is not None and now - self._corner_since >= STAFF_HOLD_SECONDS:
            self._corner_since = None
            self.open_staff_pin()
        current = self.current
        idle = now - self.last_touch
        if current not in NO_IDLE:
            limit = self.idle_limit(current)
            if idle >= limit:
                log.info("idle for %d s on %s: back to the start", limit, current)
                self.go_home()
                return
            left = math.ceil(limit - idle)
            self.warn_left = left if current in WARN_IDLE and left <= IDLE_WARNING_S else 0
            self.idle_left = left if current == "ticket" else 0
        elif current in ("home", "closed"):
            if idle >= self.kiosk_config.ui.idle_seconds and (self.lang != self.languages[0] or self.large or self.voice_on):
                self.end_session()  # a language left on the start screen is not the next applicant's
            if now - self._last_poll >= self.kiosk_config.ui.status_poll_seconds:
                self._last_poll = now
                self.poll()

    def idle_limit(self, current: str) -> float:
        ui = self.kiosk_config.ui
        if current != "ticket":
            return ui.idle_seconds
        result = getattr(self.sm.get_screen("ticket"), "result", None)
        limit = ui.ticket_seconds if result is None or result.printed else max(ui.ticket_seconds, FAILED_TICKET_S)
        return max(limit, VOICE_TICKET_S) if self.voice_on else limit

    def format_now(self, local) -> str:
        months = locale.t(self.lang, "date.months").split(",")
        days = locale.t(self.lang, "date.days").split(",")
        return f"{days[local.weekday()]}, {local.day} {months[local.month - 1]} {local.year}   {local:%H:%M}"

    def on_lang(self, *args):
        self._minute = ""  # the date is written in the language

    def corner_down(self, touch):
        self._corner_since = self.monotonic()

    def corner_up(self, touch):
        self._corner_since = None

    # -- talking to the worker ----------------------------------------------------------------

    def call(self, fn, *args, on_done=None, on_error=None):
        if self.worker is None:
            return
        self.worker.submit(fn, *args, on_done=on_done, on_error=on_error or self._worker_failed)

    def _worker_failed(self, error):
        self.show("message", title_key="error.title", body_key="error.body", buttons=[("common.ok", self.go_home)])

    def poll(self):
        """Refresh the printer state (printer I/O) and the snapshot, on the worker."""
        self.call(lambda lobby: (lobby.refresh_printer(), lobby.snapshot())[1], on_done=self._got_snapshot)

    def _request_snapshot(self, *args):
        self.call(lambda lobby: lobby.snapshot(), on_done=self._got_snapshot)

    def refresh(self):
        """Ask for a new snapshot; bursts of requests are coalesced into one (Clock trigger)."""
        self._refresh_trigger()

    def watch(self):
        """Every WATCH_S: has another process written to the database (a `kiosk lock`, the agent's
        sync or catalogue)? One job at a time, so a long print does not pile them up."""
        if self._watching or self.worker is None:
            return
        self._watching = True
        at_home = self.current in ("home", "closed")
        self.call(lambda lobby: (lobby.watch(), lobby.catalogue_update() if at_home else None),
                  on_done=self._watched, on_error=self._watch_failed)

    def _watched(self, found):
        self._watching = False
        snap, catalogue = found
        if catalogue is not None:
            self._pending_catalogue = catalogue
            if self.current in ("home", "closed"):
                self._apply_catalogue()
        if snap is not None:
            self._got_snapshot(snap)

    def _watch_failed(self, error):
        self._watching = False
        log.warning("watching the database failed: %s", error)

    def _apply_catalogue(self):
        """Switch screens and the worker's Lobby together: every job submitted after this one (the
        worker runs them in order) issues and prints with the new catalogue."""
        catalogue, self._pending_catalogue = self._pending_catalogue, None
        self.kiosk_config = dataclasses.replace(self.kiosk_config, catalogue=catalogue)
        self.call(lambda lobby: lobby.use_catalogue(catalogue))
        log.info("the touchscreen now shows the catalogue pulled from the central server")
        self.refresh()

    def _got_snapshot(self, snap):
        self.snapshot = snap
        if self.current == "home" and not snap.open:
            self.show("closed")
        elif self.current == "closed" and snap.open:
            self.show("home")
        elif self.current in APPLICANT and snap.locked and not self.staff_open:
            log.info("locked by staff while an applicant was on %s: closed screen", self.current)
            self.go_home()

    # -- the applicant's flow -----------------------------------------------------------------

    def start(self):
        self.show("services")
        self.refresh()

    def open_service(self, key: str):
        self.show("detail", key=key)

    def take_number(self, key: str, priority: str | None = None):
        """The tap that issues: the printing screen shows at once, the work happens on the worker."""
        self.show("printing", key=key)
        self.call(lambda lobby: lobby.issue_and_print(key, priority), on_done=self._issued)

    def _issued(self, result):
        if result.issued:
            self.show("ticket", result=result)
        else:
            self.show("message", title_key="issue.refused", refusal=result.refusal, buttons=[("common.ok", self.go_home)])
        self.refresh()

    def print_requirements(self, key: str):
        self.show("printing", key=key, requirements=True)
        lang = self.lang  # the session's language: a printer without Font B prints the slip in it alone
        self.call(lambda lobby: lobby.print_requirements(key, lang), on_done=lambda r: self._requirements_done(key, r))

    def _requirements_done(self, key, report):
        self.show("message", title_key="requirements.title",
                  body_key="requirements.printed" if report.ok else "requirements.failed",
                  buttons=[("common.back_to_service", lambda *a: self.open_service(key)), ("common.done", self.go_home)])
        self.refresh()

    def start_scanner(self):
        """The booking scanner of `[scanner]` (kiosk/ui/scanning.py); its codes go to the check-in."""
        try:
            self.scanning = ScanInput(self.kiosk_config.scanner, self.checkin.scanned, self.checkin.unreadable,
                                      self.checkin.typed, on_code_thread=self.checkin.scanned_off_thread).start()
        except ValueError as e:  # the config loader checks the value; a scanner must never stop the kiosk
            log.error("booking scanner not started: %s", e)

    # -- staff --------------------------------------------------------------------------------

    def open_staff_pin(self):
        log.info("staff gesture")
        self.end_session()  # staff read their screen in the kiosk's language, not the last applicant's
        self.show("pin")

    def check_pin(self, pin: str):
        self.call(lambda lobby: lobby.check_pin(pin), on_done=self._pin_checked)

    def _pin_checked(self, check):
        if check.ok:
            self.staff_open = True
            self.show("staff")
        else:
            pin = self.screen("pin")
            pin.result(check)

    def staff_action(self, name: str, *args):
        if not self.staff_open:
            return
        staff = self.screen("staff")
        staff.busy(name)

        def done(result):
            staff.done(name, result)
            self.refresh()

        self.call(lambda lobby: getattr(lobby, name)(*args), on_done=done)

    def staff_restart(self):
        """Ask first: "Restart" sits next to "Lock kiosk", and a restart blanks the screen."""
        if self.staff_open:
            self.show("message", title_key="staff.restart_title", body_key="staff.restart_body", warning=True,
                      buttons=[("common.cancel", lambda: self.show("staff")), ("staff.restart_yes", self._restart_now)])

    def _restart_now(self):
        if self.staff_open:
            self.request_stop(75)
