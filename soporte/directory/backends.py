"""Sign-in backend: Django's, loading the signed-in user and their agent row in one SELECT.

Every desk page asks "which agent is this?" (queues, the ticket page, the console); with the
agent joined to the session's user read that question costs nothing (`agent_of`). The read is
hand-written SQL (`soporte.lib.rawsql`): through the ORM it was the costliest part of a small
signed-in page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import router, transaction

from soporte.directory.models import Agent, User
from soporte.lib import rawsql


def _user_plan(connection: Any) -> tuple[str, rawsql.Columns, rawsql.Columns]:
    user = rawsql.columns(User, "u", connection)
    agent = rawsql.columns(Agent, "a", connection)
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {user.sql}, {agent.sql} FROM {rawsql.table(User, connection)} {quote('u')} "  # noqa: S608 - names from _meta
        f"LEFT JOIN {rawsql.table(Agent, connection)} {quote('a')} "
        f"ON {quote('a')}.{quote('user_id')} = {quote('u')}.{quote('id')} "
        f"WHERE {quote('u')}.{quote('id')} = %s"
    )
    return sql, user, agent


def load_user(user_id: Any) -> User | None:
    """The user with `agent` already loaded (None: no agent row), or None."""
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    alias = router.db_for_read(User)
    connection = transaction.get_connection(alias)
    sql, user_columns, agent_columns = rawsql.memoised(
        "directory.load_user", lambda: _user_plan(connection), alias
    )
    rows = rawsql.fetch(connection, sql, [pk])
    if not rows:
        return None
    row = rows[0]
    user: User = user_columns.load(connection, row)
    agent: Agent | None = agent_columns.load(connection, row, len(user_columns))
    rawsql.cache_related(user, "agent", agent)
    if agent is not None:
        rawsql.cache_related(agent, "user", user)
    return user


class DeskBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def agent_of(user: Any) -> Agent | None:
    """The user's agent row, or None (customers, anonymous visitors, users without one)."""
    try:
        agent = user.agent
    except (Agent.DoesNotExist, AttributeError):
        return None
    return agent if isinstance(agent, Agent) else None
