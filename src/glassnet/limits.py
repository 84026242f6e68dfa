"""Bounds on what a file or a setting may make glassnet read or allocate.

Sizes often come from input: an IDX header's dimensions, a model's stored shapes,
``--hidden``. Before trusting such a number glassnet checks it against what is really there:

* the file is a regular file (a FIFO or a device could block forever or never end) — checked
  on the opened descriptor, so nothing can swap the file between the check and the read;
* the sizes a header declares fit in the file's real size;
* one allocation fits in this machine's physical memory (``os.sysconf``), so an absurd number
  becomes one clear error instead of a ``MemoryError`` or the kernel's OOM killer.

Shared by every room (like ``errors``); it imports nothing above ``errors``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from glassnet.errors import ConfigError, GlassnetError

try:
    import fcntl
except ImportError:  # Windows: no FIFOs to guard against there
    fcntl = None

MAX_JSON_DEPTH = 64  # glassnet's own documents nest at most ~6 deep


def physical_memory() -> int | None:
    """This machine's physical memory in bytes, or None where the OS does not say."""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return pages * page_size if pages > 0 and page_size > 0 else None


def human_bytes(n: int | float) -> str:
    """``29_000_000_000_000`` → ``29 TB`` (decimal units, as disks and RAM are sold)."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB", "EB"):
        if abs(n) < 1000 or unit == "EB":
            return f"{n:.0f} {unit}" if unit == "B" or n >= 10 else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.0f} EB"


FILE_FIX = "The file is corrupt, or too large for this machine."


def check_allocation(n_bytes: int, what: str, error: type[GlassnetError] = ConfigError,
                     fix: str = "Use a smaller size.") -> None:
    """Refuse ``what`` (e.g. "--hidden 10000000000: the first layer alone") when it needs
    more bytes than this machine's physical memory: the message says both numbers."""
    total = physical_memory()
    if total is not None and n_bytes > total:
        raise error(f"{what} needs {human_bytes(n_bytes)}; this machine has {human_bytes(total)} "
                    f"of memory. {fix}")


def file_kind(mode: int) -> str:
    """What a stat mode describes, for messages: "a FIFO (named pipe)", "a folder", …"""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a regular file"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def open_regular(path, error: type[GlassnetError], what: str = "file"):
    """``(binary file object, size)`` of ``path`` when it is a regular file (after symlinks).

    Opened with O_NONBLOCK so that opening a FIFO cannot wait for a writer; the type is then
    checked on the open descriptor (no window between check and read).
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist. Check the path.") from None
    except OSError as e:
        raise error(f"Cannot read {what} {path}: {e.strerror or e}.") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise error(f"{path} is {file_kind(mode)}, not a regular file; glassnet reads {what}s "
                    f"only from regular files (a pipe or device may never end). Pass a file.")
    if fcntl is not None:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~getattr(os, "O_NONBLOCK", 0))
    file = os.fdopen(fd, "rb")
    return file, os.fstat(file.fileno()).st_size


def read_regular(path, error: type[GlassnetError], what: str = "file", limit: int | None = None) -> bytes:
    """All bytes of the regular file ``path``; refused first when it is larger than ``limit``
    or than this machine's memory."""
    file, size = open_regular(path, error, what)
    with file:
        if limit is not None and size > limit:
            raise error(f"{path} is {human_bytes(size)}, more than the {human_bytes(limit)} a "
                        f"{what} may have here.")
        check_allocation(size, f"Reading {path}", error, FILE_FIX)
        try:
            return file.read(size)
        except OSError as e:
            raise error(f"Cannot read {what} {path}: {e.strerror or e}.") from None


def require_regular(path, error: type[GlassnetError], what: str = "file") -> int:
    """The size of ``path`` after checking it is a regular file (for readers that open it
    themselves, e.g. NumPy or Pillow)."""
    file, size = open_regular(path, error, what)
    file.close()
    return size


def json_depth(value) -> int:
    """How deeply lists and objects nest in a decoded JSON value (iterative: any depth)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest
