"""The gettext catalogues: both languages complete, placeholders intact, every key used exists."""

import re
from pathlib import Path

from kiosk import locale

ROOT = Path(__file__).resolve().parents[2]


def used_keys() -> set[str]:
    keys = set()
    pattern = re.compile(r"""(?:\bt\(|_key\s*[=:]\s*|label_key\s*[:=]\s*|both\(|\(\s*)["']([a-z_]+\.[a-z_0-9]+)["']""")
    for path in [*ROOT.glob("kiosk/ui/**/*.kv"), *ROOT.glob("kiosk/ui/*.py"), ROOT / "kiosk/lobby.py"]:
        keys.update(pattern.findall(path.read_text()))
    return {k for k in keys if k.split(".")[0] in {p.split(".")[0] for p in locale.keys("en")}}


def test_both_catalogues_have_the_same_keys():
    assert locale.keys("id") == locale.keys("en")


def test_every_key_used_in_code_exists():
    missing = used_keys() - locale.keys("id")
    assert not missing


def test_placeholders_match():
    def placeholders(lang: str, key: str) -> list[str]:
        return sorted(re.findall(r"{(\w+)}", locale.translations(lang).gettext(key)))

    for key in locale.keys("id"):
        assert placeholders("id", key) == placeholders("en", key), key


def test_po_compiles_to_a_real_mo():
    import gettext
    import io

    mo = locale.compile_mo({"": "Content-Type: text/plain; charset=UTF-8\n", "a.b": "x", "c.d": "ü"})
    t = gettext.GNUTranslations(io.BytesIO(mo))
    assert t.gettext("c.d") == "ü" and t.gettext("zz") == "zz"


def test_language_differs():
    assert locale.t("id", "ticket.take") == "Silakan ambil tiket Anda"
    assert locale.t("en", "ticket.take") == "Please take your ticket"
