"""One check's answer: OK, WARN or FAIL, what was seen, and the fix to apply."""

from __future__ import annotations

from dataclasses import asdict, dataclass

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass(frozen=True)
class Result:
    name: str
    status: str
    detail: str
    fix: str = ""

    def to_json(self) -> dict:
        return asdict(self)


def ok(name: str, detail: str) -> Result:
    return Result(name, OK, detail)


def warn(name: str, detail: str, fix: str = "") -> Result:
    return Result(name, WARN, detail, fix)


def fail(name: str, detail: str, fix: str) -> Result:
    return Result(name, FAIL, detail, fix)
