"""Reading a small file that a user named, without trusting what the file system says about it.

`st_size` is 0 for /dev/zero and for pipes, so a size check alone lets `read()` run until memory
is gone; and merely opening a FIFO blocks until someone writes to it. Here a file is read only if
it is a regular file, it is opened so that a FIFO slipped in after the check cannot block, and at
most `limit + 1` bytes are read whatever the file claims.
"""

from __future__ import annotations

import errno
import os
import stat

_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
"""O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer (regular files ignore it)."""


class NotRegularFile(OSError):
    """The path names a device, a pipe or a socket; `kind` says which ("a character device")."""

    def __init__(self, kind: str) -> None:
        super().__init__(errno.EINVAL, f"this is {kind}, not a regular file")
        self.kind = kind


class FileTooLarge(OSError):
    """The file holds more than the caller's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(errno.EFBIG, f"the file is larger than {limit} bytes")
        self.limit = limit


def _refuse_special(mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "a special file")
        raise NotRegularFile(kind)


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    Raises FileTooLarge past `limit`, NotRegularFile for a device, FIFO or socket (never opened
    when seen beforehand), and the usual OSErrors (FileNotFoundError, PermissionError,
    IsADirectoryError, ...).
    """
    _refuse_special(os.stat(path).st_mode)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        _refuse_special(os.fstat(fd).st_mode)  # it may have been swapped for a FIFO since the stat
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    if left <= 0:
        raise FileTooLarge(limit)
    return b"".join(chunks)
