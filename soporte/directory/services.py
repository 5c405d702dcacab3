"""Use cases of the directory: levels, certifications, presence and API tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from soporte.directory.models import (
    LEVEL4_MIN_CERTIFICATIONS,
    Agent,
    ApiToken,
    Certification,
    Level,
    Presence,
    User,
)
from soporte.lib import live
from soporte.lib.clock import desk_date
from soporte.lib.errors import DomainError, Forbidden, NotFound


class LevelRuleError(DomainError):
    code = "level4_requires_certifications"


def _require_manager(actor: User) -> None:
    if not actor.is_manager:
        raise Forbidden(_("Solo un supervisor o un administrador puede hacer este cambio."))


def count_valid_certifications(agent: Agent, *, on_date: dt.date) -> int:
    return len(agent.valid_certifications(on_date))


@transaction.atomic
def set_agent_level(*, actor: User, agent: Agent, level: int, now: dt.datetime) -> Agent:
    """Set an agent's support level. Level 4 needs at least two valid certifications."""
    _require_manager(actor)
    if level not in Level.values:
        raise DomainError(_("El nivel debe ser 1, 2, 3 o 4."), code="invalid_level")
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if level == Level.L4:
        valid = count_valid_certifications(agent, on_date=desk_date(now))
        if valid < LEVEL4_MIN_CERTIFICATIONS:
            raise LevelRuleError(
                _(
                    "%(name)s no puede tener el nivel 4: se necesitan al menos dos "
                    "certificaciones vigentes y tiene %(count)d."
                )
                % {"name": agent.name, "count": valid},
                valid_certifications=valid,
            )
    agent.level = level
    agent.level_flagged_at = None
    agent.level_flag_reason = ""
    agent.save(update_fields=["level", "level_flagged_at", "level_flag_reason"])
    return agent


@dataclass(frozen=True)
class CertificationInput:
    name: str
    issuer: str
    valid_from_date: dt.date
    valid_until_date: dt.date | None


@transaction.atomic
def add_certification(
    *, actor: User, agent: Agent, data: CertificationInput, now: dt.datetime
) -> Certification:
    """Record a certification; a flagged level-4 agent is cleared once two are valid again."""
    _require_manager(actor)
    if not data.name.strip() or not data.issuer.strip():
        raise DomainError(
            _("La certificación necesita nombre y emisor."), code="certification_incomplete"
        )
    if data.valid_until_date and data.valid_until_date < data.valid_from_date:
        raise DomainError(
            _("La fecha de vencimiento no puede ser anterior a la de inicio."),
            code="certification_period",
        )
    certification = Certification.objects.create(
        agent=agent,
        name=data.name.strip(),
        issuer=data.issuer.strip(),
        valid_from_date=data.valid_from_date,
        valid_until_date=data.valid_until_date,
    )
    recheck_agent_level(agent=agent, now=now)
    return certification


def recheck_agent_level(*, agent: Agent, now: dt.datetime) -> bool:
    """Flag (never demote) a level-4 agent below two valid certifications. Returns flagged."""
    agent = Agent.objects.prefetch_related("certifications").get(pk=agent.pk)
    if agent.level != Level.L4:
        return False
    valid = count_valid_certifications(agent, on_date=desk_date(now))
    if valid >= LEVEL4_MIN_CERTIFICATIONS:
        if agent.level_flagged_at is not None:
            agent.level_flagged_at = None
            agent.level_flag_reason = ""
            agent.save(update_fields=["level_flagged_at", "level_flag_reason"])
        return False
    if agent.level_flagged_at is None:
        agent.level_flagged_at = now
        agent.level_flag_reason = _(
            "Nivel 4 con %(count)d certificación(es) vigente(s); se requieren dos."
        ) % {"count": valid}
        agent.save(update_fields=["level_flagged_at", "level_flag_reason"])
    return True


@transaction.atomic
def recheck_level_four(*, now: dt.datetime) -> list[Agent]:
    """Daily job: re-check every level-4 agent after certifications expire."""
    flagged = []
    for agent in Agent.objects.filter(level=Level.L4).order_by("id"):
        if recheck_agent_level(agent=agent, now=now):
            flagged.append(agent)
    return flagged


@transaction.atomic
def set_presence(*, agent: Agent, presence: str, now: dt.datetime) -> Agent:
    if presence not in Presence.values:
        raise DomainError(_("Estado de presencia desconocido."), code="invalid_presence")
    agent.presence = presence
    agent.presence_changed_at = now
    agent.save(update_fields=["presence", "presence_changed_at"])
    live.broadcast_on_commit(
        "presence",
        {
            "type": "presence.changed",
            "agent_id": agent.pk,
            "presence": presence,
            "label": str(Presence(presence).label),
        },
    )
    return agent


TOKEN_PREFIX_LEN = 8


@transaction.atomic
def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a bearer token; the plain text is returned once and never stored."""
    name = name.strip()
    if not name:
        raise DomainError(_("Ponle un nombre al token."), code="token_name_required")
    prefix = secrets.token_hex(TOKEN_PREFIX_LEN // 2)
    secret = secrets.token_urlsafe(32)
    plain = f"sop_{prefix}_{secret}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, key_hash=ApiToken.hash_key(plain)
    )
    return token, plain


@transaction.atomic
def revoke_api_token(*, user: User, token_id: int, now: dt.datetime) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("No existe ese token."))
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
    return token


def authenticate_token(plain: str, *, now: dt.datetime) -> User | None:
    """The user behind a bearer token, or None. Compares hashes of the whole token."""
    parts = plain.split("_")
    if len(parts) < 3 or parts[0] != "sop":
        return None
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(prefix=parts[1], key_hash=ApiToken.hash_key(plain))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    # Touch last_used_at at most once a minute: a write per request would serialise the API.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
