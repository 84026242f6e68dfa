"""Refuse, before allocating, what cannot fit in memory — with the numbers and the fix.

A run that asks for more memory than the machine has is otherwise killed by the kernel's
OOM killer (no message) or dies in a ``MemoryError`` deep inside NumPy. Loaders that must
hold their data in RAM (decoded images, .npz archives, gzipped IDX files) call
``check_fits`` with the bytes they are about to allocate: it compares them with what is
available now — ``MemAvailable`` from /proc/meminfo (else the physical pages from
``os.sysconf``), and the room left under an address-space limit (``RLIMIT_AS``) — and raises
a ``DataError`` (exit 2 in the CLI) naming both numbers and how to avoid the copy.

Uncompressed ``.npy`` pairs and IDX files are memory-mapped instead: only the rows of the
current batch are read, so they may be bigger than RAM. Every row is still read once per
epoch; when the page cache cannot hold the file each epoch reads it from disk again.
"""

from __future__ import annotations

import os

from glassnet.errors import DataError
from glassnet.limits import human_bytes, physical_memory

NOTICE_BYTES = 256 * 2**20  # in-memory inputs above this get a notice about memory-mapping


def available_bytes() -> int | None:
    """Memory this process may still take: MemAvailable, capped by the room left under
    RLIMIT_AS. None when neither can be read (then nothing is refused)."""
    limits = [v for v in (_mem_available(), _address_space_left()) if v is not None]
    if not limits:
        return physical_memory()
    return min(limits)


def _mem_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _address_space_left() -> int | None:
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        return max(0, soft - used)
    except (ImportError, OSError, ValueError, IndexError):
        return None


def check_fits(n_bytes: int, what: str, fix: str) -> None:
    """Raise DataError when ``n_bytes`` (about to be allocated for ``what``) exceed what is
    available, e.g. "… needs 6.3 GB in memory; this machine has 3.1 GB available (8.0 GB
    RAM). Pass a .npy file to memory-map it." """
    available = available_bytes()
    if available is None or n_bytes <= available:
        return
    total = physical_memory()
    ram = f" ({human_bytes(total)} RAM)" if total else ""
    raise DataError(f"{what} needs {human_bytes(n_bytes)} in memory; this machine has "
                    f"{human_bytes(available)} available{ram}. {fix[:1].upper()}{fix[1:]}")


def in_memory_notice(path, n_bytes: int, fix: str) -> list[str]:
    """A one-line notice for a big input that must be read into memory (else none)."""
    if n_bytes < NOTICE_BYTES:
        return []
    return [f"{path} is read into memory ({human_bytes(n_bytes)}); {fix}"]
