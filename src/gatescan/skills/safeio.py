"""Bounded reads of files a skill author controls: regular files only, never a FIFO or device.

Opening a FIFO named SKILL.md or origin.json would block the audit forever; a device could
stream without end. Every skill-side read goes through `read_bounded`.
"""

from __future__ import annotations

import errno
import os
import stat


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
