"""API of the directory: the current user, agents, organisations, people and tokens."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from pydantic import field_validator

from soporte.directory import services
from soporte.directory.models import Agent, ApiToken, Organisation, Person, User
from soporte.lib import clock

router = Router(tags=["directorio"])

MAX_PAGE = 200


class ErrorBody(Schema):
    code: str
    message: str
    details: dict[str, object] = {}


class ErrorOut(Schema):
    error: ErrorBody


class CertificationOut(Schema):
    id: int
    name: str
    issuer: str
    valid_from_date: dt.date
    valid_until_date: dt.date | None


class AreaOut(Schema):
    code: str
    name: str


class AgentOut(Schema):
    id: int
    username: str
    name: str
    email: str
    level: int
    presence: str
    extension: str
    areas: list[AreaOut]
    certifications: list[CertificationOut]
    level_flagged_at: dt.datetime | None
    level_flag_reason: str

    @staticmethod
    def from_agent(agent: Agent) -> AgentOut:
        return AgentOut(
            id=agent.pk,
            username=agent.user.username,
            name=agent.name,
            email=agent.user.email,
            level=agent.level,
            presence=agent.presence,
            extension=agent.extension,
            areas=[AreaOut(code=a.code, name=a.name) for a in agent.areas.all()],
            certifications=[
                CertificationOut.model_validate(c, from_attributes=True)
                for c in agent.certifications.all()
            ],
            level_flagged_at=agent.level_flagged_at,
            level_flag_reason=agent.level_flag_reason,
        )


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    role: str
    organisation_id: int | None
    agent: AgentOut | None


class OrganisationOut(Schema):
    id: int
    name: str
    legal_name: str
    tax_id: str
    phone: str
    email: str
    contract_reference: str


class PersonOut(Schema):
    id: int
    organisation_id: int
    full_name: str
    email: str
    phone: str
    job_title: str
    contact_role: str


class LevelIn(Schema):
    level: int = Field(..., ge=1, le=4)


class CertificationIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    issuer: str = Field(..., min_length=1, max_length=200)
    valid_from_date: dt.date
    valid_until_date: dt.date | None = None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)

    @field_validator("name")
    @classmethod
    def strip(cls, value: str) -> str:
        return value.strip()


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="El token en claro; solo se muestra esta vez.")


def _agents(request: HttpRequest) -> list[Agent]:
    return list(
        Agent.objects.visible_to(request.user)
        .select_related("user")
        .prefetch_related("areas", "certifications")
        .order_by("user__last_name", "user__first_name", "id")
    )


def _agent(request: HttpRequest, agent_id: int) -> Agent:
    qs = Agent.objects.visible_to(request.user).select_related("user")
    return get_object_or_404(qs.prefetch_related("areas", "certifications"), pk=agent_id)


@router.get("me", response=MeOut, summary="El usuario actual")
def me(request: HttpRequest) -> MeOut:
    user: User = request.user  # type: ignore[assignment]
    agent = Agent.objects.filter(user=user).prefetch_related("areas", "certifications").first()
    return MeOut(
        id=user.pk,
        username=user.username,
        full_name=user.get_full_name(),
        email=user.email,
        role=user.role,
        organisation_id=user.organisation_id,
        agent=AgentOut.from_agent(agent) if agent else None,
    )


@router.get("agents", response=list[AgentOut], summary="Agentes de la mesa")
def list_agents(request: HttpRequest) -> list[AgentOut]:
    return [AgentOut.from_agent(a) for a in _agents(request)]


@router.get(
    "agents/{agent_id}", response={200: AgentOut, 404: ErrorOut}, summary="Un agente de la mesa"
)
def get_agent(request: HttpRequest, agent_id: int) -> AgentOut:
    return AgentOut.from_agent(_agent(request, agent_id))


@router.post(
    "agents/{agent_id}/level",
    response={200: AgentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Cambiar el nivel de soporte (nivel 4: dos certificaciones vigentes)",
)
def set_level(request: HttpRequest, agent_id: int, payload: LevelIn) -> AgentOut:
    agent = _agent(request, agent_id)
    services.set_agent_level(
        actor=request.user,  # type: ignore[arg-type]
        agent=agent,
        level=payload.level,
        now=clock.now(),
    )
    return AgentOut.from_agent(_agent(request, agent_id))


@router.post(
    "agents/{agent_id}/certifications",
    response={201: CertificationOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Registrar una certificación",
)
def add_certification(
    request: HttpRequest, agent_id: int, payload: CertificationIn
) -> Status[CertificationOut]:
    agent = _agent(request, agent_id)
    cert = services.add_certification(
        actor=request.user,  # type: ignore[arg-type]
        agent=agent,
        data=services.CertificationInput(**payload.model_dump()),
        now=clock.now(),
    )
    return Status(201, CertificationOut.model_validate(cert, from_attributes=True))


@router.get(
    "organisations", response=list[OrganisationOut], summary="Organizaciones cliente visibles"
)
def list_organisations(
    request: HttpRequest, after_id: int = 0, limit: int = 50
) -> list[Organisation]:
    limit = max(1, min(limit, MAX_PAGE))
    qs = Organisation.objects.visible_to(request.user).filter(pk__gt=after_id)
    return list(qs.order_by("id")[:limit])


@router.get(
    "organisations/{org_id}",
    response={200: OrganisationOut, 404: ErrorOut},
    summary="Una organización cliente",
)
def get_organisation(request: HttpRequest, org_id: int) -> Organisation:
    return get_object_or_404(Organisation.objects.visible_to(request.user), pk=org_id)


@router.get("people", response=list[PersonOut], summary="Personas de las organizaciones")
def list_people(
    request: HttpRequest,
    organisation_id: int | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[Person]:
    limit = max(1, min(limit, MAX_PAGE))
    qs = Person.objects.visible_to(request.user).filter(pk__gt=after_id)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return list(qs.order_by("id")[:limit])


@router.get(
    "people/{person_id}",
    response={200: PersonOut, 404: ErrorOut},
    summary="Una persona de una organización",
)
def get_person(request: HttpRequest, person_id: int) -> Person:
    return get_object_or_404(Person.objects.visible_to(request.user), pk=person_id)


@router.get("tokens", response=list[TokenOut], summary="Mis tokens de API")
def list_tokens(request: HttpRequest) -> list[ApiToken]:
    return list(
        ApiToken.objects.filter(user_id=int(request.user.pk or 0)).order_by("-created_at", "-id")
    )


@router.post("tokens", response={201: TokenCreatedOut, 422: ErrorOut}, summary="Crear un token")
def create_token(request: HttpRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    token, plain = services.create_api_token(user=request.user, name=payload.name)  # type: ignore[arg-type]
    out = TokenOut.model_validate(token, from_attributes=True)
    return Status(201, TokenCreatedOut(**out.model_dump(), token=plain))


@router.delete(
    "tokens/{token_id}",
    response={200: TokenOut, 403: ErrorOut, 404: ErrorOut},  # 403: schemathesis found it
    summary="Revocar",
)
def revoke_token(request: HttpRequest, token_id: int) -> ApiToken:
    return services.revoke_api_token(
        user=request.user,  # type: ignore[arg-type]
        token_id=token_id,
        now=clock.now(),
    )
