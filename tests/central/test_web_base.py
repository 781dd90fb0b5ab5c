"""The web side's base (central/web/): security headers, the language switch, the public rate limit."""

from pathlib import Path

import requests

from central.app import create_app
from central.server import ServerThread
from central.web.headers import CSP
from central.web.ratelimit import RateLimiter

ROOT = Path(__file__).resolve().parents[2]


def test_every_html_page_carries_the_security_headers(server):
    r = requests.get(server.url + "/", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Frame-Options"] == "DENY"
    css = requests.get(server.url + "/static/site.css", timeout=5)
    assert css.status_code == 200 and css.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_holds_inline_script_or_style():
    for page in (ROOT / "central" / "templates").glob("*.html"):
        text = page.read_text()
        for line in text.splitlines():
            if "<script" in line:
                assert " src=" in line, f"{page.name}: inline script: {line.strip()}"
            assert " style=" not in line and "<style" not in line, f"{page.name}: inline style: {line.strip()}"
            assert " on" not in line.split(">")[0] or "onclick" not in line, f"{page.name}: inline handler"
    assert "unsafe" not in CSP


def test_indonesian_by_default_english_by_the_switch_and_remembered(server):
    s = requests.Session()
    first = s.get(server.url + "/", timeout=5)
    assert '<html lang="id">' in first.text and "Server antrean" in first.text and 'href="?lang=en"' in first.text
    english = s.get(server.url + "/?lang=en", timeout=5)
    assert '<html lang="en">' in english.text and "Queue server" in english.text
    again = s.get(server.url + "/", timeout=5)
    assert '<html lang="en">' in again.text, "the choice is kept in a cookie"
    assert '<html lang="id">' in s.get(server.url + "/?lang=id", timeout=5).text


def test_bucket_refuses_past_its_burst_and_refills():
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.take("10.0.0.1") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("10.0.0.1") == 0.5
    assert limiter.take("10.0.0.2") == 0, "another address has its own bucket"
    now[0] += 0.5
    assert limiter.take("10.0.0.1") == 0


def test_public_pages_answer_429_with_retry_after_past_the_limit(db):
    app = create_app(db)
    app.extensions["central.public_limiter"].burst = 2
    app.extensions["central.public_limiter"].rate = 0.1
    with ServerThread(app) as srv:
        answers = [requests.get(srv.url + "/t/" + "x" * 22, timeout=5) for _ in range(4)]
        health = requests.get(srv.url + "/api/v1/health", timeout=5)
    assert [a.status_code for a in answers[2:]] == [429, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert "Content-Security-Policy" in answers[-1].headers
    assert health.status_code == 200, "the kiosks' API is not behind the public limit"


def test_serve_takes_the_public_limit_from_its_options(tmp_path):
    import subprocess
    import sys

    from support.waiting import free_port, stop_process, wait_for

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "central", "serve", "--db", str(tmp_path / "c.db"),
                             "--listen", f"127.0.0.1:{port}", "--public-rate", "0.1", "--public-burst", "3"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/public/tickets/" + "x" * 22

        def answer():
            try:
                return requests.get(url, timeout=2).status_code
            except requests.RequestException:
                return None

        codes = [wait_for("the server", answer, 20, 0.1)] + [requests.get(url, timeout=2).status_code for _ in range(3)]
    finally:
        stop_process(proc)
    assert codes == [404, 404, 404, 429]
    bad = subprocess.run([sys.executable, "-m", "central", "serve", "--public-rate", "0"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode == 2 and "--public-rate: 0 is out of range" in bad.stderr
