"""Pretty JSON that stays fast and small in memory for 100,000-record reports.

The document's skeleton is indented for people; each record of a big list is written compact
on its own line by the C encoder (`json.dumps(indent=...)` falls back to the slow pure-Python
encoder), and records are produced one at a time instead of as one huge tree.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Iterator


class Stream:
    """A list whose items are made on demand (e.g. `finding.to_dict()` per finding)."""

    def __init__(self, items: Iterable[Any], convert: Callable[[Any], Any] = lambda x: x) -> None:
        self.items = items
        self.convert = convert


_compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def _has_stream(value: Any) -> bool:
    if isinstance(value, Stream):
        return True
    if isinstance(value, dict):
        return any(_has_stream(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_stream(v) for v in value)
    return False


def iter_json(value: Any, level: int = 0, indent: int = 2) -> Iterator[str]:
    pad = " " * (indent * (level + 1))
    end = " " * (indent * level)
    if isinstance(value, Stream):
        first = True
        for item in value.items:
            yield ("[\n" if first else ",\n") + pad + _compact(value.convert(item))
            first = False
        yield "[]" if first else "\n" + end + "]"
    elif not _has_stream(value):
        text = json.dumps(value, indent=indent, ensure_ascii=False)
        yield text.replace("\n", "\n" + end) if level else text
    elif isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("\n" if i == 0 else ",\n") + pad + _compact(key) + ": "
            yield from iter_json(item, level + 1, indent)
        yield "\n" + end + "}"
    else:  # a list holding a stream somewhere
        yield "["
        for i, item in enumerate(value):
            yield ("\n" if i == 0 else ",\n") + pad
            yield from iter_json(item, level + 1, indent)
        yield "\n" + end + "]"
