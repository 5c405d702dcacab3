"""Who sees which figures: supervisors and administrators everyone's, an agent only their own,
customers nothing (the access gate of every report page, export and API route)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from soporte.directory.models import Agent
from soporte.lib.errors import Forbidden


def sees_everyone(user: Any) -> bool:
    return bool(getattr(user, "is_manager", False))


def own_agent_id(user: Any) -> int | None:
    """None for a supervisor (every agent); the agent's id for an agent; Forbidden otherwise."""
    if not getattr(user, "is_authenticated", False) or not user.is_desk_staff:
        raise Forbidden(_("Los reportes son solo para la mesa de ayuda."), code="reports_forbidden")
    if sees_everyone(user):
        return None
    agent_id = Agent.objects.filter(user=user).values_list("pk", flat=True).first()
    if agent_id is None:
        raise Forbidden(_("Los reportes son solo para la mesa de ayuda."), code="reports_forbidden")
    return int(agent_id)
