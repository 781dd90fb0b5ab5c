"""Bilingual screen texts: gettext catalogues (`<lang>/LC_MESSAGES/kiosk.po`) compiled at start.

Message ids are stable keys ("home.touch"), not English sentences, so both languages are edited
in their `.po` file without touching code. The `.po` files are compiled to the standard `.mo`
format in memory the first time a language is used (no msgfmt or Babel needed on the kiosk) and
loaded with the stdlib's `gettext.GNUTranslations`. A key missing from a catalogue is shown as the
key itself; tests/ui/test_locale.py checks that every key used by the code exists in both.

No Kivy here: the core (kiosk.lobby) uses it for its messages too.
"""

from __future__ import annotations

import ast
import gettext
import io
import struct
import threading
from collections.abc import Mapping
from pathlib import Path

DEFAULT_LANG = "id"
DOMAIN = "kiosk"
HERE = Path(__file__).parent
# Every language with a catalogue here, the default first: a new language is a new .po file.
LANGS = tuple(sorted((p.name for p in HERE.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()),
                     key=lambda code: (code != DEFAULT_LANG, code)))

_cache: dict[str, gettext.GNUTranslations] = {}
_lock = threading.Lock()


class PoError(ValueError):
    pass


def po_path(lang: str) -> Path:
    return HERE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def parse_po(text: str, source: str = "kiosk.po") -> dict[str, str]:
    """msgid -> msgstr of a .po file (no plurals or contexts: the kiosk does not use them)."""
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            key = "".join(msgid)
            if key in entries and key:
                raise PoError(f"{source}: duplicate msgid {key!r}")
            entries[key] = "".join(msgstr)

    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith("msgid "):
                flush()
                msgid, msgstr = [ast.literal_eval(line[6:])], None
                current = msgid
            elif line.startswith("msgstr "):
                if msgid is None:
                    raise PoError("msgstr without msgid")
                msgstr = [ast.literal_eval(line[7:])]
                current = msgstr
            elif line.startswith('"') and current is not None:
                current.append(ast.literal_eval(line))
            else:
                raise PoError(f"unexpected line {raw!r}")
        except (SyntaxError, ValueError) as e:
            raise PoError(f"{source}:{n}: {e}") from None
    flush()
    return entries


def compile_mo(entries: dict[str, str]) -> bytes:
    """The GNU .mo bytes for msgid -> msgstr (same layout as CPython's Tools/i18n/msgfmt.py)."""
    keys = sorted(entries)
    ids = b""
    strs = b""
    offsets = []
    for k in keys:
        kb, vb = k.encode(), entries[k].encode()
        offsets.append((len(ids), len(kb), len(strs), len(vb)))
        ids += kb + b"\0"
        strs += vb + b"\0"
    keystart = 7 * 4 + 16 * len(keys)
    valuestart = keystart + len(ids)
    koffsets: list[int] = []
    voffsets: list[int] = []
    for o1, l1, o2, l2 in offsets:
        koffsets += [l1, o1 + keystart]
        voffsets += [l2, o2 + valuestart]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    table = struct.pack(f"{len(koffsets)}i", *koffsets) + struct.pack(f"{len(voffsets)}i", *voffsets)
    return header + table + ids + strs


def translations(lang: str) -> gettext.GNUTranslations:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGS)})")
    with _lock:
        if lang not in _cache:
            path = po_path(lang)
            entries = parse_po(path.read_text(encoding="utf-8"), str(path))
            entries.setdefault("", "Content-Type: text/plain; charset=UTF-8\n")
            _cache[lang] = gettext.GNUTranslations(io.BytesIO(compile_mo(entries)))
        return _cache[lang]


def keys(lang: str) -> set[str]:
    return set(parse_po(po_path(lang).read_text(encoding="utf-8"))) - {""}


def pick(value, lang: str):
    """A parameter in `lang`: a mapping {"id": ..., "en": ...} (a catalogue name, opening hours)
    gives its entry for `lang`, else the default language's; anything else is used as it is."""
    if isinstance(value, Mapping):
        return value.get(lang, value.get(DEFAULT_LANG, ""))
    return value


def t(lang: str, key: str, **fmt) -> str:
    """The text for `key` in `lang`, with {placeholders} filled in (per-language values picked)."""
    text = translations(lang).gettext(key)
    return text.format(**{k: pick(v, lang) for k, v in fmt.items()}) if fmt else text


def both(key: str, **fmt) -> tuple[str, str]:
    """(Bahasa Indonesia, English) for `key`."""
    return t("id", key, **fmt), t("en", key, **fmt)
