"""Provisioning a kiosk: check every input first, then write /etc/kiosk atomically, secrets 0600.

What lands in the config folder (default /etc/kiosk, or the folder of `--config PATH`):

    kiosk.toml      0600  the configuration (holds admin.pin_hash, so it is a secret too)
    central.token   0600  the kiosk's token for the central server (copied from --token-file)
    log.token       0600  the token the central server presents to pull this kiosk's ticket log;
                          made once, kept on later runs
    services.toml   0644  the catalogue: the default one, only if none is there yet

Token paths are written relative to kiosk.toml and the catalogue path absolute. That is what lets
systemd hand the units their secrets with LoadCredential: a unit starts `kiosk --config
%d/kiosk.toml`, the relative token paths then resolve inside $CREDENTIALS_DIRECTORY, while a
technician's `sudo kiosk ...` reads the same names from /etc/kiosk (docs/operations.md).

Every file is written to a temporary file in the same folder, flushed, then renamed over the old
one, so a power cut leaves either the old file or the new one. Nothing is written unless every
check passed, and a run with the same inputs changes nothing (the log token and the PIN hash are
kept unless asked for).
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import re
import secrets
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from .config import ConfigError
from .config.loader import config_from_tables, default_config_path
from .config.schema import SECTIONS

CONFIG_NAME = "kiosk.toml"
CENTRAL_TOKEN = "central.token"
LOG_TOKEN = "log.token"
CATALOGUE = "services.toml"
DEFAULT_CATALOGUE = default_config_path().parent / CATALOGUE
DEFAULT_DATA_DIR = "/var/lib/kiosk"
TOKEN_RE = re.compile(r"[\x21-\x7e]{16,512}")
MAX_TOKEN_FILE_BYTES = 4096
# The kiosk.toml key each option sets: the schema validates the values, problems name the option.
OPTION_OF_KEY = {
    "kiosk.id": "--kiosk-id", "kiosk.office_code": "--office", "kiosk.office_name": "--office-name",
    "kiosk.number_block": "--number-block", "store.path": "--data-dir", "printer.device": "--printer",
    "central.url": "--server", "central.token_file": "--token-file", "agent.listen": "--listen",
    "ui.rotation": "--rotation",
}


class ProvisionError(Exception):
    """Inputs that cannot be provisioned; `.problems` lists every one, each saying what to do."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Request:
    config_path: Path
    kiosk_id: str
    office: str
    server: str
    token_file: str
    printer: str
    number_block: str
    office_name: str | None = None
    data_dir: str | None = None
    listen: str | None = None
    rotation: int | None = None  # [ui] rotation for the way the display is mounted; kept when None
    pin: str | None = None  # already read and confirmed; only set with --set-pin
    insecure: bool = False  # --insecure: plain http to a public address is allowed


@dataclass
class Change:
    name: str
    action: str  # "created" | "changed" | "unchanged"
    details: list[str] = field(default_factory=list)


@dataclass
class Plan:
    folder: Path
    files: dict[str, tuple[bytes, int]]  # name -> (content, mode), only those that must be written
    changes: list[Change]
    config: Any = None

    @property
    def changed(self) -> bool:
        return any(c.action != "unchanged" for c in self.changes)


# reading inputs ---------------------------------------------------------------------------


def read_pin(stdin=None, prompt: Callable[[str], str] = getpass.getpass) -> str:
    """The PIN twice: from the terminal without echo, or two lines of stdin when it is not a tty."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first, second = prompt("New staff PIN (4-12 digits): "), prompt("The same PIN again: ")
    else:
        first, second = stdin.readline().strip(), stdin.readline().strip()
    if first != second:
        raise ProvisionError(["--set-pin: the two PINs differ; nothing was written. Run the command again."])
    return first


def _read_token(path: str, problems: dict[str, str]) -> str | None:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_TOKEN_FILE_BYTES + 1)
    except OSError as e:
        problems["--token-file"] = (f"--token-file {path}: cannot be read ({e.strerror}); give the file "
                                    "holding the token `kiosk-central tokens add` printed")
        return None
    try:
        token = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        token = ""
    if len(raw) > MAX_TOKEN_FILE_BYTES or not TOKEN_RE.fullmatch(token):
        problems["--token-file"] = (f"--token-file {path}: must hold exactly one token (16-512 printable "
                                    "characters, no spaces), as printed by `kiosk-central tokens add`")
        return None
    return token


def _check_plain_http(url: str, insecure: bool) -> str | None:
    """Plain http carries the kiosk's token in clear: only to loopback or a private (office LAN)
    address, unless --insecure says the technician means it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None  # not a URL at all: the schema says so
    if parts.scheme != "http" or insecure or not host:
        return None
    try:
        address = ipaddress.ip_address(host)
        private = address.is_loopback or address.is_private or address.is_link_local
    except ValueError:
        private = host == "localhost"
    if private:
        return None
    return (f"--server {url!r}: plain http to {host}, which is not a loopback or private (office LAN) address, "
            "would send the kiosk's token in clear; use https://, or add --insecure if you really mean it")


def _parse_block(text: str) -> list[int] | None:
    """"FROM-TO" -> [FROM, TO]; the schema checks the numbers themselves."""
    m = re.fullmatch(r"\s*(\d{1,9})\s*-\s*(\d{1,9})\s*", text)
    return [int(m.group(1)), int(m.group(2))] if m else None


# building the files -----------------------------------------------------------------------


def _read_existing(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ProvisionError([f"{path}: the existing configuration cannot be read ({e}); move it aside "
                              "and run provision again"]) from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped)
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def render_toml(data: dict) -> str:
    """kiosk.toml with sections and keys in schema order (unknown ones after: the loader names them)."""
    lines = ["# Written by `kiosk provision`. Every option: docs/configuration.md.",
             "# Secrets: this file holds admin.pin_hash, so it is 0600 like the token files.", ""]
    names = [*SECTIONS, *(k for k in data if k not in SECTIONS)]
    for name in names:
        table = data.get(name)
        if not isinstance(table, dict) or not table:
            continue
        order = list(SECTIONS[name].__dataclass_fields__) if name in SECTIONS else []
        keys = [k for k in order if k in table] + [k for k in table if k not in order]
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml_value(table[key])}" for key in keys]
        lines.append("")
    return "\n".join(lines)


def _diff(old: dict, new: dict) -> list[str]:
    out = []
    for section, table in new.items():
        for key, value in table.items():
            before = (old.get(section) or {}).get(key)
            if before != value:
                shown = "(secret)" if key == "pin_hash" else _toml_value(value)
                was = "" if before is None or key == "pin_hash" else f" (was {_toml_value(before)})"
                out.append(f"{section}.{key} = {shown}{was}")
    return out


def plan(req: Request, *, hash_pin: Callable[[str], str] | None = None, catalogue: Path = DEFAULT_CATALOGUE) -> Plan:
    """Check everything and work out which files to write; raise ProvisionError listing every problem.

    The options' values are checked by the configuration schema itself (the merged kiosk.toml is
    validated as the kiosk will load it); only what is not a kiosk.toml value is checked here: the
    token file's content, the PIN, the FROM-TO syntax and the first run's office name."""
    problems: dict[str, str] = {}  # option -> its problem (one per option)
    token = None
    if req.server:
        insecure = _check_plain_http(req.server, req.insecure)
        if insecure:
            problems["--server"] = insecure
        if req.token_file:
            token = _read_token(req.token_file, problems)
        else:
            problems["--token-file"] = "--token-file: required with --server (the kiosk's token from `kiosk-central tokens add`)"
    block = _parse_block(req.number_block)
    if block is None:
        problems["--number-block"] = f"--number-block {req.number_block!r}: must be FROM-TO, e.g. 1-999"
    if req.pin is not None:
        from .admin_pin import valid_pin

        if not valid_pin(req.pin):
            problems["--set-pin"] = "--set-pin: the PIN must be 4 to 12 digits"

    folder = req.config_path.parent
    existing = _read_existing(req.config_path)
    old_kiosk = existing.get("kiosk") or {}
    office_name = req.office_name or old_kiosk.get("office_name")
    if not office_name:
        problems["--office-name"] = ("--office-name: required the first time (printed on every ticket), "
                                     'e.g. --office-name "Kantor Imigrasi Kelas II Non TPI Blitar"')

    data = {name: dict(table) for name, table in existing.items() if isinstance(table, dict)}
    have_catalogue = (folder / CATALOGUE).exists()
    kiosk = data.setdefault("kiosk", {})
    kiosk.update(id=req.kiosk_id, office_code=req.office, catalogue=str((folder / CATALOGUE).resolve()))
    if office_name:
        kiosk["office_name"] = office_name
    if block is not None:
        kiosk["number_block"] = block
    store = data.setdefault("store", {})
    if req.data_dir or "path" not in store:
        store["path"] = str(Path(req.data_dir or DEFAULT_DATA_DIR).resolve() / "kiosk.db")
    data.setdefault("printer", {})["device"] = req.printer
    central = data.setdefault("central", {})
    central["url"] = req.server
    if req.server:
        central["token_file"] = CENTRAL_TOKEN
    else:
        central.pop("token_file", None)
    agent = data.setdefault("agent", {})
    agent["log_token_file"] = LOG_TOKEN
    if req.listen is not None:
        agent["listen"] = req.listen
    if req.rotation is not None:
        data.setdefault("ui", {})["rotation"] = req.rotation
    if req.pin is not None and "--set-pin" not in problems:
        if hash_pin is None:
            from .admin_pin import hash_pin
        data.setdefault("admin", {})["pin_hash"] = hash_pin(req.pin)

    files: dict[str, tuple[bytes, int]] = {}
    changes: list[Change] = []

    def consider(name: str, content: bytes, mode: int, details: list[str], keep: bool = False) -> None:
        """Queue `name` for writing unless it already holds this content with this mode.
        keep: an existing file's content stays (a secret made earlier); only its mode is fixed."""
        path = folder / name
        try:
            old, old_mode = path.read_bytes(), path.stat().st_mode & 0o777
        except FileNotFoundError:
            files[name] = (content, mode)
            changes.append(Change(name, "created", details))
            return
        if keep:
            content = old
        if old == content and old_mode == mode:
            changes.append(Change(name, "unchanged"))
            return
        files[name] = (content, mode)
        changes.append(Change(name, "changed", details if old != content else [f"mode {old_mode:04o} -> {mode:04o}"]))

    text = render_toml(data)
    consider(CONFIG_NAME, text.encode("utf-8"), 0o600, _diff(existing, data))
    if token is not None:
        consider(CENTRAL_TOKEN, (token + "\n").encode(), 0o600, ["the kiosk's central server token"])
    log_token_ok = _usable_log_token(folder / LOG_TOKEN)
    consider(LOG_TOKEN, (secrets.token_urlsafe(32) + "\n").encode(), 0o600, ["a new random token"], keep=log_token_ok)
    if not have_catalogue:
        consider(CATALOGUE, catalogue.read_bytes(), 0o644, [f"the default catalogue ({catalogue.name})"])

    result = Plan(folder, files, changes)
    try:
        result.config = _validate(result, data)
    except ConfigError as e:
        for p in e.problems:
            option = OPTION_OF_KEY.get(p.key) if p.file.endswith(CONFIG_NAME) else None
            if option is None:
                where = f"{req.config_path}: {p.key}" if p.file.endswith(CONFIG_NAME) else p.file + (f": {p.key}" if p.key else "")
                problems[f"{p.file}:{p.key}:{p.message}"] = f"{where}: {p.message}"
            elif option not in problems:  # a problem found above already says what is wrong with it
                problems[option] = f"{option}: {p.message}"
    if problems:
        raise ProvisionError(list(problems.values()))
    return result


def _usable_log_token(path: Path) -> bool:
    try:
        return TOKEN_RE.fullmatch(path.read_text(encoding="utf-8").strip()) is not None
    except (OSError, UnicodeDecodeError):
        return False


def _validate(p: Plan, data: dict):
    """Validate the merged configuration exactly as the kiosk will load it, with the token files
    and catalogue it will find next to it (copied to a scratch folder; nothing is written yet)."""
    with tempfile.TemporaryDirectory(prefix="kiosk-provision-") as scratch:
        scratch_dir = Path(scratch)
        for name in (CENTRAL_TOKEN, LOG_TOKEN, CATALOGUE):
            content = p.files[name][0] if name in p.files else _maybe_read(p.folder / name)
            if content is not None:
                (scratch_dir / name).write_bytes(content)
                (scratch_dir / name).chmod(0o600)
        tables = {name: dict(table) for name, table in data.items()}
        tables["kiosk"]["catalogue"] = str(scratch_dir / CATALOGUE)
        return config_from_tables(tables, scratch_dir / CONFIG_NAME)


def _maybe_read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


# writing ----------------------------------------------------------------------------------


def write_atomic(path: Path, content: bytes, mode: int) -> None:
    """Temp file in the same folder, created with its final mode, flushed, renamed over `path`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def apply(p: Plan) -> None:
    try:
        p.folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        # Secrets first, kiosk.toml last: a config never names a token file that is not there yet.
        for name in sorted(p.files, key=lambda n: n == CONFIG_NAME):
            content, mode = p.files[name]
            write_atomic(p.folder / name, content, mode)
        dir_fd = os.open(p.folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as e:
        raise ProvisionError([f"cannot write {e.filename or p.folder}: {e.strerror} "
                              "(run as root: sudo kiosk provision ...)"]) from None


# optional steps after writing -------------------------------------------------------------


def register(config, timeout: float | None = None) -> str:
    """Introduce the kiosk to the central server with one heartbeat; return what happened.

    A 200 proves at once that the server is reachable (with TLS verified) and accepts the token.
    """
    from .agent import client as central

    c = config.central
    kiosk = config.kiosk
    try:
        client = central.CentralClient(c, timeout=timeout, user_agent="kiosk-provision")
    except central.CentralError as e:
        raise ProvisionError([f"{c.url}: {e}"]) from None
    try:
        client.register(kiosk_id=kiosk.id, office=kiosk.office_code)
    except central.CentralError as e:
        if e.kind == central.TLS:
            problem = (f"{c.url}: TLS certificate not accepted ({e.cause}); install the office CA "
                       "(sudo update-ca-certificates) or set central.ca_bundle to its file, or check the server's certificate")
        elif e.kind in central.UNREACHABLE:
            problem = (f"{c.url}: not reachable ({e.cause}); check the network and the URL. "
                       "The configuration was written; run provision again with --register later")
        elif e.kind == central.AUTH:
            problem = (f"{c.url}: the server refused the token (HTTP {e.status}); issue a new one with "
                       f"`kiosk-central tokens add {kiosk.id} --office {kiosk.office_code}`")
        elif e.kind == central.HTTP:
            problem = f"{c.url}: registration answered HTTP {e.status}; try again later"
        else:
            problem = f"{c.url}: registration failed ({e})"
        raise ProvisionError([problem]) from None
    finally:
        client.close()
    return f"registered with {c.url} as {kiosk.id} (office {kiosk.office_code})"


def print_test_page(config) -> tuple[bool, str]:
    """A test page (no queue number is used up); (printed, what the printer said)."""
    from .printing import TicketPrinting

    printing = TicketPrinting(config)
    try:
        result = printing.print_test_page([f"provisioned: {config.kiosk.id} / {config.kiosk.office_code}"])
    finally:
        printing.close()
    return result.delivered, result.reason or result.state
