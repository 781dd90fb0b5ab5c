"""Screen classes: what each screen does when shown and tapped. Their look is in screens/<name>.kv,
loaded the first time the screen is shown. Screens ask the App (which asks the worker's Lobby);
they hold no SQL, no ESC/POS and no I/O.

The Lobby's modules (kiosk.lobby, kiosk.printing and what they import) are imported where a screen
uses them, not at the top: the worker loads them right after the first frame, which must not wait
for them (bench/ui.py measures it)."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import BooleanProperty, DictProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from ..numbering import format_number
from ..speech import ticket_number_sentence


def app():
    return App.get_running_app()


def lobby_types():
    """kiosk.lobby, for its answer types and state names (loaded by the worker after the first frame)."""
    from .. import lobby

    return lobby


def spawn(cls_name: str, **props):
    """A kv dynamic class instance with its (kv-declared) properties set after creation."""
    widget = getattr(Factory, cls_name)()
    for name, value in props.items():
        setattr(widget, name, value)
    return widget


def fill_buttons(box, buttons) -> None:
    """A screen's row of answers: each entry (label key, callback[, label params]) or None, an empty
    slot that keeps the others where a double tap would not land on them; the first is primary."""
    box.clear_widgets()
    for i, entry in enumerate(buttons):
        if entry is None:
            box.add_widget(Widget(size_hint_y=None, height=0))
            continue
        label_key, callback, *params = entry
        b = spawn("KButton", label_key=label_key, params=params[0] if params else {}, primary=(i == 0))
        b.bind(on_release=lambda btn, cb=callback: cb())
        box.add_widget(b)


def duration_words(seconds: float | None) -> str:
    """'13 menit' / '13 minutes', not '795 s': staff read it at a glance."""
    a = app()
    if seconds is None:
        return "-"
    if seconds < 90:
        return a.t("time.seconds", n=int(seconds))
    if seconds < 90 * 60:
        return a.t("time.minutes", n=round(seconds / 60))
    return a.t("time.hours", n=round(seconds / 3600))


class KScroll(ScrollView):
    """A scroll view that says when there is more below (`more_below`, for the "geser ke bawah"
    hint under it); its bar is drawn dark on white (kiosk.kv)."""

    more_below = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(scroll_y=self._update, height=self._update)

    def add_widget(self, widget, *args, **kwargs):
        super().add_widget(widget, *args, **kwargs)
        widget.bind(height=self._update)
        self._update()

    def _update(self, *args):
        child = self.children[0] if self.children else None
        self.more_below = bool(child is not None and child.height > self.height + 2 and self.scroll_y > 0.01)


class KioskScreen(Screen):
    def on_pre_enter(self, *args):
        app().touched()

    def prepare(self, **kwargs) -> bool:
        """Called by App.show before the screen shows; True = resumed (keep the scroll place)."""
        return False


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

    # voice mode (kiosk/ui/voice.py): the screen itself is the button that starts
    def spoken_title(self) -> str:
        return app().office

    def spoken_purpose(self) -> str:
        return app().t("home.touch")

    def spoken_touch(self) -> str:
        return app().t("home.touch")


class ClosedScreen(KioskScreen):
    @staticmethod
    def locked(snapshot, *deps) -> bool:
        return bool(snapshot and snapshot.locked)


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

    def title_text(self, *deps) -> str:
        snap = app().snapshot
        return app().t("services.title", n=len(snap.services) if snap else 0)


class DocRow(ButtonBehavior, BoxLayout):
    """One document with its check box; `ticked` is what the box draws (kiosk.kv)."""

    doc = ObjectProperty(None, allownone=True)
    index = NumericProperty(0)
    ticked = BooleanProperty(False)

    def on_release(self):
        app().screen("detail").toggle(self.index)


class DetailScreen(KioskScreen):
    service = ObjectProperty(None, allownone=True)
    view = ObjectProperty(None, allownone=True)
    ticked = DictProperty({})

    def prepare(self, key: str | None = None, **kwargs) -> bool:
        if key is None:
            return True  # back from a dialog: keep the ticks and the place
        a = app()
        self.service = a.kiosk_config.catalogue.find(key)
        self.view = a.snapshot.service(key) if a.snapshot else None
        self.ticked = {}
        self._build()
        return False

    def _sections(self):
        """The parts of the page in order, each with whether this service has it: a part it
        lacks is taken out, so it leaves no gap (service H has no documents)."""
        svc = self.service
        if not hasattr(self, "_parts"):  # strong references: a part taken out must not be collected
            self._parts = {k: self.ids[k].__self__ for k in
                           ("description", "state", "mpaspor", "sec_docs", "sec_fees", "sec_processing", "sec_notes", "docs", "fees", "notes")}
        p = self._parts
        return [
            (p["description"], bool(svc.description_id or svc.description_en)),
            (p["state"], True),
            (p["mpaspor"], svc.mpaspor_required),
            (p["sec_docs"], bool(svc.documents)),
            (p["sec_fees"], bool(svc.fees)),
            (p["sec_processing"], bool(svc.processing_id or svc.processing_en)),
            (p["sec_notes"], bool(svc.notes_id or svc.notes_en)),
        ]

    def _build(self):
        body = self.ids.body
        body.clear_widgets()
        for widget, present in self._sections():
            if widget.parent is not None:
                widget.parent.remove_widget(widget)
            if present:
                body.add_widget(widget)
        docs = self._parts["docs"]
        docs.clear_widgets()
        for i, doc in enumerate(self.service.documents):
            docs.add_widget(DocRow(doc=doc, index=i))
        from ..printing import rupiah

        fees = self._parts["fees"]
        fees.clear_widgets()
        for fee in self.service.fees:
            fees.add_widget(spawn("FeeLine", fee=fee, amount=rupiah(fee.amount)))
        notes = self._parts["notes"]
        notes.clear_widgets()
        for i in range(max(len(self.service.notes_id), len(self.service.notes_en))):
            notes.add_widget(spawn("NoteLine", service=self.service, index=i))

    def toggle(self, index: int):
        ticked = dict(self.ticked)
        ticked[index] = not ticked.get(index, False)
        self.ticked = ticked
        for row in self._parts["docs"].children:
            row.ticked = bool(ticked.get(row.index))

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
            a.show("message", title_key="issue.refused", refusal=v.refusal,
                   buttons=[("common.back", self.back_here), ("common.home", a.go_home)])
            return
        missing = self.missing()
        if missing:
            # "Kembali" is the main answer and sits where "Ambil nomor antrean" was; going on is at
            # the far side, so a second tap cannot take a number without the documents.
            printer = a.snapshot.printer if a.snapshot else None
            can_print = printer is None or printer.can_print
            a.show("message", title_key="docs.missing_title", body_key="docs.missing_body", warning=True,
                   items=missing,
                   buttons=[("common.back", self.back_here), ("detail.print", self.print_requirements) if can_print else None,
                            ("docs.continue", self.proceed)])
            return
        self.proceed()

    def back_here(self, *args):
        app().show("detail")

    def proceed(self, *args):
        a = app()
        printer = a.snapshot.printer if a.snapshot else None
        if printer is not None and not printer.can_print:
            # the middle third: neither where "Ambil nomor antrean" (left) nor "Tetap ambil nomor" (right) was
            a.show("message", title_key="printer.cannot_print_title", body_key="printer.cannot_print_body",
                   problem_key=f"printer.{printer.state}", warning=True,
                   buttons=[("common.back", self.back_here), ("printer.take_anyway", self.choose_priority), None])
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
        """Every answer is in the list, none in the bottom row where the previous screen's
        buttons were: a double tap cannot answer this question unseen."""
        self.key = key
        self.regular_open = regular_open
        box = self.ids.groups
        box.clear_widgets()
        for group in app().kiosk_config.catalogue.priority_groups:
            box.add_widget(spawn("GroupButton", group=group, key=key))
        regular = spawn("KButton", label_key="priority.regular" if regular_open else "priority.regular_full",
                        disabled=not regular_open)
        regular.bind(on_release=lambda *a: app().take_number(self.key))
        box.add_widget(regular)
        return False


class PrintingScreen(KioskScreen):
    requirements = BooleanProperty(False)

    def prepare(self, key: str = "", requirements: bool = False, **kwargs):
        self.requirements = requirements
        return False


class TicketScreen(KioskScreen):
    result = ObjectProperty(None, allownone=True)
    service = ObjectProperty(None, allownone=True)
    group = ObjectProperty(None, allownone=True)
    booking = ObjectProperty(None, allownone=True)  # an M-Paspor check-in's BookingLookup (kiosk/ui/checkin.py)

    def prepare(self, result=None, booking=None, **kwargs):
        a = app()
        self.result = result
        self.booking = booking
        self.service = a.kiosk_config.catalogue.find(result.service) if result else None
        self.group = a.kiosk_config.catalogue.priority_group(result.priority) if result and result.priority else None
        return False

    def wait_text(self, *deps) -> str:
        r = self.result
        if r is None:
            return ""
        a = app()
        if r.served_first:  # as the paper says it: no regular queue's wait for a priority number
            return a.t("ticket.served_first")
        parts = []
        if r.people_ahead is not None:
            parts.append(a.t("ticket.ahead", n=r.people_ahead))
        if r.wait_minutes is not None:
            parts.append(a.t("ticket.wait", m=r.wait_minutes))
        return "\n".join(parts)

    def spoken_purpose(self) -> str:
        """Voice mode: the number digit by digit, the service, people ahead, where to wait."""
        r, a = self.result, app()
        if r is None or not r.number:
            return ""
        parts = [ticket_number_sentence(r.number, a.lang), a.t("voice.ticket_service", service=a.pick(self.service, "name"))]
        if self.group is not None:
            parts.append(a.t("ticket.priority", group=a.pick(self.group, "")))
        parts += [self.wait_text(), a.t("ticket.take" if r.printed else "ticket.print_failed"), a.t("voice.ticket_where")]
        return "\n".join(p for p in parts if p)


class MessageScreen(KioskScreen):
    """A dialog: title, body (message keys and a refusal, all rendered in the applicant's language
    through the catalogue), a list, and a row of buttons. The first button is the main one; a None
    keeps its place empty, so an answer never sits where the previous screen's button was."""

    title_key = StringProperty("")
    body_key = StringProperty("")
    problem_key = StringProperty("")
    refusal = ObjectProperty(None, allownone=True)
    items = ListProperty([])
    warning = BooleanProperty(False)

    def prepare(self, title_key="", body_key="", problem_key="", refusal=None, items=(), buttons=(), warning=False, **kwargs):
        self.title_key = title_key
        self.body_key = body_key
        self.problem_key = problem_key
        self.refusal = refusal
        self.items = list(items)
        self.warning = warning
        box = self.ids.buttons
        fill_buttons(box, buttons)
        box.cols = 1 if app().portrait or len(buttons) > 2 and app().large else max(1, len(buttons))
        lines = self.ids.lines
        lines.clear_widgets()
        for doc in self.items:
            lines.add_widget(spawn("ItemLine", doc=doc))
        return False

    def body_text(self, *deps) -> str:
        a = app()
        parts = [a.t(k) for k in (self.body_key, self.problem_key) if k]
        if self.refusal is not None:
            parts.append(a.t(self.refusal.key, **self.refusal.params))
        return "\n\n".join(p for p in parts if p)


class PinScreen(KioskScreen):
    pin = StringProperty("")
    note = StringProperty("")
    checking = BooleanProperty(False)

    def prepare(self, **kwargs):
        self.pin = ""
        self.note = app().t("pin.enter")
        self.checking = False
        return False

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
    failed = ListProperty([])  # today's failed prints, offered for reprint after "Paper refilled"

    def prepare(self, **kwargs):
        self.status = ""
        self.number = ""
        self.failed = []
        self.load()
        row = self.ids.letters
        row.clear_widgets()
        cat = app().kiosk_config.catalogue
        for letter in [s.prefix for s in cat.services] + [cat.priority_prefix]:
            b = spawn("KeyButton", text=letter)
            b.bind(on_release=lambda btn, l=letter: self.key(l))
            row.add_widget(b)
        return False

    def load(self):
        app().call(lambda lobby: lobby.staff_info(), on_done=self._loaded)

    def _loaded(self, info):
        self.info = info

    def digits(self) -> int:
        """How many digits a number has here (A001, or A0500 for a block up to 9999)."""
        block = app().kiosk_config.kiosk.number_block
        return len(format_number("", block[1], block))

    def key(self, ch: str):
        """A number is one letter, then exactly as many digits as the tickets print."""
        if ch.isalpha():
            self.number = ch
        elif self.number and len(self.number) - 1 < self.digits():
            self.number += ch

    def clear(self):
        self.number = ""

    def number_complete(self, *deps) -> bool:
        return len(self.number) == 1 + self.digits()

    def busy(self, name):
        self.status = app().t("staff.working")

    def done(self, name, result):
        a = app()
        if name == "set_locked":
            self.status = a.t("staff.locked_now" if result else "staff.unlocked_now")
        elif name == "paper_refilled":
            self.status = self.printer_text(result.state)
            self.failed = []
            app().call(lambda lobby: lobby.staff_info(), on_done=self._offer_reprints)
        elif name == "reprint_failed":
            ok = [r.number for r in result if r.ok]
            self.status = a.t("staff.reprinted_many", n=len(ok), numbers=", ".join(ok) or "-")
            if result and not result[-1].ok:
                self.status += "\n" + self.printer_text(result[-1].state)
            self.failed = []
        elif isinstance(result, lobby_types().PrintReport):
            self.status = result.text(a.lang)
            if not result.ok and result.state in lobby_types().PRINTER_STATES:
                self.status += "\n" + self.printer_text(result.state)
        self.load()

    def _offer_reprints(self, info):
        self.info = info
        if info.printer.can_print and info.failed_today:
            self.failed = list(info.failed_today)

    @staticmethod
    def printer_text(state: str) -> str:
        return app().t(f"printer.{state if state in lobby_types().PRINTER_STATES else 'unknown'}")

    def info_text(self, *deps) -> str:
        i = self.info
        a = app()
        if i is None:
            return a.t("staff.loading")
        sync = i.last_sync or {}
        lines = [
            a.t("staff.kiosk", id=i.kiosk_id, version=i.version),
            a.t("staff.printer", message=self.printer_text(i.printer.state)),
            a.t("staff.outbox", depth=i.outbox_depth, age=duration_words(i.outbox_oldest_age_s)),
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

