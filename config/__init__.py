"""hljnews' configuration: the one TOML file every command reads, checked whole before anything starts."""

from config.files import CONFIG_FILE, DEFAULT_CONFIG, ConfigError, LoadedConfig, config_path, load_config
from config.model import (
    KINDS,
    SELECTOR_FIELDS,
    Config,
    Job,
    Outlet,
    ScheduledJob,
    Scheduler,
    SiteSchedule,
    check_queue_url,
)
from config.monitoring import TRIGGERS, Alerts, Watch, check_digest, check_watch_name
from config.targets import check_target, mask_secrets, mask_target, target_kind

__all__ = [
    "CONFIG_FILE", "DEFAULT_CONFIG", "KINDS", "SELECTOR_FIELDS", "TRIGGERS", "Alerts", "Config", "ConfigError", "Job",
    "LoadedConfig", "Outlet", "ScheduledJob", "Scheduler", "SiteSchedule", "Watch", "check_digest", "check_queue_url",
    "check_target", "check_watch_name", "config_path", "load_config", "mask_secrets", "mask_target", "target_kind",
]
