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
import stat


class UserFileError(ValueError):
    """Why the file cannot be read, without the path (callers name it in their own error)."""


def read_user_text(path: str | os.PathLike, limit: int) -> str:
    """The whole file as UTF-8 text, at most `limit` bytes."""
    try:
        size = os.stat(path).st_size
        if size > limit:
            raise UserFileError(f"file is {size} bytes, larger than the {limit} byte limit")
        with open(path, encoding="utf-8") as fh:
            text = fh.read(limit + 1)  # a pipe or device has no size to check first
    except FileNotFoundError:
        raise UserFileError("no such file") from None
    except IsADirectoryError:
        raise UserFileError("is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise UserFileError(f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UserFileError(exc.strerror or str(exc)) from None
    if len(text) > limit:
        raise UserFileError(f"more than the {limit} byte limit")
    return text


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
