"""Hypothesis strategies for configuration-shaped TOML, and a small TOML writer for them.

Documents start from a valid kiosk.toml / services.toml and are mutated key by key with values of
every TOML type (near the bounds, of the wrong type, text in any script), so the fuzzer spends its
time on the loaders' checks rather than on TOML syntax; a share are raw text or bytes, or deeply
nested, to exercise the parser's own failures.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timezone

from hypothesis import strategies as st

# -- a TOML writer for the values below --------------------------------------------------------


def _string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def value_toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(value_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_string(k)} = {value_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def document_toml(doc: dict) -> str:
    """Top-level scalars first, then [tables] and [[arrays of tables]]."""
    lines, later = [], []
    for key, value in doc.items():
        if isinstance(value, dict):
            later.append(f"[{_string(key)}]")
            later += [f"{_string(k)} = {value_toml(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                later.append(f"[[{_string(key)}]]")
                later += [f"{_string(k)} = {value_toml(v)}" for k, v in item.items()]
        else:
            lines.append(f"{_string(key)} = {value_toml(value)}")
    return "\n".join(lines + later) + "\n"


# -- values ------------------------------------------------------------------------------------

# Any script: emoji, right-to-left, combining marks, control and format characters.
any_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
long_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=60, max_size=600)
near_valid_text = st.sampled_from([
    "", " ", "A", "AA", "a", "Asia/Jakarta", "Mars/Olympus", "UTC", "08:00", "24:00", "08:00-16:00", "16:00-08:00",
    "07:60", "virtual", "serial:/dev/ttyUSB0@19200", "serial:x@123", "usb:04b8:0e15", "tcp:[fd00::5]:9100",
    "file:", "lpt1", "http://x/{id}", "https://q.example/t/{number}", "https://q.example/{id}{kiosk}",
    "https://q.example/{id}/{0}", "https://q.example/{id.__class__}", "https://q.example/{id:>9999999}",
    "ticket-id", "none", "auto", "TM-T20II", "POS-5890", "NoSuchPrinter", "127.0.0.1:8470", "[::1]:99999",
    "scrypt$16384$8$1$AAAA$BBBB", "paspor-baru", "P", "lansia",
])
scalar = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 1, -1, 2, 4, 5, 23, 24, 30, 31, 58, 80, 999, 1000, 9999, 10000, 86400, 2**31, 2**63 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 0.05, 0.1, 1e-9, 5.0, 60.0, 3600.0, 1e308, -0.0]),
    any_text, near_valid_text, long_text,
    st.dates(), st.times(), st.datetimes(timezones=st.just(timezone.utc)),
)
toml_value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=3),
                          max_leaves=8)


def nested(depth: int) -> str:
    return "x = " + "[" * depth + "]" * depth + "\n"


# -- documents ---------------------------------------------------------------------------------

CONFIG_KEYS = {
    "kiosk": ["id", "office_code", "office_name", "office_lines", "timezone", "day_starts_at", "number_block",
              "catalogue", "max_untrusted_day_jump"],
    "store": ["path"],
    "printer": ["device", "model", "paper_mm", "native_qr", "cutter", "status", "max_text_size", "columns",
                "nv_logo_key", "qr", "footer", "preview_dir", "status_timeout", "write_timeout"],
    "central": ["url", "token_file", "ca_bundle", "connect_timeout", "read_timeout", "batch_size",
                "batch_linger_seconds", "backoff_initial_seconds", "backoff_max_seconds", "retry_after_max_seconds",
                "heartbeat_seconds", "pull_seconds", "backlog_warn_events", "backlog_warn_age_minutes",
                "quarantine_after_rejections"],
    "agent": ["listen", "log_token_file", "log_page_max", "log_rate_per_second", "log_rate_burst", "cpu_policy",
              "nice"],
    "ui": ["languages", "idle_seconds", "ticket_seconds", "rotation", "fullscreen", "input", "large_text_scale",
           "status_poll_seconds"],
    "admin": ["pin_hash", "max_pin_attempts", "lockout_seconds"],
}


def base_config() -> dict:
    return {
        "kiosk": {"id": "test-kiosk", "office_code": "TEST", "office_name": "Kantor Imigrasi Uji",
                  "catalogue": "services.toml"},
        "store": {"path": "kiosk.db"},
        "printer": {"device": "file:printed.bin"},
    }


@st.composite
def config_documents(draw) -> str | bytes:
    kind = draw(st.sampled_from(["mutated"] * 8 + ["raw", "bytes", "nested"]))
    if kind == "raw":
        return draw(st.text(max_size=300))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "nested":
        return nested(draw(st.integers(min_value=50, max_value=3000)))
    doc = base_config()
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        section = draw(st.sampled_from([*CONFIG_KEYS, "unknown"]))
        key = draw(st.sampled_from(CONFIG_KEYS.get(section, ["x"]) + ["bogus"]))
        action = draw(st.sampled_from(["set", "set", "set", "delete", "section"]))
        if action == "delete":
            if isinstance(doc.get(section), dict):
                doc[section].pop(key, None)
        elif action == "section":
            doc[section] = draw(toml_value)
        else:
            table = doc.setdefault(section, {})
            if not isinstance(table, dict):
                table = doc[section] = {}
            table[key] = draw(toml_value)
    return document_toml(doc)


def base_catalogue() -> dict:
    return {
        "priority_prefix": "P",
        "hours": {"mon": ["08:00-16:00"], "tue": ["08:00-16:00"]},
        "priority_groups": [{"key": "lansia", "id": "Lansia", "en": "Senior"}],
        "services": [
            {"key": "paspor-baru", "prefix": "A", "name_id": "Paspor Baru", "name_en": "New passport",
             "priority_allowed": True, "priority_quota": 5,
             "documents": [{"id": "KTP-el", "en": "ID card"}], "fees": [{"id": "Biaya", "en": "Fee", "amount": 350000}]},
            {"key": "pengambilan", "prefix": "G", "name_id": "Pengambilan", "name_en": "Pickup"},
        ],
    }


SERVICE_KEYS = ["key", "prefix", "name_id", "name_en", "description_id", "description_en", "processing_id",
                "processing_en", "notes_id", "notes_en", "daily_quota", "priority_quota", "mpaspor_required",
                "priority_allowed", "documents", "fees", "hours", "bogus"]


@st.composite
def catalogue_documents(draw) -> str:
    kind = draw(st.sampled_from(["mutated"] * 8 + ["raw", "nested"]))
    if kind == "raw":
        return draw(st.text(max_size=300))
    if kind == "nested":
        return nested(draw(st.integers(min_value=50, max_value=3000)))
    doc = base_catalogue()
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        where = draw(st.sampled_from(["top", "hours", "group", "service", "document", "fee"]))
        value = draw(toml_value)
        if where == "top":
            doc[draw(st.sampled_from(["priority_prefix", "closed_dates", "hours", "services", "priority_groups",
                                      "bogus"]))] = value
        elif where == "hours" and isinstance(doc.get("hours"), dict):
            doc["hours"][draw(st.sampled_from(["mon", "sat", "sun", "holiday"]))] = value
        elif where == "group" and isinstance(doc.get("priority_groups"), list) and doc["priority_groups"] \
                and isinstance(doc["priority_groups"][0], dict):
            doc["priority_groups"][0][draw(st.sampled_from(["key", "id", "en", "bogus"]))] = value
        elif isinstance(doc.get("services"), list) and doc["services"] and all(isinstance(x, dict) for x in doc["services"]):
            service = doc["services"][draw(st.integers(0, len(doc["services"]) - 1))]
            if where == "service":
                service[draw(st.sampled_from(SERVICE_KEYS))] = value
            else:
                items = service.get("documents" if where == "document" else "fees")
                if isinstance(items, list) and items and isinstance(items[0], dict):
                    items[0][draw(st.sampled_from(["id", "en", "mandatory", "note_id", "amount", "bogus"]))] = value
    try:
        return document_toml(doc)
    except TypeError:
        return document_toml(base_catalogue())
