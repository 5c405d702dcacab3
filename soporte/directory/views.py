"""Pages of the directory: agents, organisations and people. Views are glue."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from soporte.directory import services
from soporte.directory.models import Agent, ApiToken, Level, Organisation, Person, Presence, User
from soporte.lib import clock
from soporte.lib.errors import DomainError


def _staff_required(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(label=gettext_lazy("Nivel"), choices=Level.choices, coerce=int)


class CertificationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Certificación"), max_length=200)
    issuer = forms.CharField(label=gettext_lazy("Emisor"), max_length=200)
    valid_from_date = forms.DateField(
        label=gettext_lazy("Válida desde"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until_date = forms.DateField(
        label=gettext_lazy("Válida hasta"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("valid_from_date"), data.get("valid_until_date")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            raise forms.ValidationError(
                _("La fecha de vencimiento no puede ser anterior a la de inicio.")
            )
        return data


class PresenceForm(forms.Form):
    presence = forms.ChoiceField(label=gettext_lazy("Presencia"), choices=Presence.choices)


@login_required
def agent_list(request: HttpRequest) -> HttpResponse:
    _staff_required(request)
    agents = (
        Agent.objects.visible_to(request.user)
        .select_related("user")
        .prefetch_related("areas", "certifications")
        .order_by("-level", "user__first_name", "id")
    )
    today = clock.desk_date(clock.now())
    rows = [(a, len(a.valid_certifications(today))) for a in agents]
    return render(request, "directory/agent_list.html", {"rows": rows, "Presence": Presence})


@login_required
def agent_detail(request: HttpRequest, agent_id: int) -> HttpResponse:
    user = _staff_required(request)
    agent = get_object_or_404(
        Agent.objects.visible_to(user).select_related("user").prefetch_related("areas"),
        pk=agent_id,
    )
    today = clock.desk_date(clock.now())
    certifications = list(agent.certifications.order_by("-valid_from_date", "id"))
    return render(
        request,
        "directory/agent_detail.html",
        {
            "agent": agent,
            "certifications": [(c, c.is_valid_on(today)) for c in certifications],
            "valid_count": sum(1 for c in certifications if c.is_valid_on(today)),
            "level_form": LevelForm(initial={"level": agent.level}),
            "certification_form": CertificationForm(),
            "can_manage": user.is_manager,
        },
    )


@require_POST
@login_required
def agent_set_level(request: HttpRequest, agent_id: int) -> HttpResponse:
    user = _staff_required(request)
    agent = get_object_or_404(Agent.objects.visible_to(user), pk=agent_id)
    form = LevelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Elige un nivel del 1 al 4."))
    else:
        try:
            services.set_agent_level(
                actor=user, agent=agent, level=form.cleaned_data["level"], now=clock.now()
            )
            messages.success(request, _("Nivel actualizado."))
        except DomainError as exc:
            messages.error(request, str(exc))
    return redirect("directory:agent_detail", agent_id=agent.pk)


@require_POST
@login_required
def agent_add_certification(request: HttpRequest, agent_id: int) -> HttpResponse:
    user = _staff_required(request)
    agent = get_object_or_404(Agent.objects.visible_to(user), pk=agent_id)
    form = CertificationForm(request.POST)
    if form.is_valid():
        try:
            services.add_certification(
                actor=user,
                agent=agent,
                data=services.CertificationInput(**form.cleaned_data),
                now=clock.now(),
            )
            messages.success(request, _("Certificación registrada."))
            return redirect("directory:agent_detail", agent_id=agent.pk)
        except DomainError as exc:
            form.add_error(None, str(exc))
    for error in form.non_field_errors():
        messages.error(request, str(error))
    for field in form:
        for error in field.errors:
            messages.error(request, f"{field.label}: {error}")
    return redirect("directory:agent_detail", agent_id=agent.pk)


@require_POST
@login_required
def my_presence(request: HttpRequest) -> HttpResponse:
    user = _staff_required(request)
    agent = Agent.objects.filter(user=user).first()
    form = PresenceForm(request.POST)
    if agent is None or not form.is_valid():
        messages.error(request, _("No se pudo cambiar la presencia."))
    else:
        services.set_presence(agent=agent, presence=form.cleaned_data["presence"], now=clock.now())
    return redirect(request.POST.get("next") or "home")


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    organisations = (
        Organisation.objects.visible_to(request.user)
        .annotate(people_count=Count("people"))
        .order_by("name", "id")
    )
    return render(request, "directory/organisation_list.html", {"organisations": organisations})


@login_required
def organisation_detail(request: HttpRequest, org_id: int) -> HttpResponse:
    organisation = get_object_or_404(
        Organisation.objects.visible_to(request.user).prefetch_related(
            Prefetch("people", queryset=Person.objects.order_by("full_name", "id"))
        ),
        pk=org_id,
    )
    return render(request, "directory/organisation_detail.html", {"organisation": organisation})


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related("organisation"), pk=person_id
    )
    return render(request, "directory/person_detail.html", {"person": person})


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    created_plain = None
    if request.method == "POST":
        try:
            _token, created_plain = services.create_api_token(
                user=user, name=request.POST.get("name", "")
            )
            messages.success(request, _("Token creado. Cópialo ahora: no se volverá a mostrar."))
        except DomainError as exc:
            messages.error(request, str(exc))
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    return render(
        request, "directory/token_list.html", {"tokens": tokens, "created_plain": created_plain}
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        services.revoke_api_token(user=request.user, token_id=token_id, now=clock.now())  # type: ignore[arg-type]
        messages.success(request, _("Token revocado."))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("directory:tokens")
