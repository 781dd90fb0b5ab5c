"""Screen classes: what each screen does when shown and tapped. Their look is in screens/<name>.kv,
loaded the first time the screen is shown. Screens ask the App (which asks the worker's Lobby);
they hold no SQL, no ESC/POS and no I/O."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import BooleanProperty, DictProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from ..printing import rupiah


def app():
    return App.get_running_app()


def spawn(cls_name: str, **props):
    """A kv dynamic class instance with its (kv-declared) properties set after creation."""
    widget = getattr(Factory, cls_name)()
    for name, value in props.items():
        setattr(widget, name, value)
    return widget


class KioskScreen(Screen):
    def on_pre_enter(self, *args):
        app().touched()


class HomeScreen(KioskScreen):
    """Touch anywhere (but the language and text-size buttons) to start."""

    def on_touch_down(self, touch):
        if super().on_touch_down(touch):
            return True
        if self.collide_point(*touch.pos):
            touch.ud["home_start"] = True
            return True
        return False

    def on_touch_up(self, touch):
        if touch.ud.get("home_start"):
            touch.ud["home_start"] = False
            app().start()
            return True
        return super().on_touch_up(touch)


class ClosedScreen(KioskScreen):
    pass


class ServicesScreen(KioskScreen):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        app().bind(snapshot=self._rebuild)

    def prepare(self, **kwargs):
        self._rebuild()

    def _rebuild(self, *args):
        grid = self.ids.get("grid")
        if grid is None:
            return
        grid.clear_widgets()
        snap = app().snapshot
        if snap is None:
            return
        for view in snap.services:
            grid.add_widget(Factory.ServiceTile(view=view))


class DetailScreen(KioskScreen):
    service = ObjectProperty(None, allownone=True)
    view = ObjectProperty(None, allownone=True)
    ticked = DictProperty({})

    def prepare(self, key: str | None = None, **kwargs):
        if key is None:
            return  # back from a dialog: keep the ticks
        a = app()
        self.service = a.kiosk_config.catalogue.find(key)
        self.view = a.snapshot.service(key) if a.snapshot else None
        self.ticked = {}
        self._build()
        if "scroll" in self.ids:
            self.ids.scroll.scroll_y = 1

    def _build(self):
        docs = self.ids.docs
        docs.clear_widgets()
        for i, doc in enumerate(self.service.documents):
            docs.add_widget(spawn("DocRow", doc=doc, index=i, screen=self))
        fees = self.ids.fees
        fees.clear_widgets()
        for fee in self.service.fees:
            fees.add_widget(spawn("FeeLine", fee=fee, amount=rupiah(fee.amount)))
        notes = self.ids.notes
        notes.clear_widgets()
        for i in range(max(len(self.service.notes_id), len(self.service.notes_en))):
            notes.add_widget(spawn("NoteLine", service=self.service, index=i))

    def toggle(self, index: int):
        ticked = dict(self.ticked)
        ticked[index] = not ticked.get(index, False)
        self.ticked = ticked

    def missing(self) -> list:
        return [d for i, d in enumerate(self.service.documents) if d.mandatory and not self.ticked.get(i)]

    def state_text(self, *deps) -> str:
        v = self.view
        if v is None:
            return ""
        return ServiceTile.state_line(v)

    # actions ------------------------------------------------------------------------------

    def take(self):
        a = app()
        v = a.snapshot.service(self.service.key) if a.snapshot else self.view
        self.view = v
        if v is not None and v.state != "open" and not (v.state == "quota_full" and v.priority_open):
            a.show("message", title_key="issue.refused", bilingual=(v.reason_id, v.reason_en),
                   buttons=[("common.back", self.back_here), ("common.home", a.go_home)])
            return
        missing = self.missing()
        if missing:
            a.show("message", title_key="docs.missing_title", body_key="docs.missing_body",
                   items=[(d.id, d.en) for d in missing],
                   buttons=[("docs.continue", self.proceed), ("detail.print", self.print_requirements),
                            ("common.back", self.back_here)])
            return
        self.proceed()

    def back_here(self, *args):
        app().show("detail")

    def proceed(self, *args):
        a = app()
        printer = a.snapshot.printer if a.snapshot else None
        if printer is not None and not printer.can_print:
            a.show("message", title_key="printer.cannot_print_title", body_key="printer.cannot_print_body",
                   bilingual=(printer.message_id, printer.message_en), warning=True,
                   buttons=[("printer.take_anyway", self.choose_priority), ("common.back", self.back_here)])
            return
        self.choose_priority()

    def choose_priority(self, *args):
        a = app()
        v = self.view
        if self.service.priority_allowed and a.kiosk_config.catalogue.priority_groups and (v is None or v.priority_open):
            a.show("priority", key=self.service.key, regular_open=v is None or v.state == "open")
        else:
            a.take_number(self.service.key)

    def print_requirements(self, *args):
        app().print_requirements(self.service.key)


class PriorityScreen(KioskScreen):
    key = StringProperty("")
    regular_open = BooleanProperty(True)

    def prepare(self, key: str = "", regular_open: bool = True, **kwargs):
        self.key = key
        self.regular_open = regular_open
        box = self.ids.groups
        box.clear_widgets()
        for group in app().kiosk_config.catalogue.priority_groups:
            box.add_widget(spawn("GroupButton", group=group, key=key))


class PrintingScreen(KioskScreen):
    requirements = BooleanProperty(False)

    def prepare(self, key: str = "", requirements: bool = False, **kwargs):
        self.requirements = requirements


class TicketScreen(KioskScreen):
    result = ObjectProperty(None, allownone=True)
    service = ObjectProperty(None, allownone=True)
    group = ObjectProperty(None, allownone=True)

    def prepare(self, result=None, **kwargs):
        a = app()
        self.result = result
        self.service = a.kiosk_config.catalogue.find(result.service) if result else None
        self.group = a.kiosk_config.catalogue.priority_group(result.priority) if result and result.priority else None

    def wait_text(self, *deps) -> str:
        r = self.result
        if r is None:
            return ""
        a = app()
        parts = []
        if r.people_ahead is not None:
            parts.append(a.t("ticket.ahead", n=r.people_ahead))
        if r.wait_minutes is not None:
            parts.append(a.t("ticket.wait", m=r.wait_minutes))
        return "\n".join(parts)


class MessageScreen(KioskScreen):
    title_key = StringProperty("")
    body_key = StringProperty("")
    bilingual = ListProperty([])
    items = ListProperty([])
    warning = BooleanProperty(False)

    def prepare(self, title_key="", body_key="", body=None, bilingual=None, items=(), buttons=(), warning=False, **kwargs):
        self.title_key = title_key
        self.body_key = body_key
        self.bilingual = list(bilingual) if bilingual else ([body, body] if body else [])
        self.items = list(items)
        self.warning = warning
        box = self.ids.buttons
        box.clear_widgets()
        for i, (label_key, callback) in enumerate(buttons):
            b = spawn("KButton", label_key=label_key, primary=(i == 0))
            b.bind(on_release=lambda btn, cb=callback: cb())
            box.add_widget(b)
        box.cols = 1 if app().portrait or len(buttons) > 2 and app().large else max(1, len(buttons))
        lines = self.ids.lines
        lines.clear_widgets()
        for pair in self.items:
            lines.add_widget(spawn("ItemLine", pair=pair))
        if "scroll" in self.ids:
            self.ids.scroll.scroll_y = 1

    def body_text(self, *deps) -> str:
        a = app()
        parts = []
        if self.body_key:
            parts.append(a.t(self.body_key))
        if self.bilingual:
            parts.append(self.bilingual[0] if a.lang == "id" else self.bilingual[1])
        return "\n\n".join(p for p in parts if p)


class PinScreen(KioskScreen):
    pin = StringProperty("")
    note = StringProperty("")
    checking = BooleanProperty(False)

    def prepare(self, **kwargs):
        self.pin = ""
        self.note = app().t("pin.enter")
        self.checking = False

    def press(self, digit: str):
        if not self.checking and len(self.pin) < 12:
            self.pin += digit

    def clear(self):
        self.pin = ""

    def submit(self):
        if self.checking or not self.pin:
            return
        self.checking = True
        self.note = app().t("pin.checking")
        app().check_pin(self.pin)

    def result(self, check):
        a = app()
        self.checking = False
        self.pin = ""
        if check.reason == "locked":
            self.note = a.t("pin.locked", m=max(1, (check.locked_seconds + 59) // 60))
        elif check.reason == "not_configured":
            self.note = a.t("pin.not_configured")
        else:
            self.note = a.t("pin.wrong", n=check.attempts_left)


class StaffScreen(KioskScreen):
    info = ObjectProperty(None, allownone=True)
    status = StringProperty("")
    number = StringProperty("")

    def prepare(self, **kwargs):
        self.status = ""
        self.number = ""
        self.load()
        row = self.ids.letters
        row.clear_widgets()
        cat = app().kiosk_config.catalogue
        for letter in [s.prefix for s in cat.services] + [cat.priority_prefix]:
            b = spawn("KeyButton", text=letter)
            b.bind(on_release=lambda btn, l=letter: self.key(l))
            row.add_widget(b)

    def load(self):
        app().call(lambda lobby: lobby.staff_info(), on_done=self._loaded)

    def _loaded(self, info):
        self.info = info

    def key(self, ch: str):
        if ch.isalpha():
            self.number = ch
        elif len(self.number) < 6:
            self.number += ch

    def busy(self, name):
        self.status = app().t("staff.working")

    def done(self, name, result):
        a = app()
        if hasattr(result, "message_id"):
            self.status = result.message_id if a.lang == "id" else result.message_en
            if getattr(result, "reason", "") and not getattr(result, "ok", True):
                self.status += f"\n({result.state}: {result.reason})"
        elif name == "set_locked":
            self.status = a.t("staff.locked_now" if result else "staff.unlocked_now")
        self.load()

    def info_text(self, *deps) -> str:
        i = self.info
        a = app()
        if i is None:
            return a.t("staff.loading")
        sync = i.last_sync or {}
        age = "-" if i.outbox_oldest_age_s is None else f"{i.outbox_oldest_age_s:.0f} s"
        lines = [
            a.t("staff.kiosk", id=i.kiosk_id, version=i.version),
            a.t("staff.printer", state=i.printer.state, message=i.printer.message_id if a.lang == "id" else i.printer.message_en),
            a.t("staff.outbox", depth=i.outbox_depth, age=age),
            a.t("staff.sync", at=sync.get("last_ok_at") or "-", error=sync.get("last_error") or "-"),
            a.t("staff.network", state=a.t(f"staff.net_{i.network}"), url=i.central_url or "-"),
            a.t("staff.lock_state", state=a.t("staff.locked" if i.locked else "staff.unlocked")),
            a.t("staff.last", number=i.last_ticket or "-", failed=", ".join(i.failed_today) or "-"),
        ]
        return "\n".join(lines)


class ServiceTile(ButtonBehavior, BoxLayout):
    view = ObjectProperty(None, allownone=True)

    @staticmethod
    def state_line(v) -> str:
        a = app()
        if v.state == "open":
            text = a.t("state.open")
        elif v.state == "quota_full" and v.priority_open:
            text = a.t("state.quota_full_priority")
        else:
            text = a.t(f"state.{v.state}")
        if v.waiting is not None:
            text += "  ·  " + a.t("state.waiting", n=v.waiting)
        return text

    def state_text(self, *deps) -> str:
        return self.state_line(self.view) if self.view else ""

