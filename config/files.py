"""Finding, reading and checking the configuration file: one lookup for every command.

The file in use is the one named (``--config`` or the HLJNEWS_CONFIG setting), else $HLJNEWS_CONFIG,
else ``./hljnews.toml``, else the bundled ``config/default.toml``. A file of one's own overrides the
bundled defaults table by table: its ``[scheduler]`` settings one by one, its ``[[sites]]`` as a whole.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Collection
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.model import Config

__all__ = ["CONFIG_FILE", "DEFAULT_CONFIG", "ConfigError", "LoadedConfig", "config_path", "load_config"]

CONFIG_FILE = "hljnews.toml"
DEFAULT_CONFIG = Path(str(files("config") / "default.toml"))


class ConfigError(ValueError):
    """A configuration file that cannot be used; one line per problem, each naming the file and key path."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"config {path}: {problem}" for problem in problems))


class LoadedConfig(Config):
    """A checked configuration and the file it came from."""

    path: Path = DEFAULT_CONFIG


def config_path(chosen: str | os.PathLike[str] | None = None) -> Path:
    """The file in use: ``chosen``, else $HLJNEWS_CONFIG, else ./hljnews.toml if present, else the defaults."""
    chosen = chosen or os.environ.get("HLJNEWS_CONFIG")
    if chosen:
        return Path(chosen)
    here = Path(CONFIG_FILE)
    return here if here.is_file() else DEFAULT_CONFIG


def load_config(path: str | os.PathLike[str] | None = None, *, builtin_sites: Collection[str],
                check_query: Callable[[str], object] | None = None) -> LoadedConfig:
    """Read and check the whole file (see ``config_path``); ConfigError listing every problem found.

    ``builtin_sites`` are the keys of the sites hljnews has parsers for: [[sites]] may schedule them and
    [[outlets]] may not reuse them. ``check_query`` raises for a [[watches]] query the search refuses.
    """
    chosen = config_path(path)
    data = _read(chosen)
    if chosen != DEFAULT_CONFIG:
        data = _over_defaults(data)
    outlets = data.get("outlets")
    outlet_keys = [t.get("key") for t in outlets if isinstance(t, dict)] if isinstance(outlets, list) else []
    context = {"builtin_sites": tuple(builtin_sites), "outlet_keys": outlet_keys, "check_query": check_query}
    try:
        config = Config.model_validate(data, context=context)
    except ValidationError as error:
        raise ConfigError(chosen, [_problem(detail, data) for detail in error.errors()]) from None
    return LoadedConfig.model_construct(**dict(config), path=chosen)


def _read(path: Path) -> dict[str, Any]:
    try:
        # utf-8-sig: a byte order mark (Notepad on Chinese Windows saves one) is skipped, not read as a statement
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise ConfigError(path, [f"cannot read it: {error.strerror}"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(path, [f"is not valid TOML: {error}"]) from None


def _over_defaults(data: dict[str, Any]) -> dict[str, Any]:
    defaults = _read(DEFAULT_CONFIG)
    merged = {**data}
    scheduler = data.get("scheduler", {})
    if isinstance(scheduler, dict):
        merged["scheduler"] = {**defaults["scheduler"], **scheduler}
    if "sites" not in data:
        merged["sites"] = defaults["sites"]
    return merged


def _problem(detail: Any, data: dict[str, Any]) -> str:
    """One pydantic error as "key.path: what is wrong (got VALUE)"."""
    location = _key_path(detail["loc"], data)
    if detail["type"] == "missing":
        message = "missing"
    elif detail["type"] == "extra_forbidden":
        message = "unknown setting"
    elif detail["type"] in ("model_type", "dict_type"):
        message = f"expected a table, got {detail.get('input')!r}"
    else:
        message = str(detail["msg"]).removeprefix("Value error, ")
        if detail["type"] not in ("value_error", "assertion_error") and "input" in detail:
            message += f" (got {detail['input']!r})"
    return f"{location}: {message}" if location else message


def _key_path(loc: tuple[Any, ...], data: Any) -> str:
    """("outlets", 0, "start_urls") as "outlets.example_city.start_urls" (a watch by its name; "#1" without)."""
    parts: list[str] = []
    label = "name" if loc and loc[0] == "watches" else "key"  # what names an entry of the list
    for step in loc:
        if isinstance(step, int):
            entry = data[step] if isinstance(data, list) and step < len(data) else None
            key = entry.get(label) if isinstance(entry, dict) else None
            parts.append(key if isinstance(key, str) and key else f"#{step + 1}")
        elif not (isinstance(step, str) and step.startswith(("function-", "model-"))):
            parts.append(str(step))
        data = data[step] if isinstance(data, dict | list) and _has(data, step) else None
    return ".".join(parts)


def _has(container: dict[str, Any] | list[Any], step: Any) -> bool:
    if isinstance(container, list):
        return isinstance(step, int) and step < len(container)
    return step in container
