"""`kiosk provision --server http://<public address>` sends the token in clear: refused unless --insecure."""

from __future__ import annotations

import subprocess

import pytest
from opskit import clean_env, kiosk_cmd, write_secret

from kiosk.provision import ProvisionError, Request, plan

TOKEN = "a1b2c3d4e5f6.central-secret-central-secret"


def request(tmp_path, server: str, insecure: bool = False) -> Request:
    write_secret(tmp_path / "central.token", TOKEN)
    return Request(config_path=tmp_path / "etc" / "kiosk.toml", kiosk_id="k1", office="BLITAR", server=server,
                   token_file=str(tmp_path / "central.token"), printer="virtual", number_block="1-99",
                   office_name="Kantor Imigrasi Blitar", data_dir=str(tmp_path / "var"), insecure=insecure)


@pytest.mark.parametrize("server", ["http://1.1.1.1:8471", "http://antrian.example", "http://8.8.8.8",
                                    "http://[2606:4700::1111]:8471"])
def test_plain_http_to_a_public_address_is_refused(tmp_path, server):
    with pytest.raises(ProvisionError) as err:
        plan(request(tmp_path, server))
    assert any("--insecure" in p and "in clear" in p for p in err.value.problems)
    assert plan(request(tmp_path, server, insecure=True)).changed


@pytest.mark.parametrize("server", ["http://127.0.0.1:8471", "http://localhost:8471", "http://10.0.5.2:8471",
                                    "http://192.168.1.20", "http://172.16.0.9", "http://[::1]:8471",
                                    "https://antrian.example"])
def test_loopback_private_and_https_are_allowed(tmp_path, server):
    assert plan(request(tmp_path, server)).changed


def test_the_command_says_so_and_writes_nothing(tmp_path):
    write_secret(tmp_path / "central.token", TOKEN)
    args = ["--kiosk-id", "k1", "--office", "BLITAR", "--office-name", "Kantor", "--server", "http://1.1.1.1",
            "--token-file", str(tmp_path / "central.token"), "--printer", "virtual", "--number-block", "1-99",
            "--data-dir", str(tmp_path / "var")]
    cmd = kiosk_cmd("--config", str(tmp_path / "etc/kiosk.toml"), "provision", *args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=clean_env())
    assert r.returncode == 2 and "--insecure" in r.stderr
    assert not (tmp_path / "etc").exists()
    r = subprocess.run(cmd + ["--insecure"], capture_output=True, text=True, timeout=60, env=clean_env())
    assert r.returncode == 0, r.stderr
