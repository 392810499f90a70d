"""The files netsim writes, and the folders it writes them into.

Every output is written as a new file: a temporary file created in the output's own folder
with O_CREAT|O_EXCL|O_NOFOLLOW (tempfile.mkstemp), renamed over the output's name when it
is complete. A rename replaces a symlink that stands at that name; it never writes
through it, and a reader never sees half a file. Output folders are checked before any
work starts (`check_out_dir`): not a file, not inside a file, writable. Failed writes
(disk full, read-only, permissions) become NetsimError with one line naming the file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from netsim.errors import NetsimError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Outputs get the permissions a plain open() would give them (mkstemp makes them 0600).
_FILE_MODE = 0o666 & ~_umask()


def io_reason(err: OSError) -> str:
    """An OSError in a few words: 'No space left on device', 'Read-only file system', ..."""
    return err.strerror or str(err) or type(err).__name__


def one_line(err: BaseException) -> str:
    """An error in one line: OSError as 'FILE: reason', others as their first line."""
    if isinstance(err, OSError):
        where = f"{err.filename}: " if err.filename else ""
        return f"{where}{io_reason(err)}"
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def check_out_dir(path: str | Path, option: str = "--out") -> None:
    """NetsimError (naming `option`) when `path` is a file, would be inside a file, or the
    folder that would hold it cannot be written. Creates nothing that stays."""
    path = Path(path)
    if path.is_symlink() and not path.is_dir():
        raise NetsimError(f"{option}: {path} is a symlink to no folder; give a folder")
    if path.exists() and not path.is_dir():
        raise NetsimError(f"{option}: {path} exists and is not a folder")
    existing = path.absolute()
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():  # a dangling link on the way: mkdir would fail
            raise NetsimError(f"{option}: {path} would be inside {existing}, a symlink to nothing")
        existing = existing.parent
    if not existing.is_dir():
        raise NetsimError(f"{option}: {path} would be inside {existing}, which is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".netsim-write-check-"):
            pass
    except OSError as err:
        raise NetsimError(f"{option}: cannot write into {existing}: {io_reason(err)}") from None


def make_out_dir(path: str | Path, option: str = "--out") -> Path:
    """check_out_dir, then create the folder (and its parents)."""
    path = Path(path)
    check_out_dir(path, option)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise NetsimError(f"{option}: cannot create {path}: {io_reason(err)}") from None
    return path


@contextlib.contextmanager
def new_path(path: str | Path, keep_suffix: bool = False) -> Iterator[Path]:
    """A fresh temporary file beside `path` for code that writes by file name (matplotlib,
    pyarrow, ns-3); renamed to `path` when the block completes, removed if it fails.
    OSError becomes NetsimError naming `path`. keep_suffix: the temporary name ends with
    path's suffix too (.partial.png), for writers that pick the format by it."""
    path = Path(path)
    if path.exists() and not path.is_symlink() and not path.is_file():
        # a device (/dev/null), a fifo or a folder at the name: never replaced
        raise NetsimError(f"{path}: exists and is not a regular file; netsim writes only files of its own")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                   suffix=".partial" + (path.suffix if keep_suffix else ""))
    except OSError as err:
        raise NetsimError(f"{path}: cannot write: {io_reason(err)}") from None
    os.close(fd)
    tmp = Path(tmp)
    try:
        os.chmod(tmp, _FILE_MODE)
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise NetsimError(f"{path}: cannot write: {io_reason(err)}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def new_file(path: str | Path, mode: str = "w", **open_args):
    """Open a new file for writing that appears at `path` only when the block completes."""
    with new_path(path) as tmp:
        with open(tmp, mode, **open_args) as f:
            yield f


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    with new_file(path, "w", encoding=encoding) as f:
        f.write(text)
