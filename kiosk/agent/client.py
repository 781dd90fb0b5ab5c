"""The kiosk's one client for the central server (docs/openapi.yaml): the agent, `kiosk provision
--register` and `kiosk doctor` all speak through `CentralClient`, so the session, TLS, token header,
timeouts and the /api/v1 paths are set up in one place.

Everything the network can do wrong comes back as a `CentralError` with a `kind`, and each caller
turns the kind into its own words (the agent backs off, provision and doctor print the fix) without
knowing about requests. Replies are read as tolerant readers: unknown fields are ignored, a field
we need with the wrong shape is a `protocol` error, never an exception escaping the caller.

Trust: TLS is always verified. `central.ca_bundle` names the office CA's file; unset, the system
trust store is used (/etc/ssl/certs/ca-certificates.crt, where `update-ca-certificates` installs an
office CA), not the CA list bundled with requests. The environment never changes whom we trust.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from .. import __version__
from ..clock import Clock
from .backoff import parse_retry_after

API = "/api/v1"
HEALTH = f"{API}/health"
EVENTS = f"{API}/events"
HEARTBEAT = f"{API}/heartbeat"
MAX_REPLY_BYTES = 2 * 1024 * 1024
MAX_COMMANDS = 20                # commands read per pull (the server lists at most 20)
MAX_WAITING = 1_000_000          # people waiting for one service: far above any office
MAX_AVG_SERVICE_S = 86_400.0     # an average service time above a day is a broken server
# Debian/Raspberry Pi OS first (update-ca-certificates writes it), then Fedora/RHEL's name.
SYSTEM_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


def office_path(office: str, what: str) -> str:
    return f"{API}/offices/{office}/{what}"


def system_ca_bundle() -> str | bool:
    """The system's CA file; True (requests' own list) only on a system without one."""
    return next((path for path in SYSTEM_CA_BUNDLES if os.path.isfile(path)), True)


NETWORK, TIMEOUT, TLS, HTTP, AUTH, PROTOCOL, CONFIG = "network", "timeout", "tls", "http", "auth", "protocol", "config"
UNREACHABLE = (NETWORK, TIMEOUT, TLS)


class CentralError(Exception):
    """kind: network (no connection, reset, cut reply), timeout, tls (the server's certificate is
    not trusted), http (status), auth (401/403), protocol (a reply we cannot read), config (no
    usable token). `cause` is the short reason underneath ("Connection refused")."""

    def __init__(self, kind: str, message: str, *, status: int | None = None, retry_after: float | None = None,
                 cause: str = ""):
        super().__init__(message)
        self.kind, self.status, self.retry_after, self.cause = kind, status, retry_after, cause or message


@dataclass(frozen=True)
class Rejection:
    event_id: str | None
    reason: str
    retry: bool
    detail: str


@dataclass(frozen=True)
class PushReply:
    accepted: list[str]
    rejected: list[Rejection]


@dataclass(frozen=True)
class CatalogueReply:
    status: str  # "changed" | "unchanged" | "absent"
    text: str | None = None
    etag: str | None = None


@dataclass(frozen=True)
class BookingsReply:
    status: str  # "changed" | "unchanged" | "absent" (a server without bookings)
    body: dict | None = None
    etag: str | None = None


@dataclass(frozen=True)
class DateSample:
    """The server's Date header against our wall clock at the middle of the exchange."""

    server: datetime
    local: datetime

    @property
    def drift_s(self) -> float:
        # Date has whole seconds and is truncated: on average the true time is half a second later.
        return (self.server + timedelta(seconds=0.5) - self.local).total_seconds()


def read_token(path: str) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise CentralError(CONFIG, f"cannot read central.token_file {path}: {e.strerror}", cause=e.strerror) from None
    if not token or any(c.isspace() for c in token):
        raise CentralError(CONFIG, f"central.token_file {path} must hold one token on one line")
    return token


class CentralClient:
    """`central` is the config's CentralSection. `timeout` (connect, read) caps the configured ones
    (the doctor has its own deadline); `system_bundle` is the trust store used when
    central.ca_bundle is unset."""

    def __init__(self, central, *, clock: Clock | None = None, user_agent: str | None = None,
                 timeout: float | None = None, system_bundle: str | bool | None = None):
        if not central.url:
            raise CentralError(CONFIG, "central.url is not set: this kiosk is standalone")
        self.base = central.url.rstrip("/")
        self.timeout = (central.connect_timeout, central.read_timeout)
        if timeout is not None:
            self.timeout = (min(self.timeout[0], timeout), min(self.timeout[1], timeout))
        self.token_file = central.token_file
        self.clock = clock or Clock()
        self.last_date: DateSample | None = None
        # True while a request is in flight: a SIGTERM handler may then abandon it (see kiosk agent).
        self.busy = False
        # TLS verification is always on: the office CA if one is named, else the system's trust store.
        self.verify: bool | str = central.ca_bundle or (system_bundle if system_bundle is not None
                                                        else system_ca_bundle())
        self.session = requests.Session()
        # Environment proxies, REQUESTS_CA_BUNDLE or .netrc must not redirect or re-key a kiosk.
        self.session.trust_env = False
        self.session.verify = self.verify
        adapter = HTTPAdapter(max_retries=0, pool_connections=1, pool_maxsize=1)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({
            "User-Agent": user_agent or f"kiosk-agent/{__version__}",
            "Accept": "application/json",
        })
        self._set_token(read_token(self.token_file))

    def _set_token(self, token: str) -> None:
        self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.session.close()

    # transport

    def _request(self, method: str, path: str, *, ok=(200,), **kwargs) -> tuple[requests.Response, bytes]:
        url = self.base + path
        what = f"{method} {path}"
        started_wall, started = self.clock.now(), time.monotonic()
        self.busy = True
        try:
            with self.session.request(method, url, timeout=self.timeout, verify=self.verify,
                                      allow_redirects=False, stream=True, **kwargs) as response:
                body = self._read_body(response, what)
        except requests.Timeout as e:
            raise CentralError(TIMEOUT, f"{what}: no answer within {self.timeout[1]:g} s ({_short(e)})",
                               cause="timed out") from None
        except requests.exceptions.SSLError as e:
            raise CentralError(TLS, f"{what}: TLS certificate not accepted ({_short(e)})", cause=cause(e)) from None
        except requests.RequestException as e:
            raise CentralError(NETWORK, f"{what}: {_short(e)}", cause=cause(e)) from None
        finally:
            self.busy = False
        self._sample_date(response, started_wall, time.monotonic() - started)
        status = response.status_code
        if status in ok:
            return response, body
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        detail = _error_text(body)
        if status in (401, 403):
            # A technician may be fixing the token right now: use the file's current one next time.
            self._reload_token()
            problem = "the server refused the kiosk token" if status == 401 else "not allowed"
            raise CentralError(AUTH, f"{what}: {problem} ({status}){detail}; check central.token_file "
                               "and the kiosk id", status=status, cause=detail.removeprefix(": "))
        raise CentralError(HTTP, f"{what}: HTTP {status}{detail}", status=status, retry_after=retry_after)

    @staticmethod
    def _read_body(response: requests.Response, what: str) -> bytes:
        chunks, size = [], 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > MAX_REPLY_BYTES:
                raise CentralError(PROTOCOL, f"{what}: reply larger than {MAX_REPLY_BYTES} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _sample_date(self, response: requests.Response, started_wall: datetime, elapsed: float) -> None:
        try:
            server = parsedate_to_datetime(response.headers["Date"])
        except (KeyError, TypeError, ValueError, IndexError):
            return
        if server.tzinfo is None:
            server = server.replace(tzinfo=timezone.utc)
        self.last_date = DateSample(server, started_wall + timedelta(seconds=elapsed / 2))

    def _reload_token(self) -> None:
        try:
            self._set_token(read_token(self.token_file))
        except CentralError:
            pass

    @staticmethod
    def _json(body: bytes, what: str) -> dict:
        try:
            value = requests.compat.json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            raise CentralError(PROTOCOL, f"{what}: reply is not valid JSON ({len(body)} bytes)") from None
        if not isinstance(value, dict):
            raise CentralError(PROTOCOL, f"{what}: reply is not a JSON object")
        return value

    # operations

    def post_events(self, events: list[str], *, kiosk_id: str, office: str) -> PushReply:
        """`events` are already JSON text (Store.pending_wire): the batch is joined, not re-encoded."""
        what = f"POST {EVENTS}"
        data = '{"kiosk_id": %s, "office": %s, "events": [%s]}' % (
            json.dumps(kiosk_id), json.dumps(office), ",".join(events))
        _, body = self._request("POST", EVENTS, data=data.encode("utf-8"),
                                headers={"Content-Type": "application/json"})
        reply = self._json(body, what)
        accepted = reply.get("accepted")
        if not isinstance(accepted, list) or not all(isinstance(i, str) for i in accepted):
            raise CentralError(PROTOCOL, f"{what}: 'accepted' must be a list of event ids")
        raw_rejected = reply.get("rejected", [])
        if not isinstance(raw_rejected, list) or not all(isinstance(r, dict) for r in raw_rejected):
            raise CentralError(PROTOCOL, f"{what}: 'rejected' must be a list of objects")
        rejected = []
        for r in raw_rejected:
            event_id = r.get("event_id")
            rejected.append(Rejection(
                event_id=event_id if isinstance(event_id, str) else None,
                reason=str(r.get("reason", "unknown")),
                retry=r.get("retry") is not False,
                detail=str(r.get("detail", ""))[:500],
            ))
        return PushReply(accepted, rejected)

    def get_catalogue(self, office: str, etags: list[str]) -> CatalogueReply:
        headers = {"Accept": "application/toml"}
        if etags:
            headers["If-None-Match"] = ", ".join(etags)
        response, body = self._request("GET", office_path(office, "catalogue"), ok=(200, 304, 404), headers=headers)
        etag = response.headers.get("ETag")
        if response.status_code == 304:
            return CatalogueReply("unchanged", etag=etag)
        if response.status_code == 404:
            return CatalogueReply("absent")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise CentralError(PROTOCOL, f"GET {office_path(office, 'catalogue')}: not UTF-8 text") from None
        return CatalogueReply("changed", text=text, etag=etag)

    def get_bookings(self, office: str, day: str, etag: str | None) -> BookingsReply:
        """The office's M-Paspor list for service day `day` and the next, with the check-ins the
        other kiosks reported (kiosk/checkin/listing.py checks its fields)."""
        path = office_path(office, "bookings")
        headers = {"Accept": "application/json"}
        if etag:
            headers["If-None-Match"] = etag
        response, body = self._request("GET", f"{path}?day={day}", ok=(200, 304, 404), headers=headers)
        if response.status_code == 304:
            return BookingsReply("unchanged", etag=response.headers.get("ETag") or etag)
        if response.status_code == 404:
            return BookingsReply("absent")
        return BookingsReply("changed", self._json(body, f"GET {path}"), response.headers.get("ETag"))

    def get_queue(self, office: str) -> dict:
        what = f"GET {office_path(office, 'queue')}"
        _, body = self._request("GET", office_path(office, "queue"))
        reply = self._json(body, what)
        services = reply.get("services")
        if not isinstance(services, dict):
            raise CentralError(PROTOCOL, f"{what}: 'services' must be an object")
        stats = {}
        for prefix, entry in services.items():
            waiting = entry.get("waiting") if isinstance(entry, dict) else None
            avg = entry.get("avg_service_s") if isinstance(entry, dict) else None
            # Bounded as well as typed: a huge or infinite value would overflow the wait estimate
            # printed on every ticket (waiting * avg), turning each print into a failure.
            if not isinstance(waiting, int) or isinstance(waiting, bool) or not 0 <= waiting <= MAX_WAITING:
                raise CentralError(PROTOCOL, f"{what}: services.{prefix}.waiting must be a whole number "
                                               f"from 0 to {MAX_WAITING}")
            if avg is not None and (isinstance(avg, bool) or not isinstance(avg, (int, float))
                                    or not 0 <= avg <= MAX_AVG_SERVICE_S):
                raise CentralError(PROTOCOL, f"{what}: services.{prefix}.avg_service_s must be a number "
                                               f"from 0 to {MAX_AVG_SERVICE_S} or null")
            stats[str(prefix)] = {"waiting": waiting, "avg_service_s": None if avg is None else float(avg)}
        day = reply.get("service_day")
        return {"service_day": day if isinstance(day, str) else None, "services": stats}

    def get_commands(self, kiosk_id: str) -> list[dict]:
        """The commands queued for this kiosk (lock, unlock), oldest first; [] from a server
        without the path (404). Each is {"id": int, "action": str, "reason": str, "requested_by": str}."""
        path = f"{API}/kiosks/{quote(kiosk_id, safe='')}/commands"
        what = f"GET {path}"
        response, body = self._request("GET", path, ok=(200, 404))
        if response.status_code == 404:
            return []
        raw = self._json(body, what).get("commands")
        if not isinstance(raw, list):
            raise CentralError(PROTOCOL, f"{what}: 'commands' must be a list")
        commands = []
        for entry in raw[:MAX_COMMANDS]:
            cid = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(cid, int) or isinstance(cid, bool) or not isinstance(entry.get("action"), str):
                raise CentralError(PROTOCOL, f"{what}: each command needs an integer id and an action")
            commands.append({
                "id": cid, "action": entry["action"][:32],
                "reason": str(entry.get("reason") or "")[:200],
                "requested_by": str(entry.get("requested_by") or "central")[:100],
            })
        return commands

    def post_heartbeat(self, body: dict) -> None:
        self._request("POST", HEARTBEAT, json=body)

    def health(self) -> dict:
        """The server's health answer (no token needed): proves it is reachable and, over https,
        that its certificate is trusted."""
        return self._json(self._request("GET", HEALTH)[1], f"GET {HEALTH}")

    def register(self, *, kiosk_id: str, office: str) -> None:
        """Introduce a freshly provisioned kiosk with one heartbeat: a 200 proves the server is
        reachable, trusted and accepts the token."""
        self.post_heartbeat({"kiosk_id": kiosk_id, "office": office, "version": __version__, "provisioned": True})


def cause(error: Exception) -> str:
    """The one phrase of a network error a technician acts on."""
    text = str(error)
    for marker in ("CERTIFICATE_VERIFY_FAILED", "Connection refused", "Name or service not known", "timed out"):
        if marker in text:
            return marker
    return error.__class__.__name__


def _short(error: Exception) -> str:
    """requests' messages nest the whole urllib3 chain; keep the last, most specific part."""
    text = str(error)
    for marker in ("Caused by ", "ConnectionError(", "ProtocolError("):
        if marker in text:
            text = text.rsplit(marker, 1)[-1]
    return text.strip("()'\" ")[:200] or type(error).__name__


def _error_text(body: bytes) -> str:
    try:
        value = requests.compat.json.loads(body)
        message = value.get("message") if isinstance(value, dict) else None
    except (ValueError, RecursionError):
        message = None
    return f": {str(message)[:200]}" if message else ""
