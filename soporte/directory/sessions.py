"""Django's database sessions, read with one hand-written SELECT (`soporte.lib.rawsql`).

Every signed-in request reads its session first; through the ORM that read cost more Python
than the rest of a small page. Writes, expiry, key rotation and clean-up are Django's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import router, transaction
from django.utils import timezone

from soporte.lib import rawsql


class SessionStore(DatabaseSessionStore):
    def load(self) -> dict[str, Any]:
        key = self.session_key
        if not key:
            return {}
        connection = transaction.get_connection(router.db_for_read(self.model))
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote('session_data')} FROM {quote(self.model._meta.db_table)} "  # noqa: S608 - names from _meta
            f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = rawsql.fetch(connection, sql, [key, now])
        if not rows:
            # Expired or unknown: as Django does, a fresh key is made if anything is stored.
            self._session_key = None
            return {}
        return self.decode(rows[0][0])
