"""Jinja filters for the fleet playbook: the number blocks of every kiosk, checked together.

Two kiosks of one office must not share a ticket number, or two applicants in that office hold
the same number (docs/configuration.md, `number_block`). Kiosks in different offices may reuse
numbers: each office calls its own queue.
"""

from __future__ import annotations

import re

BLOCK = re.compile(r"\s*(\d{1,9})\s*-\s*(\d{1,9})\s*")


def _block(text):
    m = BLOCK.fullmatch(str(text))
    return (int(m.group(1)), int(m.group(2))) if m else None


def kiosk_block_problems(hostvars, hosts):
    """Every problem with the number blocks of `hosts`, each naming the host(s) and block(s)."""
    problems = []
    seen = []  # (office, host, text, (from, to))
    for host in sorted(hosts):
        values = hostvars[host]
        text = values.get("kiosk_number_block")
        office = values.get("kiosk_office")
        if text is None or office is None:
            missing = " and ".join(n for n, v in (("kiosk_office", office), ("kiosk_number_block", text)) if v is None)
            problems.append(f"{host}: {missing} not set in the inventory")
            continue
        block = _block(text)
        if block is None or block[0] > block[1]:
            problems.append(f"{host}: kiosk_number_block {text!r} must be FROM-TO with FROM <= TO, e.g. 1-499")
            continue
        for other_office, other, other_text, other_block in seen:
            if other_office == office and block[0] <= other_block[1] and other_block[0] <= block[1]:
                problems.append(f"{other} ({other_text}) and {host} ({text}) overlap in office {office}: "
                                "two applicants would hold the same number; give them separate blocks")
        seen.append((office, host, text, block))
    return problems


class FilterModule:
    def filters(self):
        return {"kiosk_block_problems": kiosk_block_problems}
