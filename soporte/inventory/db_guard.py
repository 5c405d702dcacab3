"""Database triggers that keep the stock ledger append-only and devices undeletable.

Movements and the serial numbers they moved are never updated or deleted (a wrong movement is
answered by a reversing one); a device is retired, never deleted. As with the bitácora's
triggers, the admin, a shell or a direct SQL statement are refused too.
"""

from __future__ import annotations

from typing import Any

# table -> operations refused
GUARDED: dict[str, tuple[str, ...]] = {
    "inventory_stockmovement": ("UPDATE", "DELETE"),
    "inventory_movementserial": ("UPDATE", "DELETE"),
    "inventory_device": ("DELETE",),
}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION inventory_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'inventario: % on % is not allowed; the ledger is append-only and devices are retired, not deleted',
        TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def install(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table, ops in GUARDED.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_immutable BEFORE {' OR '.join(ops)} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change()"
                )
        elif connection.vendor == "sqlite":
            for table, ops in GUARDED.items():
                for op in ops:
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} "
                        f"BEFORE {op} ON {table} BEGIN "
                        f"SELECT RAISE(ABORT, 'inventario: {op} on {table} is not allowed; "
                        "the ledger is append-only and devices are retired, not deleted'); END"
                    )


def remove(connection: Any) -> None:
    """Only for migrations' reverse and for the test suite's database flush."""
    with connection.cursor() as cursor:
        for table, ops in GUARDED.items():
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
            elif connection.vendor == "sqlite":
                for op in ops:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()}")
