"""What every config model shares: frozen, and no unknown keys."""

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict


class ConfigError(ValueError):
    """A configuration file is missing, unreadable or invalid."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def resolve_path(base: Path, value: str | Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else (base / path).resolve()
