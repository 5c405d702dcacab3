"""Numbers stay gap-free and the chain fork-free with many writers at once (both databases)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from soporte.logbook import services
from soporte.logbook.chain import GENESIS_HASH, chain_hash
from soporte.logbook.models import Entry, EntryKind

WRITERS = 8
PER_WRITER = 15


@pytest.mark.django_db(transaction=True)
def test_eight_writers_leave_a_gap_free_fork_free_chain(logbook, personas, now):
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(index: int) -> None:
        try:
            start.wait()
            for i in range(PER_WRITER):
                services.append_entry(
                    logbook=logbook,
                    kind=EntryKind.NOTE,
                    author=personas.agent,
                    summary=f"Escritor {index}, nota {i}",
                    now=now + dt.timedelta(seconds=i),
                )
        except BaseException as exc:  # reported below, with the database vendor
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [], f"{connection.vendor}: {errors[:3]}"
    entries = list(
        Entry.objects.filter(logbook=logbook)
        .select_related("logbook", "references")
        .order_by("number")
    )
    total = 1 + WRITERS * PER_WRITER
    assert [e.number for e in entries] == list(range(1, total + 1))
    prev = GENESIS_HASH
    for entry in entries:
        assert entry.prev_hash == prev, f"fork or gap at {entry.number}"
        assert chain_hash(prev, services.entry_bytes(entry)) == entry.entry_hash
        prev = entry.entry_hash
    logbook.refresh_from_db()
    assert (logbook.head_number, logbook.head_hash) == (total, prev)
    assert len({e.prev_hash for e in entries}) == total
