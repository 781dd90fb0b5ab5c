"""WSGI middleware in front of the real central app: it makes the server refuse chosen events
for good, the way a server that will never take them does.

    poison = Poisoner(app.wsgi_app); app.wsgi_app = poison
    poison.add(event_id)                 # the real server refuses it: retry false, "invalid"
    poison.add(event_id, whole=True)     # the whole request containing it answers 422
    poison.rule = lambda event: ...      # or decide per event (True / "whole" / False)

"event" poisoning damages the event on the way in (its ticket prefix becomes "??"), so the refusal,
the `not_applied` rest of the batch and everything else come from central/'s own ingest logic.
"whole" answers 422 without forwarding, as a server refusing the request body would.
"""

from __future__ import annotations

import io
import json
import threading


class Poisoner:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.events: dict[str, str] = {}   # event_id -> "event" | "whole"
        self.rule = None
        self.refusals: dict[str, int] = {}  # event_id -> times refused
        self.batches = 0                    # POST /events requests seen
        self.enabled = True

    def add(self, event_id: str, *, whole: bool = False) -> None:
        with self.lock:
            self.events[event_id] = "whole" if whole else "event"

    def clear(self) -> None:
        with self.lock:
            self.events.clear()
            self.rule = None

    def _verdict(self, event) -> str | None:
        if not isinstance(event, dict):
            return None
        with self.lock:
            if not self.enabled:
                return None
            found = self.events.get(event.get("event_id"))
            rule = self.rule
        if found is None and rule is not None:
            decided = rule(event)
            found = "whole" if decided == "whole" else ("event" if decided else None)
        return found

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "POST" or not environ["PATH_INFO"].endswith("/events"):
            return self.app(environ, start_response)
        with self.lock:
            self.batches += 1
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw)
            events = body.get("events") if isinstance(body, dict) else None
        except ValueError:
            events = None
        if isinstance(events, list):
            verdicts = [self._verdict(e) for e in events]
            whole = [e["event_id"] for e, v in zip(events, verdicts, strict=True) if v == "whole"]
            if whole:
                self._count(whole)
                payload = json.dumps({"error": "unprocessable", "message": f"event {whole[0]} cannot be stored"})
                start_response("422 Unprocessable Entity", [("Content-Type", "application/json"),
                                                            ("Content-Length", str(len(payload)))])
                return [payload.encode()]
            for event, verdict in zip(events, verdicts, strict=True):
                if verdict == "event" and isinstance(event.get("ticket"), dict):
                    event["ticket"]["prefix"] = "??"
            hit = [e["event_id"] for e, v in zip(events, verdicts, strict=True) if v == "event"]
            if hit:
                # The server stops at the first refused event: only that one was refused.
                self._count(hit[:1])
                raw = json.dumps(body).encode()
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        return self.app(environ, start_response)

    def _count(self, ids: list[str]) -> None:
        with self.lock:
            for event_id in ids:
                self.refusals[event_id] = self.refusals.get(event_id, 0) + 1
