"""The data directory and the store's files, made private from the start.

Modes are given when a file or directory is created, never set afterwards: a ``chmod`` after
creation leaves a moment in which another user of the machine could open the file.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
from pathlib import Path

from klingel.store.api import StoreError, StoreErrorCode

__all__ = [
    "create_private_file",
    "ensure_private_directory",
    "os_store_error",
    "write_new_private_file",
]

logger = logging.getLogger(__name__)

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_READ_ONLY = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def os_store_error(error: OSError) -> StoreError:
    """The store error for a failed file operation."""
    if error.errno in _READ_ONLY:
        return StoreError(StoreErrorCode.READ_ONLY)
    if error.errno in _FULL:
        return StoreError(StoreErrorCode.FULL)
    return StoreError(StoreErrorCode.UNAVAILABLE)


def ensure_private_directory(path: Path) -> None:
    """Create the data directory with mode 0700 if it is missing (its parents, if missing too,
    get the usual mode). An existing directory is left as it is, with a warning if others may
    read it."""
    try:
        path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        mode = path.stat().st_mode
    except OSError as error:
        raise os_store_error(error) from error
    if mode & 0o077:
        logger.warning(
            "the data directory %s may be read by other users of the machine (mode %o)",
            path,
            mode & 0o777,
        )


def create_private_file(path: Path) -> bool:
    """Create an empty file with mode 0600; False if it exists already."""
    try:
        descriptor = os.open(path, _NEW_FILE, FILE_MODE)
    except FileExistsError:
        return False
    except OSError as error:
        raise os_store_error(error) from error
    os.close(descriptor)
    return True


def write_new_private_file(path: Path, content: bytes) -> bool:
    """Write a new file with mode 0600 that appears whole or not at all: False (and nothing
    written) if it exists already.

    The content goes into a private temporary file first, which is then linked to its name: a
    crash in between leaves no half-written file under that name, and of two processes
    starting at once exactly one writes it.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        descriptor = os.open(temporary, _NEW_FILE, FILE_MODE)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, path)
        except FileExistsError:
            return False
        finally:
            with contextlib.suppress(OSError):
                temporary.unlink()
        _sync_directory(path.parent)
    except OSError as error:
        raise os_store_error(error) from error
    return True


def _sync_directory(path: Path) -> None:
    """Make a new name in the directory survive a power cut."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
