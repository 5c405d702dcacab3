"""Pages of QA: a call's scorecard with the supervisor's review, the glossary (D4) and the
averages per agent, per level and per rule.

Views are glue: authorise, validate, one service call of `qa`, render. QA is the desk's
internal business: customers get 403 on every page; agents read; supervisors review and edit
the glossary (the services refuse anyone else too).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from soporte.calls import qa
from soporte.calls.models import (
    Call,
    CallState,
    GlossaryTerm,
    Scorecard,
    ScoreLine,
    Speaker,
    Verdict,
)
from soporte.directory.models import User
from soporte.lib import clock
from soporte.lib.errors import DomainError

DEFAULT_DAYS = 30
RECENT_CARDS = 50


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


def _manager(request: HttpRequest) -> User:
    user = _staff(request)
    if not user.is_manager:
        raise PermissionDenied(_("Solo un supervisor puede hacer esto."))
    return user


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=gettext_lazy("Veredicto del supervisor"),
        choices=[(v.value, v.label) for v in qa.REVIEW_VERDICTS],
    )
    comment = forms.CharField(
        label=gettext_lazy("Comentario"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": gettext_lazy("Escriba un comentario que explique la revisión.")
        },
    )


class TranscriptFileForm(forms.Form):
    archivo = forms.FileField(
        label=gettext_lazy("Archivo de transcripción"),
        help_text=gettext_lazy(
            "WebVTT (.vtt) con etiquetas de voz, SubRip (.srt) con «Nombre: …» o el JSON de "
            "una herramienta de voz a texto (segmentos con «speaker» o «channel»); hasta 2 MB."
        ),
        error_messages={"required": gettext_lazy("Elija el archivo de la transcripción.")},
    )
    first_speaker = forms.ChoiceField(
        label=gettext_lazy("Si el archivo no nombra a los hablantes, el primero es"),
        choices=[
            (Speaker.AGENT.value, Speaker.AGENT.label),
            (Speaker.CALLER.value, Speaker.CALLER.label),
        ],
        initial=Speaker.AGENT.value,
    )


class TermForm(forms.Form):
    term = forms.CharField(label=gettext_lazy("Término técnico"), max_length=100)
    plain = forms.CharField(label=gettext_lazy("En palabras sencillas"), max_length=300)


# The dates a QA range may name, and its longest span: past them a range is refused with a
# form error (year 1 to 9999 overflowed the desk's time-zone arithmetic: issue #19).
RANGE_FIRST_DATE = dt.date(2000, 1, 1)
RANGE_LAST_DATE = dt.date(2099, 12, 31)
RANGE_MAX_DAYS = 731


class RangeForm(forms.Form):
    desde = forms.DateField(
        label=gettext_lazy("Desde"),
        required=False,
        validators=[MinValueValidator(RANGE_FIRST_DATE), MaxValueValidator(RANGE_LAST_DATE)],
    )
    hasta = forms.DateField(
        label=gettext_lazy("Hasta"),
        required=False,
        validators=[MinValueValidator(RANGE_FIRST_DATE), MaxValueValidator(RANGE_LAST_DATE)],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("desde"), data.get("hasta")
        if start and end and abs((end - start).days) >= RANGE_MAX_DAYS:
            raise forms.ValidationError(
                _("El periodo puede abarcar hasta %(n)d días.") % {"n": RANGE_MAX_DAYS},
                code="range_too_long",
            )
        return data


# --- scorecard --------------------------------------------------------------------------


def _call(user: User, call_id: int) -> Call:
    return get_object_or_404(
        Call.objects.visible_to(user).select_related("agent__user", "line"), pk=call_id
    )


def _render_scorecard(
    request: HttpRequest,
    call: Call,
    *,
    forms_by_line: dict[int, ReviewForm] | None = None,
    upload_form: TranscriptFileForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    card = Scorecard.objects.select_related("agent__user").filter(call=call).first()
    lines = qa.ordered_lines(card) if card else []
    forms_by_line = forms_by_line or {}
    rows = [
        {
            "line": line,
            "name": qa.rule_name(line.rule),
            "form": forms_by_line.get(line.pk)
            or ReviewForm(initial={"verdict": line.override or _suggested(line)}),
        }
        for line in lines
    ]
    return render(
        request,
        "calls/qa/scorecard.html",
        {
            "call": call,
            "card": card,
            "rows": rows,
            "turns": [(t, qa.at_ms(t.start_ms)) for t in call.turns.order_by("start_ms", "id")],
            "can_review": user.is_manager,
            "upload_form": upload_form or TranscriptFileForm(),
            "can_upload": call.state == CallState.ENDED and call.answered_at is not None,
            "overrides": sum(1 for line in lines if line.override),
            "pending": sum(1 for line in lines if line.final == Verdict.PENDING),
        },
        status=status,
    )


def _suggested(line: ScoreLine) -> str:
    return line.verdict if line.verdict in qa.REVIEW_VERDICTS else Verdict.PASSED


@require_GET
@login_required
def scorecard(request: HttpRequest, call_id: int) -> HttpResponse:
    user = _staff(request)
    return _render_scorecard(request, _call(user, call_id))


@require_POST
@login_required
def review(request: HttpRequest, call_id: int, line_id: int) -> HttpResponse:
    user = _manager(request)
    call = _call(user, call_id)
    line = get_object_or_404(ScoreLine, pk=line_id, scorecard__call=call)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            qa.review_line(
                actor=user,
                line=line,
                verdict=form.cleaned_data["verdict"],
                comment=form.cleaned_data["comment"],
                now=clock.now(),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Revisión guardada: %(rule)s %(name)s.")
                % {"rule": line.rule, "name": qa.rule_name(line.rule)},
            )
            return redirect(reverse("calls:qa_scorecard", args=[call.pk]) + f"#linea-{line.pk}")
    return _render_scorecard(request, call, forms_by_line={line.pk: form}, status=422)


@require_POST
@login_required
def upload_transcript(request: HttpRequest, call_id: int) -> HttpResponse:
    """A transcript file for the call: stored, the call re-scored, or refused with the reason
    (nothing stored); the speaker choice is kept on a refusal."""
    user = _staff(request)
    call = _call(user, call_id)
    form = TranscriptFileForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["archivo"]
        try:
            card = qa.save_transcript_file(
                actor=user,
                call=call,
                name=upload.name or "",
                # One byte past the limit is enough for the service to refuse a large file.
                data=upload.read(qa.MAX_FILE_BYTES + 1),
                first_speaker=form.cleaned_data["first_speaker"],
                now=clock.now(),
            )
        except DomainError as exc:
            form.add_error("archivo", str(exc))
        else:
            turns = call.turns.count()
            messages.success(
                request,
                _("Transcripción guardada: %(n)d turnos; puntaje %(score)s.")
                % {
                    "n": turns,
                    "score": "—" if card.score is None else f"{card.score:.1f} %",
                },
            )
            return redirect("calls:qa_scorecard", call.pk)
    return _render_scorecard(request, call, upload_form=form, status=422)


# --- glossary ---------------------------------------------------------------------------


def _terms() -> QuerySet[GlossaryTerm]:
    return GlossaryTerm.objects.order_by("term", "id")


def _render_glossary(
    request: HttpRequest,
    *,
    form: TermForm | None = None,
    editing: GlossaryTerm | None = None,
    edit_form: TermForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "calls/qa/glossary.html",
        {
            "terms": _terms(),
            "form": form or TermForm(),
            "editing": editing,
            "edit_form": edit_form,
            "can_edit": user.is_manager,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def glossary(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        _staff(request)
        return _render_glossary(request)
    user = _manager(request)
    form = TermForm(request.POST)
    if form.is_valid():
        try:
            term = qa.add_term(actor=user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("«%(term)s» se agregó al glosario.") % {"term": term.term})
            return redirect("calls:qa_glossary")
    return _render_glossary(request, form=form, status=422)


@require_http_methods(["GET", "POST"])
@login_required
def glossary_edit(request: HttpRequest, term_id: int) -> HttpResponse:
    user = _manager(request)
    term = get_object_or_404(GlossaryTerm, pk=term_id)
    if request.method == "GET":
        edit_form = TermForm(initial={"term": term.term, "plain": term.plain})
        return _render_glossary(request, editing=term, edit_form=edit_form)
    edit_form = TermForm(request.POST)
    if edit_form.is_valid():
        try:
            qa.update_term(actor=user, glossary_term=term, **edit_form.cleaned_data)
        except DomainError as exc:
            edit_form.add_error(None, str(exc))
        else:
            messages.success(request, _("«%(term)s» se actualizó.") % {"term": term.term})
            return redirect("calls:qa_glossary")
    term.refresh_from_db()
    return _render_glossary(request, editing=term, edit_form=edit_form, status=422)


@require_POST
@login_required
def glossary_delete(request: HttpRequest, term_id: int) -> HttpResponse:
    user = _manager(request)
    term = get_object_or_404(GlossaryTerm, pk=term_id)
    name = term.term
    qa.delete_term(actor=user, glossary_term=term)
    messages.success(request, _("«%(term)s» se quitó del glosario.") % {"term": name})
    return redirect("calls:qa_glossary")


# --- averages ---------------------------------------------------------------------------


def desk_range(start_date: dt.date, end_date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Whole desk days [start_date, end_date] as the half-open [start, end) of datetimes."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(start_date, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start, end


@require_GET
@login_required
def averages(request: HttpRequest) -> HttpResponse:
    _staff(request)
    today = clock.desk_date(clock.now())
    form = RangeForm(request.GET)
    start_date = today - dt.timedelta(days=DEFAULT_DAYS - 1)
    end_date = today
    if form.is_valid():
        start_date = form.cleaned_data["desde"] or start_date
        end_date = form.cleaned_data["hasta"] or end_date
        if end_date < start_date:
            form.add_error("hasta", _("La fecha final no puede ser anterior a la inicial."))
            start_date, end_date = end_date, start_date
    start_at, end_at = desk_range(start_date, end_date)
    result = qa.averages(start_at=start_at, end_at=end_at)
    recent = (
        Scorecard.objects.filter(call__started_at__gte=start_at, call__started_at__lt=end_at)
        .select_related("call", "agent__user")
        .order_by("-call__started_at", "-id")[:RECENT_CARDS]
    )
    return render(
        request,
        "calls/qa/averages.html",
        {
            "form": form,
            "start_date": start_date,
            "end_date": end_date,
            "result": result,
            "recent": recent,
        },
        # A refused range still shows the page (the default period) with the form's error.
        status=400 if form.errors else 200,
    )
