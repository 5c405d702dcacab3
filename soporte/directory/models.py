"""People of the desk: organisations, their people, agents with levels and certifications.

Access to every protected type goes through `<Model>.objects.visible_to(actor)`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, ClassVar, TypeVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person may do in Soporte. Supervisors and administrators are roles, not levels."""

    CUSTOMER = "customer", _("Cliente")
    AGENT = "agent", _("Agente")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrador")


STAFF_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
MANAGER_ROLES = (Role.SUPERVISOR, Role.ADMIN)


class SoporteUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)

    def create_user(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        if extra.get("organisation") is None and extra.get("organisation_id") is None:
            extra.setdefault("role", Role.AGENT)
        return super().create_user(username, email, password, **extra)


class User(AbstractUser):
    """Anyone who signs in: agents, supervisors, administrators and customers of the portal."""

    role = models.CharField(_("rol"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("organización"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("Solo para clientes: la empresa cuyos datos puede ver."),
    )
    phone = models.CharField(_("teléfono"), max_length=32, blank=True)

    objects: ClassVar[SoporteUserManager] = SoporteUserManager()

    class Meta:
        verbose_name = _("usuario")
        verbose_name_plural = _("usuarios")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="directory_user_role_valid"
            ),
            # A customer always belongs to exactly one organisation; staff never do.
            models.CheckConstraint(
                condition=(Q(role=Role.CUSTOMER) & Q(organisation__isnull=False))
                | (~Q(role=Role.CUSTOMER) & Q(organisation__isnull=True)),
                name="directory_user_customer_has_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_desk_staff(self) -> bool:
        return self.is_active and self.role in STAFF_ROLES

    @property
    def is_manager(self) -> bool:
        return self.is_active and self.role in MANAGER_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def first_name_or_username(self) -> str:
        return (self.first_name or self.username).split(" ")[0]


def _actor_is_staff(actor: Any) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False) and getattr(actor, "is_desk_staff", False)
    )


def _customer_organisation_id(actor: Any) -> int | None:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return None
    if actor.role != Role.CUSTOMER:
        return None
    return int(actor.organisation_id) if actor.organisation_id else None


QS = TypeVar("QS", bound="models.QuerySet[Any]")


def scoped_to_organisation(queryset: QS, actor: Any, field: str = "organisation_id") -> QS:
    """The one rule behind every `visible_to`: staff see all; a customer only the rows of
    their own organisation; anybody else nothing."""
    scope = organisation_scope(actor)
    if scope is ALL_ORGANISATIONS:
        return queryset.all()
    return queryset.filter(**{field: scope}) if scope else queryset.none()


ALL_ORGANISATIONS: Any = object()


def organisation_scope(actor: Any) -> Any:
    """The same rule for hand-written SQL: ALL_ORGANISATIONS (staff), the one organisation's
    id (a customer), or None (nothing)."""
    if _actor_is_staff(actor):
        return ALL_ORGANISATIONS
    return _customer_organisation_id(actor)


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def visible_to(self, actor: Any) -> OrganisationQuerySet:
        """Staff see every organisation; a customer sees only their own."""
        return scoped_to_organisation(self, actor, field="pk")


class Organisation(models.Model):
    """A customer company served by the desk."""

    name = models.CharField(_("nombre"), max_length=200)
    legal_name = models.CharField(_("razón social"), max_length=200, blank=True)
    tax_id = models.CharField(_("RFC"), max_length=20, blank=True)
    phone = models.CharField(_("teléfono"), max_length=32, blank=True)
    email = models.EmailField(_("correo"), blank=True)
    address = models.TextField(_("dirección"), blank=True)
    contract_reference = models.CharField(_("contrato"), max_length=64, blank=True)
    is_active = models.BooleanField(_("activa"), default=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organización")
        verbose_name_plural = _("organizaciones")
        constraints = [
            models.UniqueConstraint(fields=["name"], name="directory_organisation_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactRole(models.TextChoices):
    """A person's role toward a request (seed 004: atención directa / indirecta)."""

    REQUESTER = "requester", _("Solicitante")
    DECISION_MAKER = "decision_maker", _("Decisor")
    BOTH = "both", _("Solicitante y decisor")


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, actor: Any) -> PersonQuerySet:
        return scoped_to_organisation(self, actor)

    def decision_makers(self) -> PersonQuerySet:
        return self.filter(contact_role__in=[ContactRole.DECISION_MAKER, ContactRole.BOTH])


class Person(models.Model):
    """A contact at a customer organisation; may or may not sign in to the portal."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organización"),
        on_delete=models.PROTECT,
        related_name="people",
    )
    full_name = models.CharField(_("nombre completo"), max_length=200)
    email = models.EmailField(_("correo"), blank=True)
    phone = models.CharField(_("teléfono"), max_length=32, blank=True)
    job_title = models.CharField(_("puesto"), max_length=120, blank=True)
    contact_role = models.CharField(
        _("papel en las solicitudes"),
        max_length=16,
        choices=ContactRole.choices,
        default=ContactRole.REQUESTER,
        help_text=_(
            "El decisor aprueba el trabajo con costo; cuando el solicitante no decide, "
            "la atención es indirecta."
        ),
    )
    user = models.OneToOneField(
        User,
        verbose_name=_("acceso al portal"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="person",
    )
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_role__in=ContactRole.values),
                name="directory_person_contact_role_valid",
            ),
        ]
        indexes = [
            # Caller lookup by number on an incoming call (screen-pop).
            models.Index(fields=["phone"], name="directory_person_phone_idx"),
            # Inbound e-mail: who is this sender?
            models.Index(fields=["email"], name="directory_person_email_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def can_decide(self) -> bool:
        return self.contact_role in (ContactRole.DECISION_MAKER, ContactRole.BOTH)

    @property
    def first_name(self) -> str:
        return self.full_name.split(" ")[0]


class Level(models.IntegerChoices):
    """Support levels (seed 004). Level 4 needs at least two valid certifications."""

    L1 = 1, _("Nivel 1 · información y síntomas")
    L2 = 2, _("Nivel 2 · apoyo en áreas de conocimiento")
    L3 = 3, _("Nivel 3 · expertos, investigan soluciones")
    L4 = 4, _("Nivel 4 · servidores Microsoft/Linux")


LEVEL4_MIN_CERTIFICATIONS = 2


class Presence(models.TextChoices):
    AVAILABLE = "available", _("Disponible")
    ON_CALL = "on_call", _("En llamada")
    AWAY = "away", _("Ausente")
    OFFLINE = "offline", _("Desconectado")


class Area(models.Model):
    """An area of knowledge (redes, impresoras, servidores…), used to route escalations."""

    code = models.SlugField(_("código"), max_length=40)
    name = models.CharField(_("nombre"), max_length=100)

    class Meta:
        verbose_name = _("área de conocimiento")
        verbose_name_plural = _("áreas de conocimiento")
        constraints = [models.UniqueConstraint(fields=["code"], name="directory_area_code_unique")]

    def __str__(self) -> str:
        return self.name


class AgentQuerySet(models.QuerySet["Agent"]):
    def visible_to(self, actor: Any) -> AgentQuerySet:
        """The agent directory is internal to the desk."""
        return self.all() if _actor_is_staff(actor) else self.none()


class Agent(models.Model):
    """A member of the desk who attends requests at a support level."""

    user = models.OneToOneField(
        User, verbose_name=_("usuario"), on_delete=models.PROTECT, related_name="agent"
    )
    level = models.PositiveSmallIntegerField(_("nivel"), choices=Level.choices, default=Level.L1)
    areas = models.ManyToManyField(Area, verbose_name=_("áreas"), blank=True, related_name="agents")
    presence = models.CharField(
        _("presencia"), max_length=16, choices=Presence.choices, default=Presence.OFFLINE
    )
    presence_changed_at = models.DateTimeField(_("presencia desde"), null=True, blank=True)
    extension = models.CharField(_("extensión"), max_length=16, blank=True)
    # Set when a level-4 agent drops below two valid certifications: the agent keeps the
    # level until a supervisor acts, but everybody sees the flag (never a silent demotion).
    level_flagged_at = models.DateTimeField(_("nivel observado desde"), null=True, blank=True)
    level_flag_reason = models.CharField(_("motivo de la observación"), max_length=200, blank=True)

    objects = AgentQuerySet.as_manager()

    class Meta:
        verbose_name = _("agente")
        verbose_name_plural = _("agentes")
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="directory_agent_level_1_4"
            ),
            models.CheckConstraint(
                condition=Q(presence__in=Presence.values), name="directory_agent_presence_valid"
            ),
        ]
        indexes = [
            # Routing: available agents of a level (escalations, transfers).
            models.Index(fields=["level", "presence"], name="directory_agent_routing_idx"),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def name(self) -> str:
        return str(self.user)

    @property
    def first_name(self) -> str:
        return self.user.first_name_or_username

    def valid_certifications(self, on_date: dt.date) -> list[Certification]:
        return [c for c in self.certifications.all() if c.is_valid_on(on_date)]


class Certification(models.Model):
    agent = models.ForeignKey(
        Agent, verbose_name=_("agente"), on_delete=models.PROTECT, related_name="certifications"
    )
    name = models.CharField(_("certificación"), max_length=200)
    issuer = models.CharField(_("emisor"), max_length=200)
    valid_from_date = models.DateField(_("válida desde"))
    valid_until_date = models.DateField(
        _("válida hasta"), null=True, blank=True, help_text=_("Vacía si no vence.")
    )
    created_at = models.DateTimeField(_("registrada"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificación")
        verbose_name_plural = _("certificaciones")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until_date__isnull=True)
                | Q(valid_until_date__gte=models.F("valid_from_date")),
                name="directory_certification_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer})"

    def is_valid_on(self, on_date: dt.date) -> bool:
        """Valid on every day of [valid_from_date, valid_until_date] (inclusive)."""
        if on_date < self.valid_from_date:
            return False
        return self.valid_until_date is None or on_date <= self.valid_until_date


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token for machines. Only its SHA-256 is stored; the owner sees it once."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("nombre"), max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("token de API")
        verbose_name_plural = _("tokens de API")
        constraints = [
            models.UniqueConstraint(fields=["key_hash"], name="directory_apitoken_hash_unique"),
        ]
        indexes = [
            # Bearer authentication looks the token up by its public prefix.
            models.Index(fields=["prefix"], name="directory_apitoken_prefix_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        # Tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force.
        return hashlib.sha256(key.encode()).hexdigest()
