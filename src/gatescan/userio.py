"""Bounded, safe reads of the files a user names (a saved report, a baseline) and of the files
inside the skills they point at: every read of such a file goes through here.

Pipes and devices are accepted where the user names them (`report render /dev/stdin`), so the
read itself is capped, not only the size `stat()` reports (0 for a pipe). Files a skill author
controls are read with `read_bounded`: regular files only, since opening a FIFO named SKILL.md
or origin.json would block the audit forever and a device could stream without end.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from contextlib import contextmanager
from typing import BinaryIO, Iterator


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
