"""Reading a text file the user named (a saved report, a baseline): bounded, with one plain reason.

Pipes and devices are accepted (`report render /dev/stdin`), so the read itself is capped, not
only the size `stat()` reports (0 for a pipe).
"""

from __future__ import annotations

import os


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
