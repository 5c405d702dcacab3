"""Writers of SQLite who take turns on a file lock instead of SQLite's sleeping busy handler."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

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
    path = Path(settings.VAR_DIR) / "run" / "cti-writer.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
