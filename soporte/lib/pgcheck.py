"""`python -m soporte.lib.pgcheck URL`: exit 0 when a PostgreSQL server answers at URL.

Creates the database named in the URL if the server answers and it is missing, so the
PostgreSQL test run needs nothing prepared by hand.
"""

from __future__ import annotations

import sys

import dj_database_url
import psycopg


def main(url: str) -> int:
    cfg = dj_database_url.parse(url)
    conninfo = psycopg.conninfo.make_conninfo(
        host=str(cfg.get("HOST") or "127.0.0.1"),
        port=str(cfg.get("PORT") or 5432),
        user=str(cfg.get("USER") or "postgres"),
        password=str(cfg.get("PASSWORD") or ""),
        dbname="postgres",
        connect_timeout="3",
    )
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (cfg["NAME"],)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    except psycopg.Error as exc:
        print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
