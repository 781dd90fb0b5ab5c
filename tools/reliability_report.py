#!/usr/bin/env python3
"""Render docs/reliability.md from the campaigns' own results (var/reliability/results.json).

    python tools/reliability_report.py [RESULTS_JSON] [OUTPUT_MD] [--scale full|default|any]

`make reliability` runs the full campaigns (pytest -m slow), then this. Each campaign test records
its figures with tests/campaigns/figures.py; nothing in the document is typed by hand. Campaigns
with no recorded row are listed as not run. Exit 0 when every reported campaign passed, else 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The order and the one-line claim of each campaign (what "passed" means for it).
CAMPAIGNS = [
    ("crash", "SIGKILL of the issuing process and the agent at random points of issue, print and sync; after "
              "each restart: integrity check, no repeated or skipped number, every shown number stored; after "
              "sync the server holds every committed ticket and event exactly once"),
    ("network", "a simulated office day through the fault proxy (refuse, reset, black hole, delay, dropped or "
                "cut or malformed replies, 5xx/429, part of a batch), the link flapping every few minutes: "
                "nothing lost or duplicated, issue latency unchanged, agent memory flat"),
    ("checkin", "M-Paspor scans over an office day at two kiosks with real agents whose links flap independently: "
                "no second number for a booking whose check-in the kiosk held, none from one kiosk, every check-in "
                "on the server exactly once, and the server's duplicate report names exactly the bookings two "
                "kiosks checked in while they could not see each other"),
    ("quarantine", "a simulated office day with a real `kiosk agent` process and a central server that refuses 1 "
                   "event in 200 for good (a `retry: false` verdict or a 422 for the whole request): every other "
                   "event delivered exactly once and in order, the refused ones quarantined (none lost, none "
                   "delivered) and visible in `kiosk status`, the stored heartbeat and the server's list; after "
                   "`kiosk sync quarantine retry --all` the server holds every event once and every ticket in its "
                   "newest state"),
    ("survey-sync", "survey responses (SKM) queued between tickets, pushed by the real agent through dropped, reset, "
                    "cut and malformed replies, 503s and half-applied batches: every response held and counted "
                    "exactly once, malformed ones refused for good and quarantined, and the IKM the server reports "
                    "equals the IKM of the kiosk's own answers"),
    ("printer", "every fake-printer fault (paper out/near end, cover open, offline, silent, stall, garbage, "
                "unplug, unplug or paper out mid-ticket) over a day: each ticket printed or print_failed, staff "
                "reprint puts every number on paper, no call past its timeouts"),
    ("clock", "one day behind, a year ahead, NTP jumps back and forth, reboots, the day boundary at "
              "day_starts_at, server time checks: no repeated number, no early reset, trust reported right"),
    ("fuzz-config", "hypothesis: mutated, random and deeply nested kiosk.toml: only ConfigError(file, key, "
                    "message), and every accepted config prints"),
    ("fuzz-catalogue", "hypothesis: mutated, random and deeply nested services.toml: only ConfigError, and every "
                       "accepted catalogue prints"),
    ("fuzz-server-replies", "hypothesis: any status, headers, bytes or JSON from the central server: no exception "
                            "escapes a sync, nothing marked delivered unless listed, the next ticket still prints"),
    ("fuzz-kiosk-log-replies", "hypothesis: any page from a kiosk's log API (cursors past 64 bits, lone surrogates, "
                               "deep JSON, garbage): the central log puller never raises, stores only valid records "
                               "in order, and marks the kiosk"),
    ("openapi-central", "schemathesis: docs/openapi.yaml against the running reference server"),
    ("openapi-kiosk-log", "schemathesis: docs/openapi-kiosk.yaml against the running kiosk log API"),
    ("print-any-script-58mm", "emoji, right-to-left, control characters, long words on 58 mm paper: plain ASCII"),
    ("print-any-script-80mm", "the same on 80 mm paper"),
    ("ui-any-script", "the touchscreen (Kivy under Xvfb) shows a catalogue in any script"),
    ("voice", "whole applicant sessions by voice taps (touch to hear, touch again to choose) on the touchscreen "
              "under Xvfb while espeak-ng works, is slow (1.5 s), hangs, has no sound card or is not installed, in "
              "turn: every session prints its ticket and ends with voice mode off, and no voice touch waits for "
              "speech; the working engine's tap-to-first-audio is measured"),
    ("hostile-input", "hypothesis: integers past 64 bits, JSON nested past 32 levels, lone surrogates in any "
                      "field, log API numbers in Unicode digits: a 4xx with a reason from both servers, never a 5xx, "
                      "nothing stored"),
    ("security", "TLS verified by default, tokens 0600 and never logged, scrypt PIN with lockout (parallel guesses "
                 "included), log API refuses bad tokens, systemd exposure of both units; tenancy: every route x role x "
                 "office answers as its matrix says and no kiosk touches another's tickets; 200 slow clients do not "
                 "starve either server; no body read before the token; a hostile kiosk cannot stop the log puller"),
]


def fmt_stall(row: dict) -> str:
    value = row.get("longest_stall_s")
    return "-" if value is None else f"{value:.3f} s"


def render(data: dict, scale: str) -> tuple[str, bool]:
    rows = data.get("rows", {})
    chosen: dict[str, dict] = {}
    for row in rows.values():
        name = row["campaign"]
        if scale != "any" and row["scale"] != scale:
            continue
        old = chosen.get(name)
        if old is None or (row["scale"] == "full") > (old["scale"] == "full") or row["at"] > old["at"]:
            chosen[name] = row
    known = [name for name, _ in CAMPAIGNS]
    order = known + sorted(set(chosen) - set(known))
    claims = dict(CAMPAIGNS)
    all_ok = True
    hosts = sorted({r["host"] for r in chosen.values()})
    times = sorted(r["at"] for r in chosen.values())
    out = [
        "# Reliability: campaigns and their figures",
        "",
        "<!-- Written by `make reliability` (tools/reliability_report.py) from var/reliability/results.json."
        " Do not edit by hand: run `make reliability`. -->",
        "",
        "Every failure a lobby meets must end the same way: the applicant still gets a number or a clear "
        "reason, nothing is lost, nothing is delivered twice, nobody gets in. The campaigns in "
        "`tests/campaigns/` try to break that; this page is what their last full run measured.",
        "",
        f"Run: {times[0] if times else '-'} to {times[-1] if times else '-'} on {'; '.join(hosts) or '-'}; "
        f"sizes: {scale} (`KIOSK_CAMPAIGN_SCALE` multiplies them).",
        "",
        "| campaign | runs | faults injected | tickets issued | lost | duplicated | longest stall | result |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in order:
        row = chosen.get(name)
        if row is None:
            out.append(f"| {name} | - | - | - | - | - | - | not run |")
            continue
        ok = row["passed"] and row["lost"] == 0 and row["duplicated"] == 0
        all_ok &= ok
        mult = f" x{row['multiplier']:g}" if row.get("multiplier", 1) != 1 else ""
        out.append(f"| {row['title']} ({row['scale']}{mult}) | {row['runs']:,} | {row['faults']:,} | "
                   f"{row['tickets']:,} | {row['lost']:,} | {row['duplicated']:,} | {fmt_stall(row)} | "
                   f"{'passed' if ok else '**FAILED**'} |")
    out += ["", "Columns: *runs* = kill rounds, fault episodes, fuzz examples or checks; *faults injected* = "
            "kills, faulted requests, injected faults, rejected inputs or attacks; *lost* = committed tickets "
            "or events missing at the end (or, for replies, events wrongly marked delivered); *duplicated* = "
            "tickets or events held twice, or numbers repeated within a service day; *longest stall* = see "
            "each campaign below.", ""]
    out += security_section(chosen)
    out += [
        "## Running them",
        "",
        "- `make test` runs every campaign at its default size (about a minute in all); `make reliability` runs "
        "the full sizes (`pytest -m slow`) and rewrites this page from `var/reliability/results.json`.",
        "- `KIOSK_CAMPAIGN_SCALE=0.5 make reliability` halves every size (2 doubles it); `KIOSK_CAMPAIGN_SEED=N` "
        "changes the random order of kills and faults. The fuzzers are seeded by hypothesis (derandomized in the "
        "default suite, random in the full run).",
        "- The OpenAPI campaigns use `schemathesis` (a test dependency, installed by make); the TLS check "
        "needs the `openssl` command, the unit exposure `systemd-analyze` (it runs with `--offline=yes` on the unit "
        "files, no running systemd needed), the touchscreen check `Xvfb`. A skipped check shows as *not run* above.",
        "- A campaign that finds a bug fails with the smallest example it found; the fix goes into the owning module "
        "with a regression test beside that module's tests.",
        "",
        "## Campaigns",
        "",
    ]
    for name in order:
        row = chosen.get(name)
        out.append(f"### {name}")
        out.append("")
        if name in claims:
            out.append(claims[name] + ".")
            out.append("")
        if row is None:
            out.append("Not run in this report (see the test for why: a missing tool is a skip with its reason).")
            out.append("")
            continue
        out.append(f"- longest stall: {fmt_stall(row)} ({row['stall_means']})")
        for key, value in row.get("details", {}).items():
            out.append(f"- {key}: `{json.dumps(value, sort_keys=True, ensure_ascii=False)}`")
        out.append("")
    return "\n".join(out).rstrip() + "\n", all_ok


def security_section(chosen: dict) -> list[str]:
    """The tenancy matrix, the slow-client figure and the hostile-input generators, from their rows."""
    security = (chosen.get("security") or {}).get("details", {})
    hostile = (chosen.get("hostile-input") or {}).get("details", {})
    if not security and not hostile:
        return []
    out = ["## Security", ""]
    tenancy = security.get("tenancy", {})
    matrix = tenancy.get("matrix") or {}
    if matrix:
        roles = list(next(iter(matrix.values())))
        out += [f"Tenancy matrix: the status each route answered each role, for a request about office HOME "
                f"(`*_home` tokens are bound to HOME, `*_away` to another office, `*_unbound` to none; "
                f"{tenancy.get('cells_checked', 0)} cells, {tenancy.get('cells_wrong', 0)} different from "
                "tests/support/tenancy.py). A new route without a row fails tests/central/test_tenancy.py.", "",
                "| route | " + " | ".join(roles) + " |", "|---|" + "---:|" * len(roles)]
        out += [f"| `{route}` | " + " | ".join(str(cells[r]) for r in roles) + " |" for route, cells in matrix.items()]
        out += ["", f"Attacks of issue 17 refused on top of the matrix: {tenancy.get('attacks_refused', 0)} "
                "(another kiosk's ticket, a ticket posing as another kiosk's, another office in the ticket or "
                "the body, a counter calling in another office); refusals counted per token: "
                f"`{json.dumps(tenancy.get('refusals_counted', {}), sort_keys=True)}`.", ""]
    slow = security.get("slow_clients", {})
    for server, label in (("central", "central server"), ("log_api", "kiosk log API")):
        figure = slow.get(server)
        if figure:
            out.append(f"- Slow clients, {label}: with {figure['slow_connections']} connections trickling header "
                       f"bytes, the slowest of {figure['legit_requests']} legitimate requests took "
                       f"{figure['slowest_legit_s']:.3f} s (bound 2 s); {figure['reconnects_refused_or_cut']:,} "
                       "attacker connections were refused or cut.")
    generators = hostile.get("generators", {})
    if generators:
        out.append("- Hostile-input generators (requests sent, each answered 4xx with a reason):")
        out += [f"  - {name}: {count:,}" for name, count in generators.items()]
    return out + [""]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", default=str(REPO / "var" / "reliability" / "results.json"))
    ap.add_argument("output", nargs="?", default=str(REPO / "docs" / "reliability.md"))
    ap.add_argument("--scale", choices=("full", "default", "any"), default="full")
    args = ap.parse_args(argv)
    path = Path(args.results)
    if not path.exists():
        print(f"no results at {path}: run the campaigns first (make reliability)", file=sys.stderr)
        return 2
    text, ok = render(json.loads(path.read_text()), args.scale)
    Path(args.output).write_text(text)
    missing = text.count("| not run |")
    print(f"wrote {args.output} ({'every campaign run passed' if ok else 'SOME CAMPAIGNS FAILED'}"
          f"{f'; {missing} not run' if missing else ''})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
