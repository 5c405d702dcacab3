"""SQLite's bulk writers take turns on a file lock, between threads and between processes."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from soporte.lib.writelock import writers_take_turns

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")


def test_two_threads_of_one_process_take_turns(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    order: list[str] = []
    holding = threading.Event()

    def second() -> None:
        holding.wait(5)
        with writers_take_turns():
            order.append("second in")

    other = threading.Thread(target=second)
    other.start()
    with writers_take_turns():
        order.append("first in")
        holding.set()
        time.sleep(0.3)  # the other thread is waiting on the lock now
        order.append("first out")
    other.join(5)
    assert order == ["first in", "first out", "second in"]


def test_the_lock_is_taken_again_and_again_by_one_thread(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    for _ in range(3):
        with writers_take_turns():
            pass
    assert (tmp_path / "run" / "cti-writer.lock").exists()
