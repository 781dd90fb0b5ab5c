"""Refusals carry a message key and parameters; every reader renders them through the one gettext
catalogue (kiosk/locale), so a new language is a .po file, not a code change."""

import pytest
from support.kiosk_env import make_config

from kiosk import locale
from kiosk.issuer import Issuer, Refused
from kiosk.store import Store


def refusal_for(issuer, *args):
    with pytest.raises(Refused) as e:
        issuer.issue(*args)
    return e.value.refusal


def test_every_refusal_key_is_in_every_catalogue():
    import re
    from pathlib import Path

    source = (Path(locale.__file__).parents[1] / "issuer.py").read_text()
    used = set(re.findall(r'"(refusal\.[a-z_]+)"', source))
    assert len(used) == 8
    for lang in locale.LANGS:
        assert used <= locale.keys(lang), lang


def test_refusal_renders_in_each_language_with_per_language_parameters(tmp_path, clock):
    cfg = make_config(tmp_path, quota=1)
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, clock)
        issuer.issue("A")
        r = refusal_for(issuer, "A")
        assert (r.code, r.key) == ("quota_full", "refusal.quota_full")
        assert r.text("id") == "Kuota Paspor Baru hari ini sudah habis. Silakan datang kembali besok."
        assert r.text("en") == "Today's quota for New passport is full. Please come back tomorrow."
        assert str(r) == r.text("en") + " (quota_full)"
        assert refusal_for(issuer, "Z").text("id") == "Layanan tidak dikenal: Z."


def test_a_third_language_is_a_po_file(tmp_path, clock, monkeypatch):
    """A Javanese .po file with the refusal key: the refusal renders in it; parameters that exist
    only in id/en (the service's name from the catalogue) fall back to Bahasa Indonesia."""
    po = tmp_path / "jv.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "refusal.quota_full"\nmsgstr "Kuota {service} dinten punika sampun telas."\n', encoding="utf-8")
    real = locale.po_path
    monkeypatch.setattr(locale, "po_path", lambda lang: po if lang == "jv" else real(lang))
    monkeypatch.setattr(locale, "LANGS", (*locale.LANGS, "jv"))
    monkeypatch.setattr(locale, "_cache", {})
    cfg = make_config(tmp_path / "k", quota=1)
    with Store(cfg.store.path) as store:
        issuer = Issuer(cfg, store, clock)
        issuer.issue("A")
        assert refusal_for(issuer, "A").text("jv") == "Kuota Paspor Baru dinten punika sampun telas."
