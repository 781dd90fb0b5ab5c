"""The QR the kiosk printed, decoded from the printer's bytes, opens that ticket's page: first
saying it has not synced (the kiosk has not pushed yet), then the ticket once `kiosk sync now` ran."""

import subprocess
import sys

import zxingcpp
from PIL import Image
from support.kiosk_env import write_config
from support.waiting import wait_for

from central.auth import issue_token
from printer.preview import render_png

from .conftest import PHONE, set_viewport, shot, text_of


def kiosk(config, *args):
    r = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), *args], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_the_printed_qr_opens_the_tickets_page(central, browser, tmp_path):
    token_file = tmp_path / "etc" / "central.token"
    token_file.parent.mkdir(parents=True)
    token_file.write_text(issue_token(central.db, "kiosk", "test-kiosk", office="TEST") + "\n")
    token_file.chmod(0o600)
    config = write_config(tmp_path / "etc", central=f'url = "{central.url}"\npublic_url = "{central.url}"\n'
                                                    f'token_file = "{token_file}"')
    central.db.set_catalogue("TEST", (tmp_path / "etc" / "services.toml").read_bytes())  # the names the page shows
    kiosk(config, "issue", "A")
    printed = (tmp_path / "etc" / "printed.bin").read_bytes()
    png = render_png(printed, tmp_path / "ticket.png", 80)
    found = zxingcpp.read_barcodes(Image.open(png).convert("L"))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    url = found[0].text
    assert url.startswith(f"{central.url}/t/") and "A001" not in url

    set_viewport(browser, PHONE)
    browser.get(url)
    assert text_of(browser, "status") == "Tiket belum sampai di server", "the kiosk has not synced yet"
    kiosk(config, "sync", "now")
    wait_for("the ticket's page to show it", lambda: text_of(browser, "number") == "A001", 15, 0.2)
    assert text_of(browser, "status") == "Menunggu" and text_of(browser, "ahead") == "0"
    assert text_of(browser, "service") == "Paspor Baru"
    shot(browser, "central-ticket-from-qr.png")
