import pytest
from support.checkin import seed_list
from support.kiosk_env import make_config

from kiosk.lobby import Lobby
from kiosk.printing import TicketPrinting
from kiosk.store import Store
from kiosk.ui.app import with_printer_device
from printer.fake import FakePrinter


@pytest.fixture
def fake():
    f = FakePrinter()
    f.start()
    yield f
    f.stop()


@pytest.fixture
def make_lobby(tmp_path, fake, clock):
    """Lobbies on real SQLite files; `make_lobby(name, extra=...)` one kiosk each, all on the fake printer."""
    made = []

    def make(name: str = "k1", extra: str = "", **kwargs) -> Lobby:
        config = make_config(tmp_path / name, kiosk=f'id = "{name}"', extra=extra, **kwargs)
        config = with_printer_device(config, f"serial:{fake.path}@115200")
        printing = TicketPrinting(config, clock)
        store = Store(config.store.path)
        made.append((printing, store))
        return Lobby(config, store, clock, printing)

    yield make
    for printing, store in made:
        printing.close()
        store.close()


@pytest.fixture
def lobby(make_lobby, clock):
    lobby = make_lobby()
    seed_list(lobby.store, clock.now())
    return lobby
