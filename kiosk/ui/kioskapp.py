"""The Kivy App: screens, navigation, idle timers, the worker thread and the staff gesture.

Import only after `kiosk.ui.app.configure_kivy` (or, in tests, tests/ui/conftest.py) has set Kivy up.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

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
from ..lobby import open_lobby
from ..printing import TicketPrinting
from ..sdnotify import Notifier, WatchdogPinger
from . import screens  # noqa: F401  (registers the Screen classes with the Factory)
from .worker import Worker

log = logging.getLogger("kiosk.ui")
HERE = Path(__file__).parent
KV_DIR = HERE / "screens"
SCREENS = ("home", "closed", "services", "detail", "priority", "printing", "ticket", "message", "pin", "staff")
NO_IDLE = ("home", "closed", "printing")
PREWARM = ("printing", "services", "detail", "ticket", "message", "priority", "closed")
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


class KioskRoot(FloatLayout):
    """One tap, one event: a second touch while one is down, or a duplicate of the last tap from
    another input device, is dropped. Every accepted touch resets the idle timer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._active: set = set()
        self._last: tuple | None = None  # (device, time, x, y)

    def _duplicate(self, touch) -> bool:
        if self._active:
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
        return super().on_touch_down(touch)

    def on_touch_move(self, touch):
        if touch.ud.get("kiosk_dropped"):
            return True
        return super().on_touch_move(touch)

    def on_touch_up(self, touch):
        if touch.ud.get("kiosk_dropped"):
            return True
        self._active.discard(touch.uid)
        App.get_running_app().touched()
        return super().on_touch_up(touch)


class KioskApp(App):
    lang = StringProperty(locale.DEFAULT_LANG)
    large = BooleanProperty(False)
    s = NumericProperty(1.0)  # screen scale: 1.0 at 800x480
    f = NumericProperty(1.0)  # font scale: s, times ui.large_text_scale in large-text mode
    portrait = BooleanProperty(False)
    snapshot = ObjectProperty(None, allownone=True)
    office = StringProperty("")
    now_text = StringProperty("")
    use_kivy_settings = False
    title = "Kiosk"

    def __init__(self, kiosk_config: KioskConfig, *, clock: KioskClock | None = None, printing: TicketPrinting | None = None,
                 monotonic=None, **kwargs):
        super().__init__(**kwargs)
        self.kiosk_config = kiosk_config
        self.kclock = clock or KioskClock()
        self.printing = printing or TicketPrinting(kiosk_config, self.kclock)
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
        self.corner = StaffCorner(size_hint=(None, None))
        root.add_widget(self.corner)
        root.bind(size=self._layout_changed)
        Window.bind(on_request_close=self.on_request_close)
        self.bind(large=self._layout_changed)
        self.root = root
        self._layout_changed()
        self.show("home")
        return root

    def on_start(self):
        self.worker = Worker(lambda: open_lobby(self.kiosk_config, self.kclock, self.printing),
                             lambda fn: Clock.schedule_once(lambda dt: fn(), 0))
        self._ticker = Clock.schedule_interval(self.tick, 0.5)
        self.tick(0)
        self._prewarm = list(PREWARM)
        Clock.schedule_once(self._prewarm_next, 1.0)
        # systemd: READY once the first frame is up; the watchdog is pinged from the Kivy loop, so
        # a frozen screen stops the pings and systemd restarts the UI.
        self.notifier = Notifier()
        self.watchdog = WatchdogPinger(self.notifier)
        Clock.schedule_once(lambda dt: self.notifier.ready("touchscreen running"), 0)

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
        if getattr(self, "notifier", None) is not None:
            self.notifier.stopping()
        if getattr(self, "_ticker", None) is not None:
            self._ticker.cancel()
            self._ticker = None
        # Nothing of this app may run after it stops: a late prewarm or refresh would evaluate kv
        # rules, and kv's `app` proxy would cache this stopped app for every widget built later.
        self._prewarm = []
        Clock.unschedule(self._prewarm_next)
        self._refresh_trigger.cancel()
        Window.unbind(on_request_close=self.on_request_close)
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        try:
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
        value = getattr(obj, f"{field}_{self.lang}" if field else self.lang, "")
        return value if isinstance(value, str) else ""

    def set_lang(self, lang: str):
        if lang in self.languages:
            self.lang = lang

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
        if hasattr(scr, "prepare"):
            scr.prepare(**kwargs)
        self.sm.current = name
        self.last_touch = self.monotonic()
        return scr

    @property
    def current(self) -> str:
        return self.sm.current if self.sm else ""

    def go_home(self, *args):
        """Back to the start for the next applicant: default language, normal text size."""
        self.staff_open = False
        self.lang = self.languages[0]
        self.large = False
        if self.snapshot is not None and not self.snapshot.open:
            self.show("closed")
        else:
            self.show("home")
        self._refresh_trigger()

    # -- timers -------------------------------------------------------------------------------

    def touched(self):
        self.last_touch = self.monotonic()

    def tick(self, dt):
        """Twice a second: the clock on the home screen, idle return, the staff gesture, polling."""
        if getattr(self, "watchdog", None) is not None:
            self.watchdog.tick()
        now = self.monotonic()
        local = self.kclock.now().astimezone(self.printing.tz)
        minute = local.strftime("%Y-%m-%d %H:%M")
        if minute != self._minute:
            self._minute = minute
            self.now_text = self.format_now(local)
        if self._corner_since is not None and now - self._corner_since >= STAFF_HOLD_SECONDS:
            self._corner_since = None
            self.open_staff_pin()
        current = self.current
        if current not in NO_IDLE:
            limit = self.kiosk_config.ui.ticket_seconds if current == "ticket" else self.kiosk_config.ui.idle_seconds
            if now - self.last_touch >= limit:
                log.info("idle for %d s on %s: back to the start", limit, current)
                self.go_home()
        elif current in ("home", "closed") and now - self._last_poll >= self.kiosk_config.ui.status_poll_seconds:
            self._last_poll = now
            self.poll()

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
        self.show("message", title_key="error.title", body=self.t("error.body"), buttons=[("common.ok", self.go_home)])

    def poll(self):
        """Refresh the printer state (printer I/O) and the snapshot, on the worker."""
        self.call(lambda lobby: (lobby.refresh_printer(), lobby.snapshot())[1], on_done=self._got_snapshot)

    def _request_snapshot(self, *args):
        self.call(lambda lobby: lobby.snapshot(), on_done=self._got_snapshot)

    def refresh(self):
        """Ask for a new snapshot; bursts of requests are coalesced into one (Clock trigger)."""
        self._refresh_trigger()

    def _got_snapshot(self, snap):
        self.snapshot = snap
        if self.current == "home" and not snap.open:
            self.show("closed")
        elif self.current == "closed" and snap.open:
            self.show("home")

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
            self.show("message", title_key="issue.refused", body=result.message_id if self.lang == "id" else result.message_en,
                      bilingual=(result.message_id, result.message_en), buttons=[("common.ok", self.go_home)])
        self.refresh()

    def print_requirements(self, key: str):
        self.show("printing", key=key, requirements=True)
        self.call(lambda lobby: lobby.print_requirements(key), on_done=lambda r: self._requirements_done(key, r))

    def _requirements_done(self, key, report):
        self.show("message", title_key="requirements.title", bilingual=(report.message_id, report.message_en),
                  buttons=[("common.back_to_service", lambda *a: self.open_service(key)), ("common.done", self.go_home)])
        self.refresh()

    # -- staff --------------------------------------------------------------------------------

    def open_staff_pin(self):
        log.info("staff gesture")
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
        if self.staff_open:
            self.request_stop(75)
