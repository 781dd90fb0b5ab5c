"""Security headers on every response the web side sends (docs/central.md, "Security").

The policy allows scripts, styles, images, audio and fetches from this server only: no inline
script or style, no framing (a ticket page inside someone else's frame is a clickjacking aid),
and no referrer (a ticket URL carries its token; it must not leak to another site).
"""

from __future__ import annotations

from flask import Response

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
    return response
