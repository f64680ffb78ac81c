"""Reading one configuration file the way every local-mode reader does: bounded (userio),
JSON first and JSON5 after (OpenClaw's own format; comments and trailing commas are common),
and a key's line found in the text, so findings carry path and line like skills findings.
A missing file is nothing; anything else that stops the read is the ErrorRecord returned."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..model import ErrorRecord
from ..skills import json5
from ..userio import json_problem, read_bounded

MAX_CONFIG_BYTES = 4 * 1024 * 1024  # real configs are kilobytes; ~/.claude.json grows with history


@dataclass(frozen=True)
class ConfigText:
    path: Path
    text: str
    data: Any
    mode: int  # st_mode of the file itself (permission checks)


def present(path: Path) -> bool:
    """Something is there (a dangling link or a link loop counts: reading it says what is wrong)."""
    try:
        os.lstat(path)
        return True
    except OSError:
        return False


def read_config(path: Path, limit: int = MAX_CONFIG_BYTES, *, fmt: str = "json") -> ConfigText | ErrorRecord | None:
    """The parsed file (`fmt`: json, which takes JSON5 too, toml or yaml), None when absent, or an
    ErrorRecord saying why it cannot be used."""
    if not present(path):
        return None
    where = str(path)
    try:
        raw = read_bounded(path, limit)
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return ErrorRecord(where=where, message=f"cannot read: {exc.strerror or exc}")
    if len(raw) > limit:
        return ErrorRecord(where=where, message=f"larger than the {limit} byte limit: not read")
    text = raw.decode("utf-8", "replace")
    if fmt == "yaml":
        from ..userio import YamlError, load_yaml

        try:
            return ConfigText(path, text, load_yaml(text), mode)
        except YamlError as exc:
            return ErrorRecord(where=where, message=f"not valid YAML: {exc}")
    if fmt == "toml":
        import tomllib

        try:
            return ConfigText(path, text, tomllib.loads(text), mode)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            return ErrorRecord(where=where, message=f"not valid TOML: {exc}")
    try:
        return ConfigText(path, text, json.loads(text), mode)
    except RecursionError:
        return ErrorRecord(where=where, message="not readable: nested too deeply")
    except ValueError as first:
        try:
            return ConfigText(path, text, json5.loads(text), mode)
        except (ValueError, RecursionError) as exc:
            problem = json_problem(first) if isinstance(first, json.JSONDecodeError) else str(first)
            return ErrorRecord(where=where, message=f"not valid JSON or JSON5: {exc} (JSON: {problem})")


def get(data: Any, dotted: str, default: Any = None) -> Any:
    """data["a"]["b"] for "a.b", or `default` where any step is missing or not an object."""
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return default
        data = data[part]
    return data


def line_of(text: str, keys: Sequence[str] | str) -> int | None:
    """The 1-based line of the last key of a path, found in order in the text (JSON or JSON5:
    quoted or bare keys); the deepest key found when a later one is not written out."""
    if isinstance(keys, str):
        keys = keys.split(".")
    pos, line = 0, None
    for key in keys:
        at = _quoted_key(text, key, pos)  # JSON's own spelling, found at C speed (a 50 MB ~/.claude.json)
        if at is not None:
            pos, line = at[1], text.count("\n", 0, at[0]) + 1
            continue
        k = re.escape(key)
        m = re.compile(rf"(?:\"{k}\"|'{k}'|(?<![\w$\"']){k})\s*[:=]").search(text, pos)
        if m is None:
            return line
        pos, line = m.end(), text.count("\n", 0, m.start()) + 1
    return line


def _quoted_key(text: str, key: str, pos: int) -> tuple[int, int] | None:
    """(start, end) of the first `"key":` from pos, or None (JSON5 spellings are the regex's)."""
    needle = json.dumps(key)
    i = text.find(needle, pos)
    while i >= 0:
        j = i + len(needle)
        while j < len(text) and text[j] in " \t\r\n":
            j += 1
        if j < len(text) and text[j] == ":":
            return i, j + 1
        i = text.find(needle, i + 1)
    return None
