"""[[watches]] and [alerts] are checked at load like the rest: every problem with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, mask_secrets, mask_target
from crawler.sites.registry import load_site_config

WATCH = '[[watches]]\nname = "yl"\nquery = "养老"\n'
BAD = {  # TOML -> the key path and words its problem must name
    "malformed query": ('[[watches]]\nname = "yl"\nquery = "-广告"\n', "watches.yl.query", "at least one term"),
    "NUL in query": ('[[watches]]\nname = "yl"\nquery = "养老\\u0000"\n', "watches.yl.query", "control character"),
    "unknown site": (WATCH + 'sites = ["hlj_peple"]\n', "watches.yl.sites", "unknown site 'hlj_peple'"),
    "unknown trigger": (WATCH + 'on = ["new", "viral"]\n', "watches.yl.on.#2", "'new', 'revised' or 'hot'"),
    "unknown scheme": (WATCH + 'notify = ["foo://bar"]\n', "watches.yl.notify", "unknown or malformed"),
    "webhook host with a space": (WATCH + 'notify = ["https://exa mple.com/h"]\n', "watches.yl.notify",
                                  "no usable host or port"),
    "webhook port out of range": (WATCH + 'notify = ["https://example.com:99999/h"]\n', "watches.yl.notify",
                                  "no usable host or port"),
    "bad digest": (WATCH + 'digest = "daily@25:00"\n', "watches.yl.digest", "not a digest schedule"),
    "hot_rank without hot": (WATCH + "hot_rank = 3\n", "watches.yl", "add hot to on"),
    "bad name": ('[[watches]]\nname = "a b"\nquery = "养老"\n', "watches.a b.name", "not a watch name"),
    "name twice": (WATCH + WATCH, "watches", "defined twice"),
    "health target": ('[alerts]\nhealth_notify = ["smtp://x"]\n', "alerts.health_notify", "unknown or malformed"),
    "thresholds crossed": ("[alerts]\ncoverage_warn = 0.6\ncoverage_fail = 0.5\n", "alerts", "must not exceed"),
    "bad digest time": ('[alerts]\ndigest_time = "8am"\n', "alerts.digest_time", "HH:MM"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_monitoring_value_is_named_by_its_key_path(tmp_path: Path, case: str) -> None:
    toml, key_path, words = BAD[case]
    path = tmp_path / "hljnews.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_site_config(path)
    (problem,) = raised.value.problems
    assert problem.startswith(f"{key_path}: ") and words in problem, problem


def test_good_watches_load_with_their_defaults(tmp_path: Path) -> None:
    path = tmp_path / "hljnews.toml"
    path.write_text(WATCH + 'notify = ["https://hooks.example.cn/a", "dingtalk://abcdef0123456789/"]\n'
                    '[alerts]\nhealth_notify = ["mailto://bob:pw@smtp.example.cn?to=ops@example.cn"]\n',
                    encoding="utf-8")
    config = load_site_config(path)
    [watch] = config.watches
    assert (watch.on, watch.sites, watch.digest, len(watch.notify)) == (["new"], [], None, 2)
    assert config.alerts.failed_runs == 3 and len(config.alerts.health_notify) == 1


def test_a_secret_in_a_bad_target_is_not_printed(tmp_path: Path) -> None:
    path = tmp_path / "hljnews.toml"
    path.write_text(WATCH + 'notify = ["nosuch://user:hunter2@host/tok3n5ecret99"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_site_config(path)
    assert "hunter2" not in str(raised.value) and "tok3n5ecret99" not in str(raised.value)


@pytest.mark.parametrize("url, hidden, shown", [
    ("dingtalk://0123456789abcdef/", "0123456789abcdef", "dingtalk://"),
    ("https://oapi.dingtalk.com/robot/send?access_token=abc123", "abc123", "oapi.dingtalk.com"),
    ("mailto://bob:hunter2@smtp.qq.com?to=ops@example.cn", "hunter2", "bob@"),
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/12345", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "/12345"),
    ("https://hooks.example.cn/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX", "XXXXXXXXXXXXXXXXXXXXXXXX",
     "hooks.example.cn/services"),
    ("wecombot://s3cret@0123456789abcdef", "s3cret", "wecombot://"),
])
def test_targets_are_masked(url: str, hidden: str, shown: str) -> None:
    masked = mask_target(url)
    assert hidden not in masked and shown in masked.replace(":****", "")


def test_a_short_secret_parameter_is_masked_in_a_delivery_error() -> None:
    target = "https://u:secret@example.com/h?token=abc&to=ops"
    error = "HTTPSConnectionPool(host='example.com', port=443): Max retries exceeded with url: /h?token=abc&to=ops"
    masked = mask_secrets(error, [target])
    assert "token=abc" not in masked and "token=****" in masked and "to=ops" in masked
