"""hljnews' configuration: the one TOML file every command reads, checked whole before anything starts."""

from config.files import CONFIG_FILE, DEFAULT_CONFIG, ConfigError, LoadedConfig, config_path, load_config
from config.model import KINDS, SELECTOR_FIELDS, Config, Job, Outlet, ScheduledJob, Scheduler, SiteSchedule

__all__ = [
    "CONFIG_FILE", "DEFAULT_CONFIG", "KINDS", "SELECTOR_FIELDS", "Config", "ConfigError", "Job", "LoadedConfig",
    "Outlet", "ScheduledJob", "Scheduler", "SiteSchedule", "config_path", "load_config",
]
