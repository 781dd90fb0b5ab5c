"""Configuration: kiosk.toml and the service catalogue, typed, bounded and validated."""

from .catalogue import Catalogue, Document, Fee, Hours, PriorityGroup, Service, parse_catalogue
from .errors import ConfigError, Problem
from .loader import KioskConfig, check_secret_file, find_config_path, load_config

__all__ = [
    "Catalogue",
    "ConfigError",
    "Document",
    "Fee",
    "Hours",
    "KioskConfig",
    "PriorityGroup",
    "Problem",
    "Service",
    "check_secret_file",
    "find_config_path",
    "load_config",
    "parse_catalogue",
]
