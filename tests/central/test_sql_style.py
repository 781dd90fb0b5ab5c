"""Every central module writes the one SQL style both engines run (docs/architecture.md, "Central SQL
on two engines"): this reads their string literals with `ast` (nothing is imported or run) and
names the file and line of anything only SQLite understands, so a new module is checked on merge
without waiting for the PostgreSQL run to trip over it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CENTRAL = Path(__file__).resolve().parents[2] / "central"
# The one module that may speak an engine's own dialect.
EXEMPT = {"dialect.py"}

FORBIDDEN = [
    (re.compile(r"\bINSERT\s+OR\s+(IGNORE|REPLACE)\b|\bREPLACE\s+INTO\b", re.I), "use INSERT ... ON CONFLICT"),
    (re.compile(r"\bjson_(extract|each|tree|object|array|group_array)\s*\(|->>", re.I),
     "no JSON SQL functions: store the field as a column, decode JSON in Python"),
    (re.compile(r"\b(ifnull|group_concat|strftime|julianday|iif|printf)\s*\(", re.I), "SQLite-only function"),
    (re.compile(r"\b(date|datetime|time)\s*\(\s*'now'", re.I), "make timestamps in Python (ISO-8601 UTC text)"),
    (re.compile(r"^\s*(PRAGMA|BEGIN\b|COMMIT\b|ROLLBACK\b)", re.I),
     "transactions and engine settings belong to the layer: use db.write()"),
    (re.compile(r"\bWITHOUT\s+ROWID\b|\bAUTOINCREMENT\b|\bCREATE\s+TRIGGER\b", re.I), "SQLite-only DDL"),
]


def docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def problems(root: Path = CENTRAL) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name in EXEMPT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        skip = docstrings(tree)
        where = path.relative_to(root.parent)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                if any(n and n.split(".")[0] in ("sqlite3", "psycopg") for n in names):
                    found.append(f"{where}:{node.lineno}: imports a database driver (only central/dialect.py may)")
            elif isinstance(node, ast.Attribute) and node.attr == "lastrowid":
                found.append(f"{where}:{node.lineno}: lastrowid (use RETURNING id)")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                for pattern, why in FORBIDDEN:
                    if pattern.search(node.value):
                        found.append(f"{where}:{node.lineno}: {node.value.strip()[:60]!r}: {why}")
    return found


def test_central_sql_is_the_portable_style():
    assert problems() == []


def test_the_check_finds_what_it_looks_for(tmp_path):
    (tmp_path / "bad.py").write_text('import sqlite3\nX = "INSERT OR IGNORE INTO t VALUES (?)"\n'
                                     'Y = "SELECT json_extract(p, \'$.a\') FROM t"\nZ = cur.lastrowid\n')
    found = problems(tmp_path)
    assert len(found) == 4 and all(f.startswith(f"{tmp_path.name}/bad.py:") for f in found)
