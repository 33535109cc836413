"""Printing query results as a table on a terminal or as JSON/JSONL/CSV for machines."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "jsonl", "csv")


def emit(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str, *, title: str = "") -> None:
    """Write ``rows`` to stdout in ``fmt``; tables show only ``columns``, machine formats everything."""
    if fmt == "json":
        print(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str))
    elif fmt == "jsonl":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=str))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _cell(row.get(key), short_times=False) for key in columns})
    else:
        print_table(rows, columns, title=title)


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], *, title: str = "") -> None:
    table = Table(title=title or None, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in columns))
    Console().print(table)


ISO_MOMENT = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?$")


def _cell(value: Any, *, short_times: bool = True) -> str:
    """Tables show times to the second in the archive's zone (+08:00); machine formats keep them whole."""
    if value is None:
        return ""
    if short_times and isinstance(value, str) and (moment := ISO_MOMENT.match(value)):
        return f"{moment[1]} {moment[2]}"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)
