"""The central server's web pages (docs/central.md): server-rendered HTML from central/templates/,
static files from central/static/ (no build step, no inline script), on the same Flask app as the
sync API.

`register(app, db)` installs what every page shares (security headers, the language switch, the
per-address limit of the public pages) and the blueprints. A blueprint is one module here; the
public ones (the ticket page, the lobby display) take the rate limit with `limiter.guard`.
"""

from __future__ import annotations

from flask import Flask

from ..db import CentralDB
from . import base, display, phone_survey, staff_pages, ticket
from .headers import add_security_headers
from .i18n import install as install_i18n
from .ratelimit import RateLimiter

# A public page's form (the phone survey: nine answers, four choices, 500 characters of complaint)
# is far below this; the body of any other request without a token is never read (central/app.py).
PUBLIC_FORM_MAX_BYTES = 8 * 1024


def public_form(headers: dict, content_length: int) -> bool:
    """Whether the server may read a request body without a token: a small urlencoded form."""
    kind = headers.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    return kind == "application/x-www-form-urlencoded" and 0 < content_length <= PUBLIC_FORM_MAX_BYTES


# Per client address on the public pages: a ticket page polls every 4 s, a display every 1 s.
PUBLIC_RATE = 2.0
PUBLIC_BURST = 60


def register(app: Flask, db: CentralDB, public_rate: float = PUBLIC_RATE, public_burst: int = PUBLIC_BURST) -> None:
    """`public_rate` requests per second per client address, with bursts up to `public_burst`."""
    limiter = RateLimiter(public_rate, public_burst)
    app.extensions["central.public_limiter"] = limiter
    install_i18n(app)
    app.after_request(add_security_headers)
    app.register_blueprint(base.blueprint)
    app.register_blueprint(ticket.make_blueprint(db, limiter))
    app.register_blueprint(display.make_blueprint(db, limiter))
    app.register_blueprint(phone_survey.make_blueprint(db, limiter))
    app.register_blueprint(staff_pages.make_blueprint(db))
