"""Finding, reading and cross-checking kiosk.toml and its catalogue."""

from __future__ import annotations

import dataclasses
import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .catalogue import Catalogue, parse_catalogue
from .errors import Collector, ConfigError, Problem
from .fields import read_section
from .schema import (
    SECTIONS,
    AdminSection,
    AgentSection,
    BookingsSection,
    CentralSection,
    KioskSection,
    PrinterSection,
    ScannerSection,
    SpeechSection,
    StoreSection,
    UiSection,
)

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "kiosk.toml"
# An installed wheel carries the defaults in the package (setup.py copies config/ there).
PACKAGED_CONFIG = Path(__file__).resolve().parents[1] / "defaults" / "kiosk.toml"
SYSTEM_CONFIG = Path("/etc/kiosk/kiosk.toml")
REMOTE_CATALOGUE_NAME = "catalogue.remote.toml"


@dataclass(frozen=True)
class KioskConfig:
    path: Path
    kiosk: KioskSection
    store: StoreSection
    printer: PrinterSection
    central: CentralSection
    agent: AgentSection
    ui: UiSection
    admin: AdminSection
    catalogue: Catalogue
    warnings: tuple = ()
    scanner: ScannerSection = ScannerSection()
    speech: SpeechSection = SpeechSection()
    bookings: BookingsSection = BookingsSection()

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def data_dir(self) -> Path:
        return Path(self.store.path).parent

    @property
    def remote_catalogue_path(self) -> Path:
        """Where the agent keeps a catalogue pulled from the central server (data dir: writable)."""
        return self.data_dir / REMOTE_CATALOGUE_NAME

    @property
    def standalone(self) -> bool:
        return not self.central.url


def find_config_path(explicit: str | os.PathLike | None = None) -> Path:
    """--config PATH, then $KIOSK_CONFIG, then /etc/kiosk/kiosk.toml, then the built-in default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("KIOSK_CONFIG")
    if env:
        return Path(env)
    if SYSTEM_CONFIG.exists():
        return SYSTEM_CONFIG
    return default_config_path()


def default_config_path() -> Path:
    """The checkout's config/kiosk.toml, or in an installed wheel the copy inside the package."""
    return REPO_CONFIG if REPO_CONFIG.exists() or not PACKAGED_CONFIG.exists() else PACKAGED_CONFIG


def _resolve(base: Path, value: str) -> str:
    if not value:
        return value
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def _resolve_device(base: Path, device: str) -> str:
    """A device path (file:, serial:) is relative to the config file, like every other path."""
    from printer.device import device_kind

    kind = device_kind(device)
    name, sep, rest = device.partition(":")
    if sep and kind is not None and kind.path_argument and rest and not rest.startswith("/"):
        return f"{name}:{_resolve(base, rest)}"
    return device


def _check_printer(col: Collector, section) -> None:
    from printer import parse_device

    try:
        parse_device(section.device)
    except ValueError as e:
        col.add("printer.device", str(e))
    try:
        section.printer_model()
    except ValueError as e:  # printer.model.ModelOptionError names the option it is about
        col.add(f"printer.{getattr(e, 'option', 'model')}", str(e))


def _checked_scanner(col: Collector, base: Path, section):
    from ..scanner.device import parse_scanner_device

    try:
        dev = parse_scanner_device(section.device)
    except ValueError as e:
        col.add("scanner.device", str(e))
        return section
    if section.min_length > section.max_length:
        col.add("scanner.min_length", f"{section.min_length} is more than scanner.max_length ({section.max_length})")
    if dev.kind == "serial" and not dev.path.startswith("/"):
        # Not resolved through symlinks: a link (by-id, the virtual scanner's) points at a new tty
        # after a replug, and the reader reopens the link.
        path = os.path.normpath(base / Path(dev.path).expanduser())
        section = dataclasses.replace(section, device=f"serial:{path}@{dev.baud}")
    return section


def _check_bookings(col: Collector, bookings, catalogue: Catalogue) -> None:
    """The booked series and the unverified service must fit the catalogue they serve."""
    if bookings.unverified_service and not any(s.key == bookings.unverified_service for s in catalogue.services):
        col.add("bookings.unverified_service", f'"{bookings.unverified_service}" is not a service key of the catalogue')
    if bookings.series != "service":
        taken = {s.prefix: s.key for s in catalogue.services}
        if bookings.series in taken:
            col.add("bookings.series", f'"{bookings.series}" is also the prefix of service "{taken[bookings.series]}"')
        elif bookings.series == catalogue.priority_prefix:
            col.add("bookings.series", f'"{bookings.series}" is also the catalogue\'s priority_prefix')


def printed_text_warnings(kiosk, printer, catalogue) -> list[str]:
    """Texts that go on paper with characters the printer cannot print (they come out as "?"):
    a warning each, naming the key and the characters, so the office can respell them."""
    from printer.text import unprintable

    texts = [("kiosk.office_name", kiosk.office_name)]
    texts += [(f"kiosk.office_lines[{i}]", t) for i, t in enumerate(kiosk.office_lines)]
    texts += [(f"printer.footer[{i}]", t) for i, t in enumerate(printer.footer)]
    if catalogue is not None:
        for g, group in enumerate(catalogue.priority_groups):
            texts += [(f"priority_groups[{g}].{f}", getattr(group, f)) for f in ("id", "en")]
        for i, s in enumerate(catalogue.services):
            texts += [(f"services[{i}].{f}", getattr(s, f))
                      for f in ("name_id", "name_en", "processing_id", "processing_en")]
            texts += [(f"services[{i}].notes_{lang}[{n}]", t)
                      for lang in ("id", "en") for n, t in enumerate(getattr(s, f"notes_{lang}"))]
            for d, doc in enumerate(s.documents):
                texts += [(f"services[{i}].documents[{d}].{f}", getattr(doc, f)) for f in ("id", "en", "note_id", "note_en")]
            for f_, fee in enumerate(s.fees):
                texts += [(f"services[{i}].fees[{f_}].{f}", getattr(fee, f)) for f in ("id", "en")]
    warnings = []
    for key, text in texts:
        bad = unprintable(text)
        if bad:
            shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in bad)
            warnings.append(f"{key}: {shown} cannot be printed and will come out as '?'; spell it in Latin letters")
    return warnings


def _systemd_credential(path: str) -> bool:
    """A file systemd handed over with LoadCredential= (docs/operations.md, "Secrets"): systemd
    itself limits it to the service's user, with an ACL that makes its mode show group bits."""
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    return bool(creds) and os.path.dirname(os.path.realpath(path)) == os.path.realpath(creds)


def check_secret_file(col: Collector, key: str, path: str) -> None:
    """A token file must exist and be readable by its owner only (0600 or stricter)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        col.add(key, f'"{path}" does not exist')
        return
    except OSError as e:
        col.add(key, f'"{path}" cannot be read: {e.strerror}')
        return
    if not stat.S_ISREG(st.st_mode):
        col.add(key, f'"{path}" is not a regular file')
    elif st.st_mode & 0o077 and not _systemd_credential(path):
        col.add(key, f'"{path}" is readable by others (mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}')


def load_config(path: str | os.PathLike | None = None) -> KioskConfig:
    """Load and validate the configuration; raise ConfigError listing every problem."""
    cfg_path = find_config_path(path).expanduser()
    try:
        raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([Problem(str(cfg_path), "", "file not found (set --config or $KIOSK_CONFIG)")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError([Problem(str(cfg_path), "", f"cannot be read: {e}")]) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError([Problem(str(cfg_path), "", f"not valid TOML: {e}")]) from None
    except RecursionError:  # tomllib recurses per nesting level: [[[[...]]]] would be a traceback
        raise ConfigError([Problem(str(cfg_path), "", "not valid TOML: arrays or tables nested too deeply")]) from None
    return config_from_tables(raw, cfg_path)


def config_from_tables(raw: dict, cfg_path: Path) -> KioskConfig:
    """Validate kiosk.toml's tables as if read from `cfg_path` (relative paths, token files and the
    catalogue are taken from its folder); raise ConfigError listing every problem. `kiosk
    provision` validates the configuration it is about to write through this same function."""
    col = Collector(str(cfg_path))
    for key in raw:
        if key not in SECTIONS:
            col.add(key, f"unknown section (known: {', '.join(SECTIONS)})")
    sections = {name: read_section(col, raw.get(name), cls, name) for name, cls in SECTIONS.items()}
    base = cfg_path.resolve().parent

    kiosk, store, printer, central, agent = (sections[k] for k in ("kiosk", "store", "printer", "central", "agent"))
    store = dataclasses.replace(store, path=_resolve(base, store.path))
    printer = dataclasses.replace(
        printer, preview_dir=_resolve(base, printer.preview_dir), device=_resolve_device(base, printer.device)
    )
    _check_printer(col, printer)
    scanner = _checked_scanner(col, base, sections["scanner"])
    central = dataclasses.replace(
        central, token_file=_resolve(base, central.token_file), ca_bundle=_resolve(base, central.ca_bundle)
    )
    agent = dataclasses.replace(agent, log_token_file=_resolve(base, agent.log_token_file))

    if central.url:
        if not central.token_file:
            col.add("central.token_file", "is required when central.url is set")
        else:
            check_secret_file(col, "central.token_file", central.token_file)
        if central.ca_bundle and not os.path.isfile(central.ca_bundle):
            col.add("central.ca_bundle", f'"{central.ca_bundle}" does not exist')
    if agent.log_token_file:
        check_secret_file(col, "agent.log_token_file", agent.log_token_file)

    catalogue = None
    warnings: list[str] = []
    if kiosk.catalogue:
        cat_path = Path(_resolve(base, kiosk.catalogue))
        kiosk = dataclasses.replace(kiosk, catalogue=str(cat_path))
        try:
            catalogue = parse_catalogue(cat_path.read_text(encoding="utf-8"), cat_path.name)
        except FileNotFoundError:
            col.add("kiosk.catalogue", f'"{cat_path}" does not exist')
        except (OSError, UnicodeDecodeError) as e:
            col.add("kiosk.catalogue", f'"{cat_path}" cannot be read: {e}')
        except ConfigError as e:
            col.problems.extend(e.problems)
    if catalogue is not None:
        _check_bookings(col, sections["bookings"], catalogue)
    col.raise_if_any()

    cfg = KioskConfig(
        path=cfg_path.resolve(),
        kiosk=kiosk,
        store=store,
        printer=printer,
        central=central,
        agent=agent,
        ui=sections["ui"],
        admin=sections["admin"],
        catalogue=catalogue,
        scanner=scanner,
        speech=sections["speech"],
        bookings=sections["bookings"],
    )
    remote = cfg.remote_catalogue_path
    if remote.exists():
        try:
            catalogue = parse_catalogue(remote.read_text(encoding="utf-8"), str(remote))
        except (OSError, UnicodeDecodeError, ConfigError) as e:
            warnings.append(f"ignored the catalogue pulled from the central server ({remote}): {e}")
        else:
            cfg = dataclasses.replace(cfg, catalogue=catalogue)
    warnings += printed_text_warnings(cfg.kiosk, cfg.printer, cfg.catalogue)
    return dataclasses.replace(cfg, warnings=tuple(warnings))
