"""Atomic writes: a crash at any moment leaves the old file or the new one, never a mix.

Every file glassnet writes (models, checkpoints, reports, pictures, ONNX, explanations)
goes through ``atomic_write_bytes``; ``explain`` and ``onnx`` import it from here.

What may sit at the output path:

* nothing, or a regular file: replaced atomically;
* a symlink to a regular file (or a dangling one): the *target* is written atomically and the
  link is kept, so ``model.safetensors -> runs/7/model.safetensors`` keeps working;
* a folder, a device, a FIFO or a socket: refused (``ModelFileError`` naming the path) —
  renaming over them would destroy a device node or a pipe another program reads.

Temporary files are named ``.NAME.PID.RANDOM.tmp`` beside the target. Each is removed on every
exit path of the write; if a process was killed mid-write, the next write to the same NAME
removes the leftovers whose process is gone (or that are older than an hour).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
from pathlib import Path

from glassnet.errors import ModelFileError
from glassnet.limits import file_kind

STALE_AFTER_S = 3600


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that a crash at any moment leaves the old file or the new.

    The bytes go to a temporary file in the same folder (same file system, so the rename is
    atomic), are flushed and fsynced, then ``os.replace`` puts them in place; the folder is
    fsynced too so the rename itself survives a power cut. On any failure the temporary file
    is removed and the old file is untouched; an ``OSError`` (disk full, permissions) becomes a
    ``ModelFileError`` naming ``path``. Returns ``path`` as given.
    """
    path = Path(path)
    target = writable_target(path)
    folder = target.parent
    remove_stale_temporaries(target)
    mode = _file_mode(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise _write_error(path, e) from None
    try:
        _write_and_replace(fd, tmp, target, data, mode)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise _write_error(path, e) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)
    return path


def writable_target(path: Path) -> Path:
    """The file to replace for ``path``: itself, or a symlink's target; refuse anything else."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ModelFileError(f"Cannot write {path}: the folder {folder} does not exist. Create it "
                             "first or choose another path.")
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except OSError as e:
        raise _write_error(path, e) from None
    if not stat.S_ISREG(mode):
        raise ModelFileError(f"Refusing to write {path}: it is {file_kind(mode)}, not a regular "
                             "file, and glassnet never replaces one. Choose a file path.")
    return target


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove ``.NAME.*.tmp`` leftovers of killed writes to ``target``; returns them."""
    removed = []
    for leftover in target.parent.glob(f".{_glob_escape(target.name)}.*.tmp"):
        if _is_stale(leftover):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


def _is_stale(leftover: Path) -> bool:
    try:
        info = leftover.lstat()
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    if time.time() - info.st_mtime > STALE_AFTER_S:
        return True
    pid = leftover.name[len("."):].rsplit(".", 3)[-3] if leftover.name.count(".") >= 4 else ""
    return pid.isdigit() and not _alive(int(pid))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: it exists, owned by someone else
        return True
    return True


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _write_and_replace(fd: int, tmp: str, target: Path, data: bytes, mode: int) -> None:
    with os.fdopen(fd, "wb") as f:
        if hasattr(os, "fchmod"):  # mkstemp makes 0o600; give the file normal permissions
            os.fchmod(f.fileno(), mode)
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)


def _write_error(path: Path, error: OSError) -> ModelFileError:
    full = error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    fix = "free some space" if full else "check the folder and its permissions"
    return ModelFileError(f"Cannot write {path}: {error.strerror or error}"
                          f"{' (the disk is full)' if full else ''}. It was left as it was; {fix} "
                          "or choose another path.")


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
