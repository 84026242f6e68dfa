"""Atomic writes: a crash at any moment leaves the old file or the new one, never a mix.

Every file glassnet writes (models, checkpoints, reports, pictures, ONNX) goes through
``atomic_write_bytes``; ``explain`` and ``onnx`` import it from here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from glassnet.errors import ModelFileError


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that a crash at any moment leaves the old file or the new.

    The bytes go to a temporary file in the same folder (same file system, so the rename is
    atomic), are flushed and fsynced, then ``os.replace`` puts them in place; the folder is
    fsynced too so the rename itself survives a power cut. On any failure the temporary file
    is removed and the old file is untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ModelFileError(
            f"Cannot write {path}: the folder {folder} does not exist. Create it first or "
            "choose another path."
        )
    mode = _file_mode(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise ModelFileError(f"Cannot write {path}: {e.strerror or e}.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):  # mkstemp makes 0o600; give the file normal permissions
                os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)
    return path


def _file_mode(path: Path) -> int:
    """The old file's permissions, or the usual ones for a new file (0o666 minus the umask)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
