"""Database triggers that refuse UPDATE and DELETE on the bitácora's signed tables.

The application never updates these rows; the triggers make sure nobody else does either —
not the admin, not a shell, not a direct SQL statement. (Someone who can drop triggers can
still rewrite the file; the hash chain and the signed checkpoints catch that.)
"""

from __future__ import annotations

from typing import Any

FIRST_TABLES = (
    "logbook_entry",
    "logbook_signature",
    "logbook_acceptance",
    "logbook_checkpoint",
    "logbook_signingkey",
)  # what migration 0002 guards; 0003 adds the format-2 tables
GUARDED_TABLES = (*FIRST_TABLES, "logbook_logbookkey", "logbook_timestamp")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION logbook_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'bitacora: % on % is not allowed; signed records are never changed',
        TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def install(connection: Any, tables: tuple[str, ...] = GUARDED_TABLES) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in tables:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION logbook_refuse_change()"
                )
        elif connection.vendor == "sqlite":
            for table in tables:
                for op in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} "
                        f"BEFORE {op} ON {table} BEGIN "
                        f"SELECT RAISE(ABORT, 'bitacora: {op} on {table} is not allowed; "
                        "signed records are never changed'); END"
                    )


def remove(connection: Any) -> None:
    """Only for migrations' reverse and for the test suite's database flush."""
    with connection.cursor() as cursor:
        for table in GUARDED_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
            elif connection.vendor == "sqlite":
                for op in ("update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
