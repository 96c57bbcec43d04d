"""The config reference, read from the models: every key, its type, its default
and what it means: the comment lines right above the field in the model's
source (or the comment at the end of its line). The docs site prints it
(docs/hooks/reference.py); a test fails when a key has no comment."""

import ast
import inspect
import io
import re
import tokenize
import types
import typing
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from peakwatch.config.load import Config

# Set by the loader, not read from YAML.
NOT_IN_YAML = {"config_hash"}


@dataclass(frozen=True)
class ConfigKey:
    path: str  # e.g. tracking.max_fan_charts; list items as sources[].name
    type: str
    default: str  # "required" where the key has no default
    doc: str


def field_comments(model: type) -> dict[str, str]:
    """field name -> the comment above it (or at the end of its line) in the class
    body of ``model`` (a pydantic model or a dataclass) or of the base class that declares it."""
    comments = {}
    for cls in reversed(model.__mro__):
        if cls.__module__.startswith("peakwatch."):
            comments.update(_class_comments(cls))
    return comments


@cache
def _class_comments(model: type) -> dict[str, str]:
    source = inspect.getsource(model)
    lines = source.splitlines()
    inline = {
        tok.start[0]: tok.string.lstrip("# ").strip()
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT
    }
    comments = {}
    for node in ast.parse(source).body[0].body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above, line = [], node.lineno - 1  # 1-based line numbers: lines[line - 1] is the one above
        while line >= 1 and lines[line - 1].strip().startswith("#"):
            above.insert(0, lines[line - 1].strip().lstrip("# ").strip())
            line -= 1
        text = " ".join(above) or inline.get(node.end_lineno, "")
        comments[node.target.id] = text
    return comments


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _is_list(annotation) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in typing.get_args(annotation))
    return origin in (tuple, list)


def type_name(annotation) -> str:
    text = getattr(annotation, "__name__", None) if not typing.get_args(annotation) else None
    text = text or str(annotation).replace("typing.", "").replace("NoneType", "None")
    return re.sub(r"\b(?:[a-z_]+\.)+([A-Z]\w*)", r"\1", text)  # peakwatch.config.regions.Region -> Region


def _default(field) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.default_factory() if field.default_factory else field.default
    if isinstance(value, BaseModel):
        return "(see below)"
    return "null" if value is None else repr(value)


def config_keys(model: type[BaseModel] = Config, prefix: str = "") -> list[ConfigKey]:
    """Every key of ``model`` and of the models under it, depth first; a key that
    several kinds of an item share (sources[].name) once."""
    keys: dict[str, ConfigKey] = {}
    for key in _keys(model, prefix):
        if key.path not in keys or not keys[key.path].doc:
            keys[key.path] = key
    return list(keys.values())


def _keys(model: type[BaseModel], prefix: str) -> list[ConfigKey]:
    keys = []
    comments = field_comments(model)
    for name, field in model.model_fields.items():
        if name in NOT_IN_YAML:
            continue
        path = f"{prefix}{name}"
        keys.append(ConfigKey(path, type_name(field.annotation), _default(field), comments.get(name, "")))
        inner = "[]." if _is_list(field.annotation) else "."
        for sub in dict.fromkeys(_models_in(field.annotation)):
            keys.extend(_keys(sub, f"{path}{inner}"))
    return keys


def undocumented_keys() -> list[str]:
    return [key.path for key in config_keys() if not key.doc]
