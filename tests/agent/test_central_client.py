"""The one client for the central server: trust (office CA file, or the system trust store), error
kinds, and provision and doctor speaking through it against real servers (TLS made by openssl)."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path

import pytest
from support.kiosk_env import make_config
from support.tls import https_server, make_ca_and_server_cert

from central.app import create_app
from central.auth import issue_token
from central.db import CentralDB
from central.server import ServerThread
from kiosk.agent import client as central
from kiosk.agent.client import CentralClient, CentralError
from kiosk.doctor import Host, checks
from kiosk.provision import ProvisionError, register

SYSTEM_BUNDLE = Path(central.SYSTEM_CA_BUNDLES[0])


def secret(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    path.chmod(0o600)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca, cert, key = make_ca_and_server_cert(folder)
    # What `update-ca-certificates` makes of an office CA: the system bundle with it appended.
    system_with_ca = folder / "ca-certificates.crt"
    system_with_ca.write_bytes(SYSTEM_BUNDLE.read_bytes() + b"\n" + ca.read_bytes())
    return {"ca": ca, "cert": cert, "key": key, "system_with_ca": system_with_ca}


@pytest.fixture
def server(tmp_path, pki):
    db = CentralDB(tmp_path / "central.db")
    token = issue_token(db, "kiosk", "test-kiosk", "TEST")
    with https_server(create_app(db), pki["cert"], pki["key"]) as url:
        yield {"db": db, "url": url, "token": token}
    db.close()


def kiosk_config(tmp_path, url: str, token: str, ca_bundle: str = ""):
    secret(tmp_path / "etc" / "central.token", token)
    central_toml = f'url = "{url}"\ntoken_file = "central.token"\nconnect_timeout = 2\nread_timeout = 5'
    if ca_bundle:
        central_toml += f'\nca_bundle = "{ca_bundle}"'
    return make_config(tmp_path / "etc", kiosk='id = "test-kiosk"\noffice_code = "TEST"', central=central_toml)


def test_the_office_ca_file_is_trusted_when_named(tmp_path, server, pki):
    cfg = kiosk_config(tmp_path, server["url"], server["token"], ca_bundle=str(pki["ca"]))
    client = CentralClient(cfg.central, system_bundle=str(SYSTEM_BUNDLE))
    try:
        assert client.health()["ok"] is True
        client.register(kiosk_id="test-kiosk", office="TEST")
    finally:
        client.close()
    assert server["db"].kiosk("test-kiosk")["last_heartbeat_at"]


def test_unset_ca_bundle_means_the_system_trust_store(tmp_path, server, pki, monkeypatch):
    cfg = kiosk_config(tmp_path, server["url"], server["token"])
    assert cfg.central.ca_bundle == ""
    # The real system store does not know the private CA: refused, as a tls error.
    client = CentralClient(cfg.central)
    assert client.verify == str(SYSTEM_BUNDLE)
    with pytest.raises(CentralError) as refused:
        client.health()
    client.close()
    assert refused.value.kind == central.TLS and refused.value.cause == "CERTIFICATE_VERIFY_FAILED"
    # The environment does not re-key the kiosk either (no SSL_CERT_FILE, no REQUESTS_CA_BUNDLE).
    monkeypatch.setenv("SSL_CERT_FILE", str(pki["ca"]))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki["ca"]))
    client = CentralClient(cfg.central)
    with pytest.raises(CentralError) as still_refused:
        client.health()
    client.close()
    assert still_refused.value.kind == central.TLS
    # The office CA installed into the system store (update-ca-certificates): trusted, no option set.
    monkeypatch.setattr(central, "SYSTEM_CA_BUNDLES", ("/nonexistent/bundle.crt", str(pki["system_with_ca"])))
    client = CentralClient(cfg.central)
    try:
        assert client.verify == str(pki["system_with_ca"])
        assert client.health()["ok"] is True
    finally:
        client.close()


def test_doctor_and_provision_turn_the_tls_kind_into_their_fix(tmp_path, server, pki, monkeypatch):
    cfg = kiosk_config(tmp_path, server["url"], server["token"])
    scene = checks.Scene(cfg, Host(root=tmp_path), getpass.getuser(), 3.0)
    [doctor_says] = checks.server(scene)
    assert doctor_says.status == "FAIL" and "TLS certificate not accepted (CERTIFICATE_VERIFY_FAILED)" in doctor_says.detail
    assert "update-ca-certificates" in doctor_says.fix and "central.ca_bundle" in doctor_says.fix
    with pytest.raises(ProvisionError) as provision_says:
        register(cfg)
    assert "TLS certificate not accepted" in str(provision_says.value)
    assert server["db"].kiosk("test-kiosk") is None or not server["db"].kiosk("test-kiosk").get("last_heartbeat_at")

    monkeypatch.setattr(central, "SYSTEM_CA_BUNDLES", (str(pki["system_with_ca"]),))
    [doctor_says] = checks.server(scene)
    assert doctor_says.status == "OK" and "reachable, TLS verified, token accepted" in doctor_says.detail
    assert register(cfg) == f"registered with {server['url']} as test-kiosk (office TEST)"
    assert server["db"].kiosk("test-kiosk")["last_heartbeat_at"]


def test_error_kinds_for_a_refused_token_a_closed_port_and_a_silent_server(tmp_path):
    db = CentralDB(tmp_path / "central.db")
    with ServerThread(create_app(db)) as srv:
        cfg = kiosk_config(tmp_path, srv.url, "ffffffffffff.wrong-secret-wrong-secret")
        client = CentralClient(cfg.central)
        assert client.health()["ok"] is True  # health needs no token
        with pytest.raises(CentralError) as auth:
            client.get_queue("TEST")
        client.close()
    db.close()
    assert auth.value.kind == central.AUTH and auth.value.status == 401

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = CentralClient(kiosk_config(tmp_path, f"http://127.0.0.1:{port}", "a" * 20).central)
    with pytest.raises(CentralError) as refused:
        client.health()
    client.close()
    assert refused.value.kind == central.NETWORK and refused.value.cause == "Connection refused"

    with socket.socket() as hole:  # accepts, never answers
        hole.bind(("127.0.0.1", 0))
        hole.listen(4)
        cfg = kiosk_config(tmp_path, f"http://127.0.0.1:{hole.getsockname()[1]}", "a" * 20)
        client = CentralClient(cfg.central, timeout=0.3)
        with pytest.raises(CentralError) as silent:
            client.health()
        client.close()
    assert silent.value.kind == central.TIMEOUT and "no answer within 0.3 s" in str(silent.value)


def test_a_missing_token_file_is_a_config_error(tmp_path):
    cfg = kiosk_config(tmp_path, "http://127.0.0.1:9", "a" * 20)
    (tmp_path / "etc" / "central.token").unlink()
    with pytest.raises(CentralError) as missing:
        CentralClient(cfg.central)
    assert missing.value.kind == central.CONFIG and "cannot read central.token_file" in str(missing.value)
