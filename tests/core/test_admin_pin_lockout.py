"""The staff PIN lockout holds against parallel guesses: the try is counted in the write
transaction before the slow hash, so 16 callers at once get at most max_pin_attempts hashes."""

import threading

import kiosk.admin_pin as admin_pin
from kiosk.admin_pin import PIN_ATTEMPTS, PinGate, hash_pin
from kiosk.clock import Clock
from kiosk.config.schema import AdminSection
from kiosk.store import Store


def test_16_parallel_guesses_get_at_most_the_allowed_number_checked(tmp_path, monkeypatch):
    path = tmp_path / "kiosk.db"
    Store(path).close()
    admin = AdminSection(pin_hash=hash_pin("2468", n=2**12), max_pin_attempts=3, lockout_seconds=300)
    hashed = []
    real_verify = admin_pin.verify_pin

    def counted_verify(pin, stored):
        hashed.append(pin)
        return real_verify(pin, stored)

    monkeypatch.setattr(admin_pin, "verify_pin", counted_verify)
    start = threading.Barrier(16)
    reasons = []

    def guess(i: int) -> None:
        with Store(path) as store:  # each caller its own connection, as separate processes would have
            gate = PinGate(admin, store, Clock())
            start.wait()
            reasons.append(gate.check(f"{1000 + i}").reason)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(reasons) == 16
    assert len(hashed) <= 3, f"{len(hashed)} of 16 parallel guesses were checked"
    assert reasons.count("locked") >= 13 and "ok" not in reasons
    with Store(path) as store:
        assert store.get_state(PIN_ATTEMPTS)["locked_until"], "three wrong PINs must lock"
        assert PinGate(admin, store, Clock()).check("2468").reason == "locked"
