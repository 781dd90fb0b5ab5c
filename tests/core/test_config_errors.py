"""Every configuration rule: each mistake named by file, key path and problem, all at once."""

import os
import subprocess
import sys

import pytest
from support.kiosk_env import ALL_DAY, TEST_CATALOGUE, write_config

from kiosk.config import ConfigError, load_config, parse_catalogue


def problems(path):
    with pytest.raises(ConfigError) as e:
        load_config(path)
    return [str(p) for p in e.value.problems]


def catalogue_problems(text):
    with pytest.raises(ConfigError) as e:
        parse_catalogue(text, "services.toml")
    return [str(p) for p in e.value.problems]


def good_catalogue(**kw):
    return TEST_CATALOGUE.format(hours=ALL_DAY, quota=kw.get("quota", 200), priority_quota=kw.get("priority_quota", 50))


def test_valid_config_loads_with_resolved_paths(tmp_path):
    cfg = load_config(write_config(tmp_path))
    assert cfg.kiosk.id == "test-kiosk"
    assert cfg.kiosk.timezone == "Asia/Jakarta"
    assert cfg.kiosk.number_block == (1, 999)
    assert cfg.store.path == str(tmp_path / "kiosk.db")
    assert [s.prefix for s in cfg.catalogue.services] == ["A", "G"]


def test_all_errors_reported_at_once_with_file_and_key(tmp_path):
    path = write_config(tmp_path, kiosk='timezone = "Mars/Olympus"\nnumber_block = [500, 100]\ncolour = "blue"', printer="paper_mm = 60")
    found = problems(path)
    text = "\n".join(found)
    assert f'{path}: kiosk.timezone: "Mars/Olympus" is not a known timezone' in text
    assert f"{path}: kiosk.number_block: [500, 100] is reversed" in text
    assert f"{path}: kiosk.colour: unknown option" in text
    assert f"{path}: printer.paper_mm: 60 must be one of 58, 80" in text
    assert len(found) == 4


@pytest.mark.parametrize(
    "setting, message",
    [
        ("number_block = [0, 999]", "kiosk.number_block: [0, 999] must lie within 1-9999"),
        ("number_block = [1, 10000]", "kiosk.number_block: [1, 10000] must lie within 1-9999"),
        ("number_block = [5]", "kiosk.number_block: [5] must be two whole numbers [from, to]"),
        ('day_starts_at = "25:00"', 'kiosk.day_starts_at: "25:00" is not a time of day'),
        ('day_starts_at = "7am"', 'kiosk.day_starts_at: "7am" must be a time as HH:MM'),
        ('office_code = "has space"', 'kiosk.office_code: "has space" must be letters'),
        ("max_untrusted_day_jump = true", "kiosk.max_untrusted_day_jump: true must be a whole number"),
    ],
)
def test_kiosk_section_rules(tmp_path, setting, message):
    found = problems(write_config(tmp_path, kiosk=setting))
    assert any(message in p for p in found), found


def test_unknown_section_is_an_error(tmp_path):
    path = write_config(tmp_path, extra="[printr]\ndevice = 'x'")
    assert any("printr: unknown section" in p for p in problems(path))


def test_missing_required_option(tmp_path):
    path = tmp_path / "kiosk.toml"
    write_config(tmp_path)
    path.write_text(path.read_text().replace('office_name = "Kantor Imigrasi Uji"', ""))
    assert any("kiosk.office_name: is required" in p for p in problems(path))


def test_token_file_missing_and_world_readable(tmp_path):
    path = write_config(tmp_path, central='url = "https://central.example/"\ntoken_file = "token"')
    assert any('central.token_file: "' in p and "does not exist" in p for p in problems(path))
    token = tmp_path / "token"
    token.write_text("secret")
    token.chmod(0o644)
    found = problems(path)
    assert any("readable by others (mode 0644)" in p and "chmod 600" in p for p in found), found
    token.chmod(0o600)
    assert load_config(path).central.token_file == str(token)


def test_url_without_token_file(tmp_path):
    path = write_config(tmp_path, central='url = "http://127.0.0.1:1/"')
    assert any("central.token_file: is required when central.url is set" in p for p in problems(path))


def test_bad_toml_is_one_clear_error(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[kiosk\nid=")
    (found,) = problems(path)
    assert "not valid TOML" in found


def test_missing_file(tmp_path):
    (found,) = problems(tmp_path / "nope.toml")
    assert "file not found" in found


def test_catalogue_prefix_rules():
    text = good_catalogue().replace('prefix = "G"', 'prefix = "AA"')
    assert 'services.toml: services[1].prefix: "AA" must be one letter A-Z' in catalogue_problems(text)
    text = good_catalogue().replace('prefix = "G"', 'prefix = "A"')
    assert any('services[1].prefix: "A" is already used by services[0]' in p for p in catalogue_problems(text))
    text = good_catalogue().replace('prefix = "G"', 'prefix = "P"')
    assert any('priority_prefix: "P" is also services[1].prefix' in p for p in catalogue_problems(text))


def test_catalogue_nested_errors_name_their_path():
    text = good_catalogue().replace("amount = 650000", 'amount = "gratis"').replace('en = "Diploma"', 'en = "Diploma"\ncolour = 1')
    found = catalogue_problems(text)
    assert 'services.toml: services[0].fees[0].amount: "gratis" must be a whole number' in found
    assert any(p.startswith("services.toml: services[0].documents[2].colour: unknown option") for p in found)


def test_catalogue_hours_and_priority_rules():
    text = good_catalogue(priority_quota=0).replace('mon = ["00:00-24:00"]', 'mon = ["16:00-08:00"]')
    found = catalogue_problems(text)
    assert any("hours.mon: entry 1: '16:00-08:00' ends before it starts" in p for p in found)
    assert any("services[0].priority_quota: must be above 0 when priority_allowed = true" in p for p in found)


def test_catalogue_errors_reach_load_config(tmp_path):
    path = write_config(tmp_path, catalogue=good_catalogue().replace('prefix = "G"', 'prefix = "g"'))
    assert 'services.toml: services[1].prefix: "g" must be one letter A-Z' in problems(path)


def test_lookup_order(tmp_path, monkeypatch):
    from kiosk.config import find_config_path

    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "env.toml"))
    assert find_config_path(tmp_path / "explicit.toml") == tmp_path / "explicit.toml"
    assert find_config_path() == tmp_path / "env.toml"
    monkeypatch.delenv("KIOSK_CONFIG")
    assert find_config_path().name == "kiosk.toml"


def test_cli_validate_exit_codes_and_no_traceback(tmp_path):
    good = write_config(tmp_path / "good")
    bad = write_config(tmp_path / "bad", kiosk='timezone = "Nowhere/City"', printer='paper_mm = "wide"')
    env = {**os.environ, "KIOSK_CONFIG": ""}
    ok = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(good), "config", "validate"], capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "valid" in ok.stdout
    res = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(bad), "config", "validate"], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert 'kiosk.timezone: "Nowhere/City" is not a known timezone' in res.stderr
    assert 'printer.paper_mm: "wide" must be one of 58, 80' in res.stderr


def test_deeply_nested_toml_is_a_config_error_not_a_traceback(tmp_path):
    """Found by tests/campaigns (config fuzzing): tomllib raised RecursionError through the loaders."""
    deep = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    path = write_config(tmp_path)
    path.write_text(deep)
    assert problems(path) == [f"{path}: not valid TOML: arrays or tables nested too deeply"]
    assert catalogue_problems(deep) == ["services.toml: not valid TOML: arrays or tables nested too deeply"]


def test_an_empty_service_list_is_refused_like_a_missing_one():
    """Found by tests/campaigns (catalogue fuzzing): `services = []` loaded a kiosk with nothing to offer."""
    assert catalogue_problems("services = []\n") == ["services.toml: services: is required: at least one [[services]] entry"]


def test_control_characters_in_text_are_refused():
    """Found by tests/campaigns (any script on the touchscreen): an ESC or NUL in a service name was
    accepted; the screen drew boxes and cut the name at the NUL (paper dropped them)."""
    text = good_catalogue().replace('name_en = "New passport"', 'name_en = "New\\u001b pass\\u0000port"')
    assert catalogue_problems(text) == ["services.toml: services[0].name_en: contains the control character U+001B; remove it"]
    assert parse_catalogue(good_catalogue().replace('name_en = "New passport"', 'name_en = "New\\tpassport"'))


@pytest.mark.parametrize("qr", ["https://q.example/{id}/{0}", "https://q.example/{id}{foo}", "https://q.example/{id}{",
                                "https://q.example/{day}"])
def test_a_qr_template_that_could_not_print_is_refused(tmp_path, qr):
    """Found by tests/campaigns (config fuzzing): these loaded, then every ticket's print failed."""
    [problem] = problems(write_config(tmp_path, printer=f'qr = "{qr}"'))
    assert "printer.qr" in problem and "{id} or {number}" in problem
    assert load_config(write_config(tmp_path, printer='qr = "https://q.example/{kiosk}/{day}/{number}"'))


def test_batch_size_is_capped_at_what_the_central_server_applies(tmp_path):
    from central.app import MAX_BATCH
    from kiosk.config.schema import SERVER_MAX_BATCH

    assert SERVER_MAX_BATCH == MAX_BATCH
    path = write_config(tmp_path, central=f'url = "http://127.0.0.1:9"\nbatch_size = {MAX_BATCH + 1}')
    assert any(f"central.batch_size: {MAX_BATCH + 1} is out of range 1-{MAX_BATCH} (the central server applies "
               f"at most {MAX_BATCH} events per request)" in p for p in problems(path)), problems(path)
