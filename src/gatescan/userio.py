"""Bounded, safe reads of the files a user names (a saved report, a baseline) and of the files
inside the skills they point at: every read of such a file goes through here.

Pipes and devices are accepted where the user names them (`report render /dev/stdin`), so the
read itself is capped, not only the size `stat()` reports (0 for a pipe). Files a skill author
controls are read with `read_bounded`: regular files only, since opening a FIFO named SKILL.md
or origin.json would block the audit forever and a device could stream without end. YAML
from any of them is parsed by `load_yaml`, the one reader with bounds on aliases and depth.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from contextlib import contextmanager
from typing import Any, BinaryIO, Iterator

import yaml


_CHUNK = 1024 * 1024

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_control(text: str, keep: str = "") -> str:
    """How a path, name or string a target sent is shown (console, HTML, error messages): every
    control character as a visible escape (`\\n`, `\\t`, `\\x1b`), so a newline in a file name
    reads as one and an escape sequence cannot drive a terminal. `keep`: characters left as
    they are (the newlines of a multi-line evidence block)."""
    return _CONTROL.sub(lambda m: m.group() if m.group() in keep
                        else _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


class UserFileError(ValueError):
    """Why the file cannot be read, without the path (callers name it in their own error)."""


class BoundedReader:
    """A binary file the user named whose reads fail once more than `limit` bytes came through:
    a pipe or device has no size to check first. Streaming parsers (expat) read it in chunks."""

    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self._fh, self._left, self.limit = fh, limit + 1, limit

    def read(self, size: int = -1) -> bytes:
        """`size` bytes, or with no size everything up to the end (in chunks: nothing is sized
        by the limit up front)."""
        if size is not None and size >= 0:
            return self._chunk(size)
        chunks = []
        while chunk := self._chunk(_CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)

    def _chunk(self, size: int) -> bytes:
        try:
            data = self._fh.read(min(size, self._left))
        except OSError as exc:
            raise UserFileError(exc.strerror or str(exc)) from None
        self._left -= len(data)
        if self._left <= 0:
            raise UserFileError(f"more than the {self.limit} byte limit")
        return data


@contextmanager
def open_user_file(path: str | os.PathLike, limit: int) -> Iterator[BoundedReader]:
    """The file opened for bounded binary reads; a size `stat()` already knows is checked first."""
    try:
        size = os.stat(path).st_size
        if size > limit:
            raise UserFileError(f"file is {size} bytes, larger than the {limit} byte limit")
        fh = open(path, "rb")
    except FileNotFoundError:
        raise UserFileError("no such file") from None
    except IsADirectoryError:
        raise UserFileError("is a directory, not a file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise UserFileError(getattr(exc, "strerror", None) or str(exc)) from None
    with fh:
        yield BoundedReader(fh, limit)


def read_user_bytes(path: str | os.PathLike, limit: int) -> bytes:
    """The whole file, at most `limit` bytes."""
    with open_user_file(path, limit) as fh:
        return fh.read()


def read_user_text(path: str | os.PathLike, limit: int) -> str:
    """The whole file as UTF-8 text, at most `limit` bytes."""
    return _utf8(read_user_bytes(path, limit))


def read_user_stream(stream: BinaryIO, limit: int) -> str:
    """A stream the user pointed at (stdin for "-") as UTF-8 text, at most `limit` bytes."""
    return _utf8(BoundedReader(stream, limit).read())


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserFileError(f"not UTF-8 text (byte {exc.start})") from None


def read_bounded(path: str | os.PathLike, limit: int) -> bytes:
    """Up to `limit` + 1 bytes of a regular file (callers compare the length to the limit).

    Raises FileNotFoundError, or OSError (EINVAL) for anything that is not a regular file.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)



def json_problem(exc: json.JSONDecodeError, *, at: bool = True) -> str:
    """What the decoder found, as a sentence: "Unterminated string at line 72, column 5" (its
    own text says "Unterminated string starting at: line 72 ..."). `at=False` leaves the
    position off, for callers that report the line themselves."""
    problem = exc.msg
    for tail in (" starting at", " at"):
        if problem.endswith(tail):
            problem = problem[: -len(tail)]
    return f"{problem} at line {exc.lineno}, column {exc.colno}" if at else problem

# --- YAML a user or a skill author wrote: every YAML read goes through load_yaml ---
#
# PyYAML's safe_load expands aliases by reference, so a few hundred bytes of anchors make a
# document whose walk (schema check, hashing, rendering) never ends, and its composer recurses
# once per nesting level (a 100,000-deep list is a RecursionError, in libyaml a crash). So:
# aliases, nodes and depth are counted while composing, and the value is walked once after,
# against the same budget, before any caller sees it.


MAX_YAML_ALIASES = 64  # real files use none; a bomb uses many
MAX_YAML_NODES = 20_000  # values, after alias expansion (callers with bigger files pass more)
MAX_YAML_DEPTH = 64
MAX_INT_BITS = 14_000  # ~4,200 decimal digits: str() of anything longer raises (int_max_str_digits)


class YamlError(ValueError):
    """YAML that cannot be read (`syntax`) or passes a bound; `line` is 1-based, None when unknown."""

    def __init__(self, message: str, line: int | None = None, *, syntax: bool = False) -> None:
        super().__init__(message)
        self.message, self.line, self.syntax = message, line, syntax

    @property
    def kind(self) -> str:
        return "not valid YAML" if self.syntax else "not usable YAML"

    def __str__(self) -> str:
        at = f" at line {self.line}" if self.line is not None else ""
        return f"{self.kind}{at}: {self.message}"


class YamlTooManyEntries(YamlError):
    """A list at the top, or directly under the top mapping, holds more entries than the caller
    allows: refused while reading, so an oversized file costs the allowed entries, not all."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} entries")
        self.limit = limit


class _YamlBoundsError(yaml.YAMLError):
    def __init__(self, message: str, mark=None) -> None:
        super().__init__(message)
        self.problem, self.problem_mark = message, mark


class BoundedYamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core scalars and bounds on aliases, nodes and depth."""

    max_aliases = MAX_YAML_ALIASES
    max_nodes = MAX_YAML_NODES
    max_depth = MAX_YAML_DEPTH
    max_entries: int | None = None  # elements of a list at the top or directly under the top mapping

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.aliases = 0
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > self.max_aliases:
                raise _YamlBoundsError(f"more than {self.max_aliases} YAML aliases", self.peek_event().start_mark)
        self._nodes += 1
        if self._nodes > self.max_nodes:
            raise _YamlBoundsError(f"more than {self.max_nodes} YAML values", self.peek_event().start_mark)
        if (self.max_entries is not None and self._depth <= 2 and isinstance(parent, yaml.SequenceNode)
                and index >= self.max_entries):
            raise YamlTooManyEntries(self.max_entries)
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise _YamlBoundsError(f"nesting too deep (deeper than {self.max_depth} levels)", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.2 core: only true/false are booleans (PyYAML's 1.1 also takes yes/no/on/off, so a
# skill named `no` became False), and no timestamps (OpenClaw's `yaml` package leaves dates
# as strings; a suppression's `expires` is parsed from its text).
BoundedYamlLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    BoundedYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list(_first)
    )

_CLoader = getattr(yaml, "CSafeLoader", None)
if _CLoader is not None:

    class FastYamlLoader(_CLoader):  # type: ignore[misc, valid-type]
        """libyaml's parser with the same YAML 1.2 scalars; only used on provably tame input."""

    FastYamlLoader.yaml_implicit_resolvers = BoundedYamlLoader.yaml_implicit_resolvers

# Nesting on one line without brackets: "- - - x", "? ? x", "a: - b"; libyaml's composer
# recurses on the C stack (a 100,000-deep document crashes the interpreter), so only input
# whose depth is provably small takes the fast path.
_CHAINED_INDICATORS = re.compile(r"(?:[-?:][ \t]+){24,}")
_DEEP_INDENT = re.compile(r"\n[ \t]{200,}")


def yaml_is_tame(text: str) -> bool:
    """No anchors (so no aliases) and provably shallow: safe for libyaml's recursive composer."""
    return (
        "&" not in text
        and text.count("[") + text.count("{") <= 200
        and not _DEEP_INDENT.search(text)
        and not _CHAINED_INDICATORS.search(text)
    )


def load_yaml(text: str, *, max_nodes: int = MAX_YAML_NODES, max_entries: int | None = None) -> Any:
    """The document's value, or YamlError: libyaml for tame text, else the bounded loader; then
    one walk charging each value (aliases expanded) against `max_nodes` and the depth limit.
    `max_entries` refuses, while reading, a list at the top or under the top mapping that holds
    more (YamlTooManyEntries)."""
    try:
        if _CLoader is not None and yaml_is_tame(text):
            if max_entries is not None:
                _count_entries(text, max_entries)
            value = yaml.load(text, Loader=FastYamlLoader)  # noqa: S506 - a CSafeLoader subclass
        else:
            loader = BoundedYamlLoader(text)
            loader.max_nodes, loader.max_entries = max_nodes, max_entries
            try:
                value = loader.get_single_data()
            finally:
                loader.dispose()
    except YamlError:
        raise
    except _YamlBoundsError as exc:
        raise YamlError(exc.problem, exc.problem_mark.line + 1) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        raise YamlError(str(problem), mark.line + 1 if mark is not None else None, syntax=True) from None
    except RecursionError:
        raise YamlError("nesting too deep") from None
    except ValueError:  # int() of more than 4300 digits
        raise YamlError("a number too long") from None
    except Exception as exc:  # noqa: BLE001 - PyYAML's constructors: "!!int" alone is an IndexError
        raise YamlError(f"{type(exc).__name__} while building a value (a tag with nothing to build?)") from None
    _charge(value, [max_nodes], 0)
    return value


def _count_entries(text: str, limit: int) -> None:
    """One pass of libyaml's events (C, no recursion, constant memory) that raises at the first
    element past `limit` of a list at the top or directly under the top mapping: about a second
    per 300k events, where composing the whole document first cost minutes and GBs."""
    parser = FastYamlLoader(text)
    try:
        stack: list[list] = []  # [is_sequence, elements] per open collection
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.NodeEvent):  # scalar, alias or collection start
                if stack and stack[-1][0] and len(stack) <= 2:
                    stack[-1][1] += 1
                    if stack[-1][1] > limit:
                        raise YamlTooManyEntries(limit)
                if isinstance(event, yaml.CollectionStartEvent):
                    stack.append([isinstance(event, yaml.SequenceStartEvent), 0])
            elif isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
    finally:
        parser.dispose()


def _charge(value: Any, budget: list[int], depth: int) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlError("expands to too many values (YAML aliases)")
    if depth > MAX_YAML_DEPTH:
        raise YamlError(f"nesting too deep (deeper than {MAX_YAML_DEPTH} levels, YAML aliases)")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:  # e.g. 0x and 5,000 digits
        raise YamlError("a number too long")
    if isinstance(value, dict):
        for k, v in value.items():
            _charge(k, budget, depth + 1)
            _charge(v, budget, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _charge(v, budget, depth + 1)
