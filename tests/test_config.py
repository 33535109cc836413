"""The configuration file is checked whole at load: every problem named with its key path, nothing started."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import DEFAULT_CONFIG, ConfigError, config_path
from crawler.sites.registry import load_site_config

SITE = '[[sites]]\nkey = "hlj_people"\n'
BAD = {  # TOML -> the key path and words its problem must name
    "negative interval": (SITE + "hot = { interval_seconds = -5 }\n", "sites.hlj_people.hot.interval_seconds",
                          "greater than 0"),
    "cron not a string": (SITE + "full = { cron = 5 }\n", "sites.hlj_people.full.cron", "valid string"),
    "interval as text": (SITE + 'hot = { interval_seconds = "5" }\n', "sites.hlj_people.hot.interval_seconds",
                         "valid number"),
    "huge interval": (SITE + "hot = { interval_seconds = 1e300 }\n", "sites.hlj_people.hot.interval_seconds",
                      "less than or equal"),
    "bad cron": (SITE + 'full = { cron = "61 * * * *" }\n', "sites.hlj_people.full.cron", "61"),
    "cron that never fires": (SITE + 'full = { cron = "0 0 31 2 *" }\n', "sites.hlj_people.full.cron",
                              "'0 0 31 2 *' never fires"),
    "cron and interval": (SITE + 'full = { cron = "* * * * *", interval_minutes = 5 }\n', "sites.hlj_people.full",
                          "exactly one"),
    "no schedule": (SITE + "full = { days = 3 }\n", "sites.hlj_people.full", "exactly one"),
    "unknown time zone": ('[scheduler]\ntimezone = "Mars/Olympus"\n', "scheduler.timezone", "unknown time zone"),
    "job not a table": (SITE + 'full = "hourly"\n', "sites.hlj_people.full", "expected a table"),
    "scheduler not a table": ("scheduler = 5\n", "scheduler", "expected a table"),
    "negative grace": ("[scheduler]\nmisfire_grace_seconds = -1\n", "scheduler.misfire_grace_seconds",
                       "greater than or equal to 0"),
    "unknown site": ('[[sites]]\nkey = "hlj_peple"\nfull = { cron = "0 * * * *" }\n', "sites.hlj_peple.key",
                     "unknown site 'hlj_peple'"),
    "negative timeout": ("[scheduler]\ncrawl_timeout_seconds = -10\n", "scheduler.crawl_timeout_seconds",
                         "greater than 0"),
    "timeout as word": ('[scheduler]\ncrawl_timeout_seconds = "soon"\n', "scheduler.crawl_timeout_seconds",
                        "valid number"),
    "negative days": (SITE + 'recent = { cron = "0 * * * *", days = -3 }\n', "sites.hlj_people.recent.days",
                      "greater than or equal to 1"),
    "site twice": (SITE + 'full = { cron = "0 * * * *" }\n' + SITE + 'hot = { interval_minutes = 5 }\n', "sites",
                   "scheduled twice"),
    "unknown setting": ("[scheduler]\ntimezone = 'UTC'\nmisfire_grace = 5\n", "scheduler.misfire_grace",
                        "unknown setting"),
    "unknown kind": (SITE + 'weekly = { cron = "0 0 * * 1" }\n', "sites.hlj_people.weekly", "unknown setting"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_value_is_named_by_its_key_path(tmp_path: Path, case: str) -> None:
    toml, key_path, words = BAD[case]
    path = tmp_path / "hljnews.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_site_config(path)
    (problem,) = raised.value.problems
    assert problem.startswith(f"{key_path}: ") and words in problem, problem
    assert str(raised.value) == f"config {path}: {problem}"


def test_all_problems_of_a_file_come_at_once(tmp_path: Path) -> None:
    path = tmp_path / "hljnews.toml"
    path.write_text("".join(toml for toml, _, _ in (BAD["negative grace"], BAD["negative interval"])) +
                    'recent = { cron = "0 * * * *", days = -3 }\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_site_config(path)
    assert [problem.split(":")[0] for problem in raised.value.problems] == [
        "scheduler.misfire_grace_seconds", "sites.hlj_people.hot.interval_seconds", "sites.hlj_people.recent.days"]


def test_a_file_of_ones_own_keeps_the_defaults_it_does_not_set(tmp_path: Path) -> None:
    path = tmp_path / "hljnews.toml"
    path.write_text("[scheduler]\nshutdown_grace_seconds = 5\n", encoding="utf-8")
    config = load_site_config(path)
    assert config.scheduler.shutdown_grace_seconds == 5 and config.scheduler.misfire_grace_seconds == 600
    assert [site.key for site in config.sites or []] == ["hlj_people", "hlj_xinhua", "dbw"]
    path.write_text(SITE + 'full = { cron = "0 3 * * *" }\n', encoding="utf-8")
    assert [spec.id for spec in load_site_config(path).jobs] == ["hlj_people:full"]


def test_the_lookup_is_the_named_file_then_the_environment_then_here_then_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HLJNEWS_CONFIG", raising=False)
    assert config_path() == DEFAULT_CONFIG
    (tmp_path / "hljnews.toml").write_text("", encoding="utf-8")
    assert config_path() == Path("hljnews.toml")
    monkeypatch.setenv("HLJNEWS_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert config_path() == tmp_path / "elsewhere.toml"
    assert config_path(tmp_path / "named.toml") == tmp_path / "named.toml"
