"""Printer states, the real-time status query and how to read its answer.

The query is DLE EOT 1, DLE EOT 2, DLE EOT 4 in one write; the printer answers three bytes. Every
DLE EOT answer byte has fixed bits (ESC/POS: bit0 off, bit1 on, bit4 on, bit7 off): a byte that does
not have them is not a status (line noise, wrong baud rate, another device) and the state is
unknown, never "ready". The GS r 1 answer we use to confirm a finished job has bit4 and bit7 off.
"""
from __future__ import annotations

from dataclasses import dataclass

READY = "ready"
PAPER_NEAR_END = "paper_near_end"
PAPER_OUT = "paper_out"
COVER_OPEN = "cover_open"
OFFLINE = "offline"
UNKNOWN = "unknown"
STATES = (READY, PAPER_NEAR_END, PAPER_OUT, COVER_OPEN, OFFLINE, UNKNOWN)

# States in which printing is refused: the printer cannot put a ticket on paper.
REFUSE = (PAPER_OUT, COVER_OPEN, OFFLINE)

PRINTED = "printed"
FAILED = "failed"
OUTCOME_UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterStatus:
    state: str
    detail: str
    raw: bytes = b""

    @property
    def can_print(self) -> bool:
        return self.state not in REFUSE


@dataclass(frozen=True)
class PrintResult:
    outcome: str  # "printed" | "failed" | "unknown"
    state: str
    reason: str
    bytes_sent: int = 0
    # False when the printer cannot confirm completion by its nature (a model without status, a
    # write-only transport): then "unknown" with every byte sent is as good as it gets.
    confirmable: bool = True

    @property
    def delivered(self) -> bool:
        """On paper as far as anyone can know: confirmed by the printer, or every byte handed to a
        printer that cannot confirm. A printer that could have confirmed and did not: not delivered."""
        return self.outcome == PRINTED or (self.outcome == OUTCOME_UNKNOWN and not self.confirmable)


def valid_realtime_byte(b: int) -> bool:
    return b & 0b1001_0011 == 0b0001_0010


def parse_realtime(reply: bytes) -> PrinterStatus:
    """Interpret the 3 answer bytes to STATUS_QUERY (n=1, 2, 4, in that order)."""
    if len(reply) < 3:
        got = reply.hex(" ") or "nothing"
        return PrinterStatus(UNKNOWN, f"no valid status answer (got {got}, expected 3 bytes): "
                                      "printer off, wrong port, or status replies disabled", reply)
    bad = [b for b in reply[:3] if not valid_realtime_byte(b)]
    if bad:
        return PrinterStatus(UNKNOWN, f"invalid status bytes {reply[:3].hex(' ')}: not an ESC/POS "
                                      "status answer (wrong baud rate or not a printer?)", reply)
    printer, offline, paper = reply[0], reply[1], reply[2]
    # Most specific cause first: an open cover also reads as "no paper" and "offline".
    if offline & 0x04:
        return PrinterStatus(COVER_OPEN, "cover is open: close the printer cover", reply)
    if paper & 0x60 or offline & 0x20:
        return PrinterStatus(PAPER_OUT, "paper roll is empty: load a new roll", reply)
    if offline & 0x40:
        return PrinterStatus(OFFLINE, "printer reports an error (cutter jam or head overheat?): "
                                      "clear it, then switch the printer off and on", reply)
    if printer & 0x08:
        if offline & 0x08:
            return PrinterStatus(OFFLINE, "paper is being fed with the FEED button", reply)
        return PrinterStatus(OFFLINE, "printer is offline", reply)
    if paper & 0x0C:
        return PrinterStatus(PAPER_NEAR_END, "paper roll is nearly empty: replace it soon", reply)
    return PrinterStatus(READY, "ready", reply)


def parse_paper_reply(b: int) -> PrinterStatus | None:
    """The GS r 1 answer that follows a job. None if the byte is not such an answer."""
    if b & 0b1001_0000:
        return None
    if b & 0x0C:
        return PrinterStatus(PAPER_OUT, "paper roll is empty: load a new roll", bytes([b]))
    if b & 0x03:
        return PrinterStatus(PAPER_NEAR_END, "paper roll is nearly empty: replace it soon", bytes([b]))
    return PrinterStatus(READY, "ready", bytes([b]))


def encode_realtime(state: str) -> bytes:
    """The three bytes a healthy printer in `state` answers (used by the fake printer)."""
    printer, offline, paper = 0x12, 0x12, 0x12
    if state == PAPER_NEAR_END:
        paper |= 0x0C
    elif state == PAPER_OUT:
        printer |= 0x08
        offline |= 0x20
        paper |= 0x6C
    elif state == COVER_OPEN:
        printer |= 0x08
        offline |= 0x04
    elif state == OFFLINE:
        printer |= 0x08
        offline |= 0x40
    elif state != READY:
        raise ValueError(f"no status answer for state {state!r}")
    return bytes([printer, offline, paper])


def encode_paper_reply(state: str) -> bytes:
    return bytes([0x03 if state == PAPER_NEAR_END else 0x00])
