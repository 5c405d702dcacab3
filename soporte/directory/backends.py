"""Sign-in backend: Django's, loading the signed-in user's agent row in the same query.

Every desk page asks "which agent is this?" (queues, the ticket page, the console); with the
agent joined to the session's user query that question costs nothing (`agent_of`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from soporte.directory.models import Agent, User


class DeskBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("agent").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def agent_of(user: Any) -> Agent | None:
    """The user's agent row, or None (customers, anonymous visitors, users without one)."""
    try:
        agent = user.agent
    except (Agent.DoesNotExist, AttributeError):
        return None
    return agent if isinstance(agent, Agent) else None
