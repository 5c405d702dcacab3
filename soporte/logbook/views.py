"""Pages of the bitácora. Views are glue: authorise, validate, one service call, render.

Access: every logbook and entry is obtained through `visible_to`, so another organisation's
logbook, entry, drawing, PDF or export is a 404, never a 403.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from soporte.directory.models import Role, User
from soporte.lib import clock
from soporte.lib.errors import DomainError, Forbidden
from soporte.lib.params import parse_id
from soporte.logbook import export, handout, pdf, printing, services, tasks
from soporte.logbook.forms import (
    EQUIPMENT_SUBJECT,
    PAGE_KINDS,
    AddToForm,
    AnnulForm,
    EntryForm,
    OnSiteForm,
)
from soporte.logbook.models import (
    COUNTERSIGNED_KINDS,
    MAINTENANCE_KINDS,
    Checkpoint,
    Entry,
    EntryKind,
    Logbook,
    LogbookKind,
    PdfBuildStatus,
    Signature,
    SignatureMethod,
    SignerSide,
)

PAGE_SIZE = 50


# --- access -------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


def _logbook(request: HttpRequest, logbook_id: int) -> Logbook:
    return get_object_or_404(
        Logbook.objects.visible_to(request.user).select_related("organisation"), pk=logbook_id
    )


def _entry(request: HttpRequest, logbook_id: int, number: int) -> Entry:
    queryset = (
        Entry.objects.visible_to(request.user)
        .select_related("logbook__organisation", "references", "acceptance")
        .prefetch_related(*pdf.related_entries())
    )
    return get_object_or_404(queryset, logbook_id=logbook_id, number=number)


def _domain_error(exc: DomainError) -> None:
    """A rule said no. `Forbidden` is an access answer (403); the rest are messages."""
    if isinstance(exc, Forbidden):
        raise PermissionDenied(str(exc)) from exc


# --- presentation -------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryState:
    """What a reader sees about an entry besides its content: signature status and chain."""

    status: str
    label: str
    chain: list[pdf.Reference]

    @property
    def annulled(self) -> bool:
        return any(ref.annuls for ref in self.chain)

    @property
    def pending(self) -> bool:
        return self.status == "pending"


def _state(entry: Entry, now: dt.datetime) -> EntryState:
    status = services.status_of(entry, now=now)
    return EntryState(status, str(pdf.STATUS_LABELS[status]), pdf.references_of(entry))


def _customer_signers(logbook: Logbook) -> QuerySet[User]:
    """Who may sign on site for the customer: the authorised signers of the opening entry."""
    return User.objects.filter(
        pk__in=logbook.signers.filter(side=SignerSide.CUSTOMER).values("user_id"),
        role=Role.CUSTOMER,
        organisation_id=logbook.organisation_id,
        is_active=True,
    ).order_by("first_name", "last_name", "id")


def _pending_counts(logbooks: QuerySet[Logbook], now: dt.datetime) -> QuerySet[Logbook]:
    """Annotate each logbook with its entries still waiting for the customer (`status_of`).

    Pending = no acceptance, needs a countersignature, and its deadline (which depends on the
    logbook) has not passed. One window per distinct deadline keeps it one grouped query.
    """
    windows = Q()
    for days in logbooks.order_by().values_list("countersign_days", flat=True).distinct():
        windows |= Q(countersign_days=days, entries__created_at__gt=now - dt.timedelta(days=days))
    rule = Q(entries__version__gte=2, entries__countersign=True) | Q(
        entries__version=1, entries__kind__in=COUNTERSIGNED_KINDS
    )
    pending = Q(kind=LogbookKind.CUSTOMER) & Q(entries__acceptance__isnull=True) & rule & windows
    return logbooks.annotate(pending_count=Count("entries", filter=pending))


# --- logbooks -----------------------------------------------------------------------------


@require_GET
@login_required
def logbook_list(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    logbooks = _pending_counts(
        Logbook.objects.visible_to(request.user).select_related("organisation"), now
    ).order_by(F("closed_at").asc(nulls_first=True), "title", "id")  # open ones first
    return render(request, "logbook/logbook_list.html", {"logbooks": logbooks})


@require_GET
@login_required
def logbook_detail(request: HttpRequest, logbook_id: int) -> HttpResponse:
    logbook = _logbook(request, logbook_id)
    now = clock.now()
    kind = request.GET.get("tipo", "")
    if kind not in EntryKind.values:
        kind = ""
    before = parse_id(request.GET.get("antes", ""))
    # Keyset pagination by folio: the page after folio N starts below N, whatever its depth.
    entries = logbook.entries.all()
    if kind:
        entries = entries.filter(kind=kind)
    if before is not None:
        entries = entries.filter(number__lt=before)
    page = list(
        entries.select_related("references", "acceptance")
        .prefetch_related(*pdf.related_entries())
        .order_by("-number")[: PAGE_SIZE + 1]
    )
    has_more = len(page) > PAGE_SIZE
    rows = [(entry, _state(entry, now)) for entry in page[:PAGE_SIZE]]
    last_checkpoint = logbook.checkpoints.order_by("-created_at", "-id").first()
    context = {
        "logbook": logbook,
        "rows": rows,
        "kind": kind,
        "kinds": EntryKind.choices,
        "before": "" if before is None else before,
        "next_before": rows[-1][0].number if has_more else None,
        "last_checkpoint": last_checkpoint,
        "can_write": _user(request).is_desk_staff and logbook.is_open,
        "desk_key": pdf.desk_key_fingerprint(now),
        "countersigned_kinds": [EntryKind(k).label for k in COUNTERSIGNED_KINDS],
        "handout": _handout_checkpoint(logbook),
        "pending_here": (
            services.pending_for(_user(request), now=now).filter(logbook=logbook).count()
            if _user(request).is_customer
            else 0
        ),
    }
    template = "logbook/logbook_detail.html"
    if getattr(request, "htmx", False):
        template += "#entries"
    return render(request, template, context)


@require_POST
@login_required
def logbook_export(request: HttpRequest, logbook_id: int) -> FileResponse:
    """The same verifiable file as the API: signs a checkpoint, then writes every entry."""
    logbook = _logbook(request, logbook_id)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    export.export_logbook(logbook, handle, now=clock.now())
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"bitacora-{logbook.pk}.jsonl",
        content_type="application/x-ndjson",
    )


def _pdf_response(handle: Any, filename: str) -> FileResponse:
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )


def _printed(
    request: HttpRequest,
    *,
    key: str,
    filename: str,
    title: str,
    logbook: Logbook | None = None,
    equipment_id: str = "",
) -> HttpResponse | FileResponse:
    """The file when this state was already printed; otherwise its build's progress page
    (202), which asks again every second (htmx) and offers the download once it is ready.
    The web process never renders (`printing`)."""
    htmx = bool(getattr(request, "htmx", False))
    template = "logbook/pdf_build.html" + ("#progress" if htmx else "")
    context: dict[str, Any] = {"title": title, "url": request.path, "ready": True}
    handle = printing.cached(key)
    if handle is not None:
        if not htmx:
            return _pdf_response(handle, filename)
        handle.close()  # the progress page asks: it is ready, offer the download
        return render(request, template, context)
    try:
        build = tasks.request_pdf_build(
            key=key,
            user=_user(request),
            now=clock.now(),
            logbook=logbook,
            equipment_id=equipment_id,
        )
        if build.status == PdfBuildStatus.FAILED:
            raise printing.refusal(build)
    except printing.PrintRefused as refused:
        if not htmx:
            return _print_refused(request, refused)
        # htmx swaps only 2xx answers: the progress box shows the refusal and stops asking.
        return render(request, template, {**context, "refused": refused})
    ready = build.status == PdfBuildStatus.DONE
    context.update(build=build, ready=ready)
    return render(request, template, context, status=200 if ready else 202)


@require_GET
@login_required
def logbook_pdf(request: HttpRequest, logbook_id: int) -> HttpResponse | FileResponse:
    """Built by the worker, once per state of the logbook (`printing`); a refusal is a page
    saying when to ask again, with Retry-After."""
    logbook = _logbook(request, logbook_id)
    return _printed(
        request,
        key=printing.logbook_key(logbook, now=clock.now()),
        filename=f"bitacora-{logbook.pk}.pdf",
        title=logbook.title,
        logbook=logbook,
    )


def _print_refused(request: HttpRequest, refused: printing.PrintRefused) -> HttpResponse:
    response = render(
        request, "logbook/print_refused.html", {"message": refused.message}, status=refused.status
    )
    response["Retry-After"] = str(refused.retry_after)
    return response


@require_GET
@login_required
def equipment_pdf(request: HttpRequest, equipment_id: str) -> HttpResponse | FileResponse:
    """One piece of equipment's history across every logbook the person may read."""
    entries = Entry.objects.visible_to(request.user).filter(
        subject_type=EQUIPMENT_SUBJECT, subject_id=equipment_id
    )
    if not entries.exists():
        raise Http404
    safe_id = "".join(c if c.isalnum() or c in "-_" else "_" for c in equipment_id)[:40]
    key = printing.equipment_key(
        user_id=_user(request).pk, equipment_id=equipment_id, entries=entries, now=clock.now()
    )
    return _printed(
        request,
        key=key,
        filename=f"equipo-{safe_id}.pdf",
        title=_("Historia del equipo %(id)s") % {"id": equipment_id},
        equipment_id=equipment_id,
    )


# --- entries ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def entry_new(request: HttpRequest, logbook_id: int) -> HttpResponse:
    logbook = _logbook(request, logbook_id)
    user = _staff(request)
    kind = request.POST.get("kind") or request.GET.get("tipo") or EntryKind.PREVENTIVE
    if kind not in PAGE_KINDS:
        kind = EntryKind.PREVENTIVE
    if request.method == "POST":
        form = EntryForm(request.POST, kind=kind, author=user)
        if form.is_valid():
            try:
                entry = services.append_entry(
                    logbook=logbook,
                    kind=kind,
                    author=user,
                    summary=form.cleaned_data["summary"],
                    fields=form.element_values(),
                    subject=form.subject(),
                    now=clock.now(),
                )
            except DomainError as exc:
                _domain_error(exc)
                form.add_error(None, str(exc))
                form.mark_missing(exc.details.get("missing", []))
            else:
                messages.success(
                    request,
                    _("Nota %(number)d registrada y firmada.") % {"number": entry.number},
                )
                return redirect("logbook:entry_detail", logbook.pk, entry.number)
    else:
        form = EntryForm(kind=kind, author=user)
    kinds = [(value, label) for value, label in EntryKind.choices if value in PAGE_KINDS]
    return render(
        request,
        "logbook/entry_form.html",
        {"logbook": logbook, "form": form, "kind": kind, "kinds": kinds},
    )


def _render_entry(
    request: HttpRequest,
    entry: Entry,
    *,
    now: dt.datetime,
    add_form: AddToForm | None = None,
    annul_form: AnnulForm | None = None,
) -> HttpResponse:
    user = _user(request)
    state = _state(entry, now)
    elements, extra = pdf.field_rows(entry)
    signatures = list(entry.signatures.all())
    logbook = entry.logbook
    is_staff = user.is_desk_staff
    pending = state.pending
    annullable = (
        is_staff
        and logbook.is_open
        and entry.kind not in services.NOT_ANNULLABLE
        and not state.annulled
    )
    context = {
        "logbook": logbook,
        "entry": entry,
        "state": state,
        "elements": elements,
        "extra_fields": extra,
        "numbered_elements": entry.kind in MAINTENANCE_KINDS,
        "signatures": signatures,
        "certified_keys": pdf.certified_keys(entry),
        "is_equipment": entry.subject_type == EQUIPMENT_SUBJECT,
        "can_sign_portal": pending and services.can_countersign(entry, user),
        "can_sign_on_site": pending
        and (
            services.can_countersign(entry, user)
            or (is_staff and services.needs_countersignature(entry))
        ),
        "can_add": is_staff and logbook.is_open,
        "can_annul": annullable,
        "add_form": add_form or AddToForm(),
        "annul_form": annul_form or AnnulForm(entry=entry),
    }
    return render(request, "logbook/entry_detail.html", context)


@require_GET
@login_required
def entry_detail(request: HttpRequest, logbook_id: int, number: int) -> HttpResponse:
    entry = _entry(request, logbook_id, number)
    return _render_entry(request, entry, now=clock.now())


@require_POST
@login_required
def entry_add(request: HttpRequest, logbook_id: int, number: int) -> HttpResponse:
    """An addition: a new note that references this one (the original is never edited)."""
    entry = _entry(request, logbook_id, number)
    user = _staff(request)
    now = clock.now()
    form = AddToForm(request.POST)
    if form.is_valid():
        try:
            addition = services.append_entry(
                logbook=entry.logbook,
                kind=EntryKind.NOTE,
                author=user,
                summary=form.cleaned_data["summary"],
                fields=form.fields_for_entry(),
                references=entry,
                now=now,
            )
        except DomainError as exc:
            _domain_error(exc)
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Nota %(number)d registrada: se agrega a la nota %(original)d.")
                % {"number": addition.number, "original": entry.number},
            )
            return redirect("logbook:entry_detail", entry.logbook_id, addition.number)
    return _render_entry(request, entry, now=now, add_form=form)


@require_POST
@login_required
def entry_annul(request: HttpRequest, logbook_id: int, number: int) -> HttpResponse:
    entry = _entry(request, logbook_id, number)
    user = _staff(request)
    now = clock.now()
    form = AnnulForm(request.POST, entry=entry)
    if form.is_valid():
        try:
            annulment, corrected = services.annul_entry(
                entry=entry,
                actor=user,
                reason=form.cleaned_data["reason"],
                correction=form.correction(),
                now=now,
            )
        except DomainError as exc:
            _domain_error(exc)
            form.add_error(None, str(exc))
            form.mark_missing(exc.details.get("missing", []))
        else:
            if corrected is not None:
                messages.success(
                    request,
                    _(
                        "Nota %(number)d anulada con la nota %(annulment)d; la corrección es la nota %(corrected)d."
                    )
                    % {
                        "number": entry.number,
                        "annulment": annulment.number,
                        "corrected": corrected.number,
                    },
                )
            else:
                messages.success(
                    request,
                    _("Nota %(number)d anulada con la nota %(annulment)d.")
                    % {"number": entry.number, "annulment": annulment.number},
                )
            return redirect("logbook:entry_detail", entry.logbook_id, entry.number)
    return _render_entry(request, entry, now=now, annul_form=form)


# --- countersignatures --------------------------------------------------------------------


@require_POST
@login_required
def entry_countersign(request: HttpRequest, logbook_id: int, number: int) -> HttpResponse:
    """Signing in the portal is a deliberate act: the entry goes to the review list, where the
    customer reads it and confirms (no one-tap signature)."""
    entry = _entry(request, logbook_id, number)
    if not services.can_countersign(entry, _user(request)):
        raise PermissionDenied
    return redirect(f"{reverse('logbook:review')}?nota={entry.pk}")


# --- the customer's review list -----------------------------------------------------------

MAX_BATCH = 100


def _customer(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_customer:
        raise PermissionDenied
    return user


def _chosen(request: HttpRequest, user: User, now: dt.datetime) -> list[Entry]:
    ids = [i for i in (parse_id(v) for v in request.POST.getlist("nota")[:MAX_BATCH]) if i]
    return list(
        services.pending_for(user, now=now)
        .filter(pk__in=ids)
        .select_related("references", "acceptance")
        .prefetch_related(*pdf.related_entries())
    )


def _review_rows(entries: list[Entry], now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for entry in entries:
        elements, extra = pdf.field_rows(entry)
        rows.append(
            {
                "entry": entry,
                "state": _state(entry, now),
                "elements": [(label, value) for label, value in elements if value] + extra,
                "deadline": services.countersign_deadline(entry),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@login_required
def review(request: HttpRequest) -> HttpResponse:
    """The entries waiting for this customer's signature, each readable in full. Signing is
    two steps: choose one or several, then confirm on a page that lists exactly those."""
    user = _customer(request)
    now = clock.now()
    if request.method == "POST":
        chosen = _chosen(request, user, now)
        if not chosen:
            messages.error(request, _("Elija al menos una nota para firmar."))
            return redirect("logbook:review")
        if request.POST.get("confirmar") != "1":
            return render(
                request,
                "logbook/review_confirm.html",
                {"rows": _review_rows(chosen, now)},
            )
        try:
            signed = services.countersign_entries(entries=chosen, signer=user, now=now)
        except DomainError as exc:
            _domain_error(exc)
            messages.error(request, str(exc))
            return redirect("logbook:review")
        messages.success(
            request,
            ngettext("Firmó %(count)d nota.", "Firmó %(count)d notas.", len(signed))
            % {"count": len(signed)},
        )
        return redirect("logbook:review")
    pending = list(
        services.pending_for(user, now=now)
        .select_related("references", "acceptance")
        .prefetch_related(*pdf.related_entries())[:MAX_BATCH]
    )
    preselected = parse_id(request.GET.get("nota", ""))
    return render(
        request,
        "logbook/review.html",
        {
            "rows": _review_rows(pending, now),
            "preselected": preselected,
            "countersigned_kinds": [EntryKind(k).label for k in COUNTERSIGNED_KINDS],
        },
    )


# --- checkpoints handed to the customer ----------------------------------------------------


def _handout_checkpoint(logbook: Logbook) -> Checkpoint | None:
    return (
        logbook.checkpoints.filter(version__gte=2)
        .select_related("key", "logbook")
        .order_by("-created_at", "-id")
        .first()
    )


@require_GET
@login_required
def checkpoint_download(request: HttpRequest, logbook_id: int) -> HttpResponse:
    """The latest signed checkpoint, as the small file the customer keeps (and receives by
    e-mail each day): `verify EXPORT --checkpoint FILE` proves an export still holds it."""
    logbook = _logbook(request, logbook_id)
    checkpoint = _handout_checkpoint(logbook)
    if checkpoint is None:
        raise Http404
    response = HttpResponse(handout.checkpoint_bytes(checkpoint), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{handout.filename(checkpoint)}"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def entry_sign_on_site(request: HttpRequest, logbook_id: int, number: int) -> HttpResponse:
    """The customer draws their signature on the technician's phone or tablet.

    On the technician's session the customer proves who they are with their own portal
    password; a customer on their own session only draws.
    """
    user = _user(request)
    entry = _entry(request, logbook_id, number)
    if user.is_desk_staff:
        signers: QuerySet[User] | None = _customer_signers(entry.logbook)
    elif services.can_countersign(entry, user):
        signers = None
    else:
        raise PermissionDenied
    now = clock.now()
    state = _state(entry, now)
    if request.method == "POST":
        form = OnSiteForm(request.POST, signers=signers)
        if form.is_valid():
            signer = form.cleaned_data["signer"] if signers is not None else user
            try:
                services.countersign_entry(
                    entry=entry,
                    signer=signer,
                    method=SignatureMethod.ON_SITE,
                    drawn_png=form.cleaned_data["drawing"],
                    now=now,
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Nota %(number)d firmada en sitio por %(name)s.")
                    % {"number": entry.number, "name": signer},
                )
                return redirect("logbook:entry_detail", entry.logbook_id, entry.number)
    else:
        form = OnSiteForm(signers=signers)
    elements, _extra = pdf.field_rows(entry)
    return render(
        request,
        "logbook/entry_sign.html",
        {
            "logbook": entry.logbook,
            "entry": entry,
            "state": state,
            "form": form,
            "elements": [(label, value) for label, value in elements if value],
            "no_signers": signers is not None and not signers.exists(),
        },
    )


@require_GET
@login_required
def signature_drawing(
    request: HttpRequest, logbook_id: int, number: int, signature_id: int
) -> HttpResponse:
    """The drawn signature, as PNG bytes from an access-checked entry (never inline HTML)."""
    entry = _entry(request, logbook_id, number)
    signature = get_object_or_404(
        Signature.objects.filter(entry=entry, drawn_png__isnull=False), pk=signature_id
    )
    response = HttpResponse(bytes(signature.drawn_png or b""), content_type="image/png")
    # Signed drawings never change; only the people who may read the entry may cache it.
    response["Cache-Control"] = "private, max-age=86400"
    return response
