"""The pages' languages: Indonesian by default, English by a switch (`?lang=en`, then a cookie).

One way for every page: each page module declares its texts as one small dict, `Texts(page,
{key: (id, en)})`, and its templates call `t("key", **params)`; a key the page does not hold is
looked up in the base layout's texts. A missing key is a KeyError (a test renders every page in
both languages), never a blank on the screen.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

LANGS = ("id", "en")
DEFAULT = "id"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

BASE = {
    "lang.switch": ("English", "Bahasa Indonesia"),
    "office.title": ("Kantor Imigrasi", "Immigration Office"),
    "limited.title": ("Terlalu banyak permintaan", "Too many requests"),
    "limited.body": ("Terlalu banyak permintaan dari alamat ini. Coba lagi dalam {retry} detik.",
                     "Too many requests from this address. Try again in {retry} seconds."),
    "notfound.title": ("Halaman tidak ditemukan", "Page not found"),
    "index.title": ("Server antrean", "Queue server"),
    "index.body": ("Halaman untuk pemohon ada di alamat pada QR tiket; layar ruang tunggu di /display/<kantor>.",
                   "Applicants' pages are at the address in the ticket's QR; the lobby display at /display/<office>."),
}


class Texts:
    def __init__(self, page: str, table: dict[str, tuple[str, str]]):
        self.page = page
        self.table = table

    def t(self, key: str, **params) -> str:
        pair = self.table.get(key) or BASE[key]
        text = pair[LANGS.index(current())]
        return text.format(**params) if params else text

    def all(self, prefix: str = "") -> dict[str, str]:
        """Every text of the page under `prefix`, in the current language (for the page's script)."""
        return {k: self.t(k) for k in self.table if k.startswith(prefix)}


BASE_TEXTS = Texts("base", {})


def current() -> str:
    return g.get("lang", DEFAULT)


def other() -> str:
    return LANGS[1 - LANGS.index(current())]


def _choose_language() -> None:
    asked = request.args.get("lang")
    g.lang = asked if asked in LANGS else request.cookies.get(COOKIE) if request.cookies.get(COOKIE) in LANGS else DEFAULT


def _remember_language(response: Response) -> Response:
    asked = request.args.get("lang")
    if asked in LANGS and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response


def install(app: Flask) -> None:
    app.before_request(_choose_language)
    app.after_request(_remember_language)
    app.jinja_env.globals.update(current_lang=current, other_lang=other)
    app.jinja_env.globals.setdefault("t", BASE_TEXTS.t)
