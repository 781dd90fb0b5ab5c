"""docs/openapi.yaml and the server describe the same endpoints."""

import re
from pathlib import Path

from central.app import create_app

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def documented_operations() -> set[tuple[str, str]]:
    ops, path = set(), None
    for line in SPEC.read_text().splitlines():
        if m := re.fullmatch(r"  (/api/v1/\S+):", line):
            path = m.group(1)
        elif path and (m := re.fullmatch(r"    (get|post|put|delete|patch):", line)):
            ops.add((m.group(1).upper(), path))
        elif re.fullmatch(r"\S.*:", line):
            path = None
    return ops


def test_every_route_is_documented_and_every_documented_path_exists(db):
    routes = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in create_app(db).url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == documented_operations()
