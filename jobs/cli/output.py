"""Printing query results as a table on a terminal or as JSON/JSONL/CSV for machines.

Two rules for times, one helper each: machine formats get ISO 8601 with +08:00 (machine_time), tables
get `YYYY-MM-DD HH:MM` on Shanghai's clock (table_time).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from crawler.text.dates import SHANGHAI

FORMATS = ("table", "json", "jsonl", "csv")


def machine_time(value: datetime) -> str:
    """A time for programs: ISO 8601 on Shanghai's clock, with its +08:00 offset."""
    return value.astimezone(SHANGHAI).isoformat()


def table_time(value: datetime) -> str:
    """A time for people: Shanghai's date and clock to the minute."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def to_json(value: Any, *, indent: int | None = None) -> str:
    """JSON with readable Chinese and machine_time for every datetime."""
    return json.dumps(value, ensure_ascii=False, indent=indent, default=_json_value)


def emit(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str, *, title: str = "") -> None:
    """Write ``rows`` to stdout in ``fmt``; tables show only ``columns``, machine formats everything."""
    if fmt == "json":
        print(to_json(list(rows), indent=2))
    elif fmt == "jsonl":
        for row in rows:
            print(to_json(row))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: cell(row.get(key), machine=True) for key in columns})
    else:
        print_table(rows, columns, title=title)


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], *, title: str = "") -> None:
    # Cells and title as plain Text: rich would read "[…]" in an archived title or an error as markup, dropping
    # "[video]" and failing on "[/]" (a hostile page's text must print as it is).
    table = Table(title=Text(title) if title else None, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell(row.get(column), machine=False)) for column in columns))
    Console().print(table)


def cell(value: Any, *, machine: bool) -> str:
    """One value as text: times by machine_time (CSV) or table_time (tables); lists and mappings as JSON for
    machines (as `export` writes them: a list joined with 、 could not be split again), lists joined with 、
    for people."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return machine_time(value) if machine else table_time(value)
    if isinstance(value, dict) or (machine and isinstance(value, list | tuple)):
        return to_json(value)
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return machine_time(value)
    return str(value)
