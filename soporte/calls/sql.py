"""The CTI batch's hand-written statements (bench/RESULTS.md, "Calls").

A burst of events is applied in a few statements: the batch's calls read in one SELECT, new
calls in one INSERT, changed calls in one UPDATE, events in one INSERT. A queryset would cost
~0.5 ms of Python per statement to compile, more than SQLite takes to run it. The generic
machinery (converters, multi-row chunks) is in `soporte.lib.rawsql`, beside the other
hand-written reads; each statement here names the queryset it stands for.

Only quoted model column names are formatted into SQL; every value is a parameter.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from typing import cast

from django.db import transaction
from django.db.models import Field

from soporte.calls.models import Call, Transfer, TransferState
from soporte.directory.models import Agent, Presence
from soporte.lib import compat, rawsql


def select_calls(line_id: int, call_ids: Iterable[str]) -> list[Call]:
    """A line's calls by callId, locked for the batch where the database can (PostgreSQL).

    One raw SELECT of every column, turned into `Call` instances with Django's own converters
    and `Model.from_db`, as a queryset would, without compiling a queryset for every batch
    (~0.5 ms of Python each on the project VM). No joins: only a ringing call's screen-pop
    needs the caller's names, and a new call gets them from the people lookup.
    """
    connection = transaction.get_connection()
    head, tail, columns = rawsql.memoised("select_calls", _select_calls_plan)
    names = list(call_ids)
    sql = head + ", ".join(["%s"] * len(names)) + tail
    return [
        columns.load(connection, row) for row in rawsql.fetch(connection, sql, [line_id, *names])
    ]


def _select_calls_plan() -> tuple[str, str, rawsql.Columns]:
    """The SELECT around its IN list, and how its rows become calls (`rawsql.columns`)."""
    connection = transaction.get_connection()
    table = Call._meta.db_table
    quote = connection.ops.quote_name
    columns = rawsql.columns(Call, table, connection)
    head = (
        # Only quoted model column names are formatted in; every value is a parameter.
        f"SELECT {columns.sql} FROM {quote(table)} "  # noqa: S608
        f"WHERE {quote('line_id')} = %s AND {quote('call_id')} IN ("
    )
    tail = ") FOR UPDATE" if connection.features.has_select_for_update else ")"
    return head, tail, columns


# Columns an event can change, written for every changed call of a batch in one executemany.
_MUTABLE = (
    "state",
    "agent",
    "answered_by",
    "answered_at",
    "ended_at",
    "ring_seconds",
    "rings",
    "hold_count",
    "hold_seconds",
    "holds_over_limit",
    "transfer_count",
    "hangup_cause",
    "hangup_by",
    "outcome",
    "caller_name",
    "updated_at",
)


def insert_calls(calls: list[Call]) -> None:
    """New calls in one INSERT, then their ids in one SELECT (events and holds point at them)."""
    rawsql.insert_rows(Call, calls)
    by_line: dict[int, dict[str, Call]] = {}
    for call in calls:
        by_line.setdefault(call.line_id, {})[call.call_id] = call
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for line_id, wanted in by_line.items():
            names = list(wanted)
            marks = ", ".join(["%s"] * len(names))
            cursor.execute(
                # Only quoted model column names are formatted in; every value is a parameter.
                f"SELECT {quote('id')}, {quote('call_id')} FROM {quote(Call._meta.db_table)} "  # noqa: S608
                f"WHERE {quote('line_id')} = %s AND {quote('call_id')} IN ({marks})",
                [line_id, *names],
            )
            for pk, call_id in cursor.fetchall():
                wanted[call_id].pk = pk
                compat.mark_saved(wanted[call_id])


def update_calls(calls: list[Call]) -> None:
    """The batch's changed calls: on SQLite a few `UPDATE … FROM (VALUES …)` statements (one
    step each, not one per row), elsewhere one executemany."""
    connection = transaction.get_connection()
    fields, statement, marks = rawsql.memoised("update_calls", _update_plan)
    rows = rawsql.param_rows(calls, fields, lambda call: [call.pk])
    with connection.cursor() as cursor:
        if not marks:
            cursor.executemany(statement, rows)
            return
        for start, size in rawsql.chunks(len(rows), len(fields) + 1):
            cursor.execute(
                statement % ", ".join([marks] * size),
                [value for row in rows[start : start + size] for value in row],
            )


def _update_plan() -> tuple[list[Field], str, str]:
    """The changed columns, and either the executemany UPDATE (no row marks) or the SQLite
    UPDATE … FROM (VALUES %s) with the marks of one row."""
    connection = transaction.get_connection()
    fields = [cast(Field, Call._meta.get_field(name)) for name in _MUTABLE]
    quote = connection.ops.quote_name
    table = quote(Call._meta.db_table)
    if connection.vendor != "sqlite" or sqlite3.sqlite_version_info < (3, 33):
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        # Only quoted model column names are formatted in; every value is a parameter.
        return fields, f"UPDATE {table} SET {assignments} WHERE {quote('id')} = %s", ""  # noqa: S608
    # SQLite names a VALUES list's columns column1, column2, …; the id comes last.
    width = len(fields) + 1
    assignments = ", ".join(f"{quote(f.column)} = v.column{i}" for i, f in enumerate(fields, 1))
    statement = (
        # Only quoted model column names are formatted in; every value is a parameter.
        f"UPDATE {table} SET {assignments} FROM (VALUES %s) AS v "  # noqa: S608
        f"WHERE {table}.{quote('id')} = v.column{width}"
    )
    return fields, statement, "(" + ", ".join(["%s"] * width) + ")"


def cancel_consultations(call_ids: list[int]) -> None:
    """`Transfer.objects.filter(call_id__in=…, state=CONSULTING).update(state=CANCELLED)`,
    as one raw statement (a queryset costs ~0.5 ms of Python per batch to compile)."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            # Only quoted model column names are formatted in; every value is a parameter.
            f"UPDATE {quote(Transfer._meta.db_table)} SET {quote('state')} = %s "  # noqa: S608
            f"WHERE {quote('state')} = %s "
            f"AND {quote('call_id')} IN ({', '.join(['%s'] * len(call_ids))})",
            [TransferState.CANCELLED.value, TransferState.CONSULTING.value, *call_ids],
        )


def set_presence(agent_ids: list[int], presence: str, now: dt.datetime) -> None:
    """`Agent.objects.filter(pk__in=…).exclude(presence__in=(OFFLINE, presence))
    .update(presence=…, presence_changed_at=now)`, as one raw statement."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    changed_at = Agent._meta.get_field("presence_changed_at")
    column = quote("presence")
    with connection.cursor() as cursor:
        cursor.execute(
            # Only quoted model column names are formatted in; every value is a parameter.
            f"UPDATE {quote(Agent._meta.db_table)} "  # noqa: S608
            f"SET {column} = %s, {quote(changed_at.column)} = %s "
            f"WHERE {quote('id')} IN ({', '.join(['%s'] * len(agent_ids))}) "
            f"AND NOT ({column} IN (%s, %s))",
            [
                presence,
                changed_at.get_db_prep_save(now, connection),
                *agent_ids,
                Presence.OFFLINE.value,
                presence,
            ],
        )
