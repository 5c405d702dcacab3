"""Forms of the tickets' pages: they parse what people type; the rules stay in `services`.

Choices come from the visible querysets (one access gate), so a form never offers, nor
accepts, another organisation's people or a ticket the person cannot see.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import pretty_name
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from soporte.directory.models import Agent, Area, Level, Organisation, Person, Presence, User
from soporte.lib.limits import TEXT_MAX_CHARS
from soporte.lib.params import parse_id
from soporte.lib.refcache import reference
from soporte.tickets import attachments, services
from soporte.tickets.models import (
    Channel,
    Direction,
    Priority,
    Status,
    SupportKind,
    Ticket,
)

# What a rule's error code is about, so the message appears next to the field it concerns.
ERROR_FIELDS = {
    "requester_org": "requester",
    "decider_org": "decision_maker",
    "invalid_level": "level",
    "remote_session": "remote_session_id",
    "auxiliary_acknowledgement": "auxiliary_acknowledged",
    "handoff_incomplete": None,
    "escalation_direction": "to_level",
    "invalid_area": "to_area",
    "empty_note": "body",
    "invalid_satisfaction": "satisfaction",
    "device_org": "device",
}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; read with `read_files` (bounded, never whole if huge)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    content_type: str


def read_files(files: list[Any]) -> list[Upload]:
    """At most one byte past the limit is read, enough for `check_upload` to refuse."""
    return [
        Upload(f.name or "archivo", f.read(attachments.MAX_BYTES + 1), f.content_type or "")
        for f in files
    ]


# The page already shows the auxiliary warning above its checkbox; the error says what to do.
ERROR_HINTS = {
    "auxiliary_acknowledgement": _(
        "Marque la casilla: el cliente debe darse por enterado de la advertencia."
    ),
}


def add_rule_error(form: forms.Form, code: str, message: str) -> None:
    """Show a service's refusal next to the field it is about (or on top of the form)."""
    field = ERROR_FIELDS.get(code)
    if field in form.fields:
        form.add_error(field, str(ERROR_HINTS.get(code, message)))
    else:
        form.add_error(None, message)


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _files_help() -> str:
    return gettext("Hasta %(n)d archivos de %(mb)d MB cada uno.") % {
        "n": attachments.MAX_FILES_PER_UPLOAD,
        "mb": attachments.MAX_BYTES // 2**20,
    }


FILES_HELP = lazy(_files_help, str)()


# --- the desk -----------------------------------------------------------------------------


class TicketForm(forms.Form):
    """A ticket opened by the desk from any channel (phone, e-mail, in person, proactive)."""

    organisation = forms.ModelChoiceField(
        label=_("Organización"), queryset=Organisation.objects.none()
    )
    requester = forms.ModelChoiceField(
        label=_("Solicitante"),
        queryset=Person.objects.none(),
        empty_label=_("Elija al solicitante…"),
        help_text=_("Quien reporta el problema."),
    )
    decision_maker = forms.ModelChoiceField(
        label=_("Decisor (atención indirecta)"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=_("El mismo solicitante"),
        help_text=_("Solo si otra persona aprueba el trabajo."),
    )
    channel = forms.ChoiceField(label=_("Canal"), choices=Channel.choices, initial=Channel.PHONE)
    direction = forms.ChoiceField(
        label=pgettext_lazy("sentido de la atención", "Dirección"),
        choices=Direction.choices,
        initial=Direction.REACTIVE,
    )
    support_kind = forms.ChoiceField(
        label=_("Tipo de soporte"), choices=SupportKind.choices, initial=SupportKind.DISTANCE
    )
    remote_tool = forms.CharField(
        label=_("Herramienta remota"),
        required=False,
        help_text=_("Obligatoria con acceso remoto."),
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": "AnyDesk, RustDesk, TeamViewer…"}),
    )
    remote_session_id = forms.CharField(
        label=_("Id de la sesión remota"),
        required=False,
        max_length=120,
        help_text=_("Obligatorio con acceso remoto."),
    )
    auxiliary_acknowledged = forms.BooleanField(
        label=_("El cliente se da por enterado de la advertencia"), required=False
    )
    level = forms.TypedChoiceField(
        label=_("Nivel"), choices=Level.choices, coerce=int, initial=Level.L1
    )
    area = forms.ModelChoiceField(
        label=_("Área"),
        queryset=Area.objects.order_by("name", "id"),
        required=False,
        empty_label=_("Sin área"),
    )
    priority = forms.ChoiceField(
        label=_("Prioridad"), choices=Priority.choices, initial=Priority.NORMAL
    )
    subject = forms.CharField(label=_("Asunto"), max_length=200)
    description = forms.CharField(
        label=_("Descripción"), max_length=TEXT_MAX_CHARS, widget=_textarea(5)
    )
    device = forms.ModelChoiceField(
        label=_("Equipo del registro"),
        queryset=Ticket.objects.none(),
        required=False,
        empty_label=_("Ninguno (o no está registrado)"),
    )
    equipment = forms.CharField(
        label=_("Equipo afectado"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Marca, modelo, número de inventario")}),
    )
    chargeable = forms.BooleanField(
        label=_("Trabajo con costo (lo aprueba el decisor en el portal)"), required=False
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Required only with remote access: the label says when, never "(opcional)".
        for name in ("remote_tool", "remote_session_id"):
            self.fields[name].required_when = _("con acceso remoto")  # type: ignore[attr-defined]
        organisations = Organisation.objects.visible_to(actor).filter(is_active=True)
        self.fields["organisation"].queryset = organisations.order_by("name", "id")  # type: ignore[attr-defined]
        people = self.people_of(actor, self.chosen_organisation_id())
        self.fields["requester"].queryset = people  # type: ignore[attr-defined]
        self.fields["decision_maker"].queryset = people.decision_makers()  # type: ignore[attr-defined]
        self.fields["device"].queryset = devices_of(actor, self.chosen_organisation_id())  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("support_kind") == SupportKind.REMOTE_ACCESS:
            # Every missing field highlighted with its message, not only the first one.
            for name in ("remote_tool", "remote_session_id"):
                if not (data.get(name) or "").strip() and name not in self.errors:
                    self.add_error(name, _("Obligatorio con acceso remoto."))
        return data

    def chosen_organisation_id(self) -> int | None:
        raw = (
            self.data.get("organisation") if self.is_bound else self.initial.get("organisation", "")
        )
        return parse_id(raw or "")

    @staticmethod
    def people_of(actor: User, organisation_id: int | None) -> Any:
        if organisation_id is None:
            return Person.objects.none()
        return (
            Person.objects.visible_to(actor)
            .filter(organisation_id=organisation_id)
            .order_by("full_name", "id")
        )

    def new_ticket(self) -> services.NewTicket:
        data = self.cleaned_data
        return services.NewTicket(
            organisation=data["organisation"],
            requester=data["requester"],
            decision_maker=data["decision_maker"],
            subject=data["subject"],
            description=data["description"],
            channel=data["channel"],
            direction=data["direction"],
            support_kind=data["support_kind"],
            level=data["level"],
            area=data["area"],
            priority=data["priority"],
            equipment=data["equipment"],
            device_id=data["device"].pk if data.get("device") else None,
            remote_tool=data["remote_tool"],
            remote_session_id=data["remote_session_id"],
            auxiliary_acknowledged=data["auxiliary_acknowledged"],
            chargeable=data["chargeable"],
        )


def devices_of(actor: User, organisation_id: int | None) -> Any:
    """The organisation's devices in service that this person may see (the equipment
    registry, read through the app registry: tickets do not import inventory)."""
    device_model = Ticket._meta.get_field("device").related_model
    manager: Any = device_model._default_manager  # type: ignore[union-attr]
    if organisation_id is None:
        return manager.none()
    return (
        manager.visible_to(actor)
        .filter(organisation_id=organisation_id, retired_at__isnull=True)
        .order_by("inventory_tag", "id")
    )


def agent_choices(actor: User) -> QuerySet[Agent]:
    return (
        Agent.objects.visible_to(actor)
        .filter(user__is_active=True)
        .select_related("user")
        .order_by("level", "user__first_name", "user__last_name", "id")
    )


def agent_options(actor: User) -> tuple[tuple[int, str], ...]:
    """(id, label) of `agent_choices`, labelled as `AgentChoiceField` does, without building
    a model per agent: the queue and ticket pages write the <select> themselves."""
    if not getattr(actor, "is_desk_staff", False):
        return ()
    return _staff_agent_options(get_language())


@reference(Agent, User, Agent.areas.through)
def _staff_agent_options(language: str) -> tuple[tuple[int, str], ...]:
    # `language` keys the cache: the presence words are in the active language.
    presence = {value: str(label) for value, label in Presence.choices}
    rows = (
        Agent.objects.filter(user__is_active=True)
        .order_by("level", "user__first_name", "user__last_name", "id")
        .values_list(
            "pk", "level", "presence", "user__first_name", "user__last_name", "user__username"
        )
    )
    return tuple(
        (pk, f"{f'{first} {last}'.strip() or username} · N{level} · {presence.get(p, p)}")
        for pk, level, p, first, last, username in rows
    )


@reference(Area)
def area_options() -> tuple[tuple[int, str], ...]:
    return tuple(Area.objects.order_by("name", "id").values_list("pk", "name"))


@reference(Organisation)
def staff_organisation_options() -> tuple[tuple[int, str], ...]:
    """Every organisation, for the desk's filters (staff see all of them)."""
    return tuple(Organisation.objects.order_by("name", "id").values_list("pk", "name"))


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · N{obj.level} · {obj.get_presence_display()}"


class TicketIdsField(forms.ModelMultipleChoiceField):
    """Checked tickets by id; a value that is no id is an unknown ticket (not a database
    error: the SQLite driver refuses integers beyond 64 bits)."""

    def clean(self, value: Any) -> Any:
        for item in value or ():
            if parse_id(item) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super().clean(value)


class BulkAssignForm(forms.Form):
    tickets = TicketIdsField(
        label=_("Tickets"),
        queryset=Ticket.objects.none(),
        error_messages={"required": _("Marque al menos un ticket.")},
    )
    agent = AgentChoiceField(
        label=_("Asignar a"),
        queryset=Agent.objects.none(),
        empty_label=_("Elija un agente…"),
        error_messages={"required": _("Elija a quién asignar.")},
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tickets"].queryset = Ticket.objects.visible_to(actor).open()  # type: ignore[attr-defined]
        self.fields["agent"].queryset = agent_choices(actor)  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    agent = AgentChoiceField(
        label=_("Asignar a"), queryset=Agent.objects.none(), empty_label=_("Elija un agente…")
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agent_choices(actor)  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(choices=Status.choices)
    comment = forms.CharField(label=_("Comentario"), required=False, max_length=300)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Prioridad"), choices=Priority.choices)
    # Not "reason": the hand-off form on the same page has one (ids must be unique).
    priority_reason = forms.CharField(label=_("Motivo"), required=False, max_length=300)


class EscalateForm(forms.Form):
    """The hand-off note (rule X2): whoever receives never asks the customer to repeat."""

    to_level = forms.TypedChoiceField(label=_("Al nivel"), choices=Level.choices, coerce=int)
    to_area = forms.ModelChoiceField(
        label=_("Al área"),
        queryset=Area.objects.order_by("name", "id"),
        required=False,
        empty_label=_("Cualquier área del nivel"),
    )
    # A pick, never free text (`services.handoff_customer_names`): the name handed on is the
    # requester's or a colleague's on record, not a spelling that differs from the ticket.
    customer_name = forms.ChoiceField(label=_("Nombre del cliente"), choices=())
    reason = forms.CharField(
        label=_("Motivo del escalamiento"), max_length=TEXT_MAX_CHARS, widget=_textarea(3)
    )
    tried = forms.CharField(
        label=_("Lo que ya se intentó"), max_length=TEXT_MAX_CHARS, widget=_textarea(3)
    )

    def __init__(self, *args: Any, customer_names: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer_name"].choices = [(name, name) for name in customer_names]  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Nota"), max_length=TEXT_MAX_CHARS, widget=_textarea(4))
    internal = forms.BooleanField(label=_("Nota interna (el cliente no la ve)"), required=False)
    uploads = MultipleFileField(label=_("Adjuntos"), help_text=FILES_HELP)


# --- the customer portal ------------------------------------------------------------------


class PortalTicketForm(forms.Form):
    subject = forms.CharField(
        label=_("Asunto"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Por ejemplo: la impresora no imprime")}),
    )
    description = forms.CharField(
        label=_("¿Qué sucede?"),
        max_length=TEXT_MAX_CHARS,
        widget=_textarea(6),
        help_text=_("Desde cuándo pasa, qué mensaje aparece y qué ya intentó."),
    )
    device = forms.ModelChoiceField(
        label=_("¿Cuál de sus equipos?"),
        queryset=Ticket.objects.none(),
        required=False,
        empty_label=_("No está en la lista / no sé"),
    )
    equipment = forms.CharField(
        label=_("Equipo afectado"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Marca, modelo o número de inventario")}),
    )
    decision_maker = forms.ModelChoiceField(
        label=_("¿Quién autoriza trabajos con costo?"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=_("Yo mismo"),
    )
    uploads = MultipleFileField(
        label=_("Adjuntos (capturas de pantalla, fotos)"), help_text=FILES_HELP
    )

    def __init__(self, *args: Any, actor: User, person: Person | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deciders = Person.objects.visible_to(actor).decision_makers().order_by("full_name", "id")
        if person is not None:
            deciders = deciders.exclude(pk=person.pk)
        self.fields["decision_maker"].queryset = deciders  # type: ignore[attr-defined]
        self.fields["device"].queryset = devices_of(  # type: ignore[attr-defined]
            actor, person.organisation_id if person is not None else None
        )

    def new_ticket(self, person: Person) -> services.NewTicket:
        data = self.cleaned_data
        return services.NewTicket(
            organisation=person.organisation,
            requester=person,
            decision_maker=data["decision_maker"],
            subject=data["subject"],
            description=data["description"],
            equipment=data["equipment"],
            device_id=data["device"].pk if data.get("device") else None,
            channel=Channel.PORTAL,
            direction=Direction.REACTIVE,
            support_kind=SupportKind.DISTANCE,
        )


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Su respuesta"), max_length=TEXT_MAX_CHARS, widget=_textarea(4))
    uploads = MultipleFileField(label=_("Adjuntos"), help_text=FILES_HELP)


class ApprovalForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Aprobar")), ("reject", _("Rechazar"))],
        error_messages={"required": _("Elija aprobar o rechazar.")},
    )
    comment = forms.CharField(label=_("Comentario"), required=False, max_length=500)


SATISFACTION = [
    (5, _("5 · Muy satisfecho")),
    (4, _("4 · Satisfecho")),
    (3, _("3 · Regular")),
    (2, _("2 · Insatisfecho")),
    (1, _("1 · Muy insatisfecho")),
]


class SurveyForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("¿Qué tan satisfecho quedó con la atención?"),
        choices=SATISFACTION,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Elija del 1 al 5.")},
    )
    resolved = forms.TypedChoiceField(
        label=_("¿Se resolvió su problema?"),
        choices=[("yes", _("Sí")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Responda sí o no.")},
    )
    comment = forms.CharField(
        label=_("Comentario"), required=False, max_length=2000, widget=_textarea(3)
    )


# --- empty forms for the ticket page -------------------------------------------------------


@dataclass(frozen=True)
class BlankField:
    """What the page's form controls (jinja2/tickets/_controls.html) read of a BoundField
    of an unbound form: the same names, ids, labels and initial value."""

    html_name: str
    auto_id: str
    label: str
    help_text: str
    field: forms.Field
    initial: Any
    errors: tuple[str, ...] = ()

    def value(self) -> Any:
        return self.initial


class BlankForm:
    """An unbound form as the ticket page prints it, without building a Django form: the
    page offers four forms on every view and only a failed POST needs real ones."""

    errors: dict[str, Any] = {}

    def __init__(self, fields: dict[str, BlankField]) -> None:
        self._fields = fields

    def __getitem__(self, name: str) -> BlankField:
        return self._fields[name]

    def non_field_errors(self) -> tuple[str, ...]:
        return ()


@functools.lru_cache(maxsize=64)
def _blank_fields(form_class: type[forms.Form], language: str | None) -> dict[str, BlankField]:
    return {
        name: BlankField(
            html_name=name,
            auto_id=f"id_{name}",
            label=str(field.label) if field.label is not None else pretty_name(name),
            help_text=str(field.help_text),
            field=field,
            initial=field.initial,
        )
        for name, field in form_class.base_fields.items()
    }


def blank(form_class: type[forms.Form], **initial: Any) -> BlankForm:
    """`form_class(initial=initial)` as far as the ticket page's template can tell."""
    fields = _blank_fields(form_class, get_language())
    if initial:
        fields = fields | {
            name: dataclasses.replace(fields[name], initial=value)
            for name, value in initial.items()
        }
    return BlankForm(fields)
