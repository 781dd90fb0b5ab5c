"""A per-address token bucket for the public pages (no login, so the address is all there is).

Each client address gets `burst` requests at once and `rate` more per second after that; past it
the answer is 429 with Retry-After (JSON on /api/ paths, a short page elsewhere). The address is
waitress's REMOTE_ADDR: behind a reverse proxy every phone shares the proxy's address, so the
proxy must do this limiting itself (docs/central.md).
"""

from __future__ import annotations

import math
import threading
import time

from flask import Response, jsonify, render_template, request

# Addresses remembered at most; the idle ones (full buckets) are dropped first when it is reached.
MAX_CLIENTS = 10_000


class RateLimiter:
    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, address: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(address, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens < 1:
                self._buckets[address] = (tokens, now)
                return (1 - tokens) / self.rate
            if len(self._buckets) >= MAX_CLIENTS and address not in self._buckets:
                self._forget_idle(now)
            self._buckets[address] = (tokens - 1, now)
            return 0.0

    def _forget_idle(self, now: float) -> None:
        full = [a for a, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst]
        for address in full or list(self._buckets)[: MAX_CLIENTS // 10]:
            del self._buckets[address]

    def guard(self) -> Response | None:
        """A blueprint's before_request: None lets the request through."""
        wait = self.take(request.remote_addr or "-")
        if not wait:
            return None
        retry = str(max(1, math.ceil(wait)))
        if request.path.startswith("/api/"):
            response = jsonify(error="rate_limited", message=f"too many requests from this address; retry in {retry} s")
        else:
            response = Response(render_template("limited.html", retry=retry), mimetype="text/html")
        response.status_code = 429
        response.headers["Retry-After"] = retry
        return response
