"""Writers of SQLite who take turns on a file lock instead of SQLite's sleeping busy handler."""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection


@contextlib.contextmanager
def writers_take_turns() -> Iterator[None]:
    """On SQLite, bulk writers (the CTI writer, the recording of finished calls) queue on a file
    lock: the kernel wakes the next one at once, where SQLite's busy handler would sleep up to
    100 ms between tries and let a writer that commits back-to-back starve the others.
    Other databases lock rows; nothing to do there."""
    if connection.vendor != "sqlite":
        yield
        return
    handle = _handle(Path(settings.VAR_DIR) / "run" / "cti-writer.lock")
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


class _Handles(threading.local):
    def __init__(self) -> None:
        self.by_path: dict[Path, IO[str]] = {}


_handles = _Handles()


def _handle(path: Path) -> IO[str]:
    """The lock file, opened once per thread (a flock belongs to an open file: each thread
    needs its own to take turns with the others)."""
    handle = _handles.by_path.get(path)
    if handle is None or handle.closed:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = _handles.by_path[path] = path.open("a")
    return handle
