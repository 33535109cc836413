"""Arguments whose bytes are not UTF-8 (they reach argv as lone surrogates) are one line naming them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from jobs.cli import main
from storage import open_archive


@pytest.mark.parametrize("args", [["search", "养老\udcff"], ["show", "\udcff"], ["runs", "--site", "\udcff"],
                                  ["search", "养老", "--source", "\udce4\udcb8"]], ids=lambda a: a[0])
def test_an_argument_that_is_not_utf8_is_one_line(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "a.sqlite3"
    open_archive(db, create=True).close()
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    bad = next(arg for arg in args if any("\udc80" <= ch <= "\udcff" for ch in arg))
    shown = bad.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    assert (result.exit_code, result.stderr) == (2, f"error: the argument '{shown}' is not valid UTF-8 text\n")
    assert result.stdout == ""
