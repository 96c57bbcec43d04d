"""Reading and writing the summary's typed records as JSON objects, field by field."""

from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any


def take(cls, raw: Mapping[str, Any], **converted) -> Any:
    """An instance of the dataclass ``cls`` from the JSON object ``raw``: its
    known keys (a missing one keeps the default), ``converted`` on top."""
    names = {f.name for f in fields(cls)} - converted.keys()
    return cls(**{k: v for k, v in raw.items() if k in names}, **converted)


def pick(obj: Any, names: Iterable[str]) -> dict:
    return {name: getattr(obj, name) for name in names}
