"""Typed frozen dataclasses from JSON data, one way for all of gatescan: pydantic validates (strict
JSON types, no unknown fields, finite numbers) and its errors become "where: reason" naming the field.

Scan requests (app.py) and fingerprint check parameters (catalog.py, identify/fingerprints.py) use
it. The dataclasses stay plain: they carry only `__pydantic_config__ = STRICT`, and pydantic is
imported on the first decode, so `gatescan --version` never loads it.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Iterator, TypeVar, Union

__all__ = ["STRICT", "TypedError", "from_json", "from_data", "check", "building"]

T = TypeVar("T")

# JSON's types exactly: a boolean is never an int nor an int a boolean, a JSON list becomes a
# tuple, an int a float where a float is declared; unknown fields and NaN/Infinity are refused;
# an instance built in Python is checked again (`check`). Nested dataclasses inherit it.
STRICT = {"strict": True, "extra": "forbid", "allow_inf_nan": False, "revalidate_instances": "always"}


class TypedError(ValueError):
    """A value that does not fit its dataclass: `where` is the field path, `reason` says why."""

    def __init__(self, where: str, reason: str):
        self.where, self.reason = where, reason
        super().__init__(f"{where}: {reason}")


def from_json(cls: type[T], text: str | bytes, where: str) -> T:
    """An instance of `cls` from a JSON document; TypedError naming the first bad field."""
    import pydantic

    with _building_scope():
        try:
            return _adapter(cls).validate_json(text)
        except pydantic.ValidationError as exc:
            raise _first_error(cls, exc, where) from None


def from_data(cls: type[T], data: Any, where: str) -> T:
    """`from_json` of already-parsed data (YAML, say), which must be JSON data."""
    try:
        text = json.dumps(data)
    except (TypeError, ValueError, RecursionError) as exc:  # a YAML date, a cycle, ...
        raise TypedError(where, f"not JSON data: {exc}") from None
    return from_json(cls, text, where)


def check(value: T, where: str) -> T:
    """`value` (built in Python) validated as `from_json` would: a checked, normalised copy."""
    import pydantic

    with _building_scope():
        try:
            return _adapter(type(value)).validate_python(value)
        except pydantic.ValidationError as exc:
            raise _first_error(type(value), exc, where, python=True) from None


_building: ContextVar[bool] = ContextVar("gatescan_typed_building", default=False)


def building() -> bool:
    """True while this module builds instances: a `__post_init__` that calls `check` skips it then."""
    return _building.get()


@contextmanager
def _building_scope() -> Iterator[None]:
    token = _building.set(True)
    try:
        yield
    finally:
        _building.reset(token)


@lru_cache(maxsize=None)
def _adapter(cls: type) -> Any:
    import pydantic

    return pydantic.TypeAdapter(cls)


# ---------------------------------------------------------------- pydantic's errors in our words

_EXPECTED = {
    "bool_type": "true or false", "int_type": "an integer", "float_type": "a finite number",
    "finite_number": "a finite number", "string_type": "a string", "tuple_type": "a list",
    "list_type": "a list", "dict_type": "a JSON object", "mapping_type": "a JSON object",
    "dataclass_type": "a JSON object", "dataclass_exact_type": "a JSON object",
}


def _first_error(cls: type, exc: Any, where: str, *, python: bool = False) -> TypedError:
    """The first of pydantic's errors as "where: reason", where is `where` plus the field path."""
    error = exc.errors(include_url=False)[0]
    loc, kind = tuple(error["loc"]), error["type"]
    at = where + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    if kind == "json_invalid":
        return TypedError(where, f"not a JSON document: {error.get('ctx', {}).get('error', error['msg'])}")
    if kind == "missing":
        return TypedError(at, f"{loc[-1]!r} is required")
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        declared = ", ".join(_declared(cls, loc[:-1]))
        return TypedError(at, f"unknown field {loc[-1]!r}" + (f" (declared: {declared})" if declared else ""))
    if kind == "literal_error":
        return TypedError(at, f"{_short(error['input'])} is not one of {error['ctx']['expected']}")
    expected = _EXPECTED.get(kind)
    if python and kind == "tuple_type":  # built in Python: a list is not a tuple there
        expected = "a tuple"
    elif python and kind.startswith("dataclass"):
        expected = f"a {error['ctx']['class_name']}"
    if expected:
        return TypedError(at, f"expected {expected}, not {_json_kind(error['input'])}")
    return TypedError(at, f"{error['msg']} (not {_json_kind(error['input'])})")


def _declared(cls: type, loc: tuple) -> list[str]:
    """The field names of the dataclass at `loc` inside `cls` ([] when it is not one)."""
    tp: Any = cls
    for part in (*loc, None):
        if typing.get_origin(tp) in (Union, types.UnionType):  # X | None
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        if not dataclasses.is_dataclass(tp):
            return []
        if part is None:
            return [f.name for f in dataclasses.fields(tp)]
        tp = typing.get_type_hints(tp).get(part)
    return []


def _json_kind(value: Any) -> str:
    """How a wrong value reads in an error: its JSON kind and a short repr."""
    if value is None:
        return "null"
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "a list", tuple: "a list", dict: "an object"}
    return f"{kinds.get(type(value), type(value).__name__)} {_short(value)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text[:40] + "..." if len(text) > 40 else text
