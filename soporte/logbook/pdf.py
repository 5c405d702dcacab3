"""The printable bitácora: a whole logbook, or one piece of equipment's history, as a PDF.

Built with reportlab's platypus. Every entry shows its folio, date (desk time zone), kind,
status, the eleven elements for maintenance entries, the chain of references, its signers
with their drawn signatures, and its hash; the document states the last checkpoint the desk
signed, so a printed copy can be checked against an export.

The first half of this module says how an entry reads (status, references, fields); the
pages use the same words, so the screen and the paper never disagree.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from soporte.logbook import services
from soporte.logbook.forms import DETAIL_KEY, DETAIL_LABEL
from soporte.logbook.models import (
    MAINTENANCE_KINDS,
    Acceptance,
    Checkpoint,
    Entry,
    EntryKind,
    Logbook,
    Signature,
    SignerSide,
)

# --- how an entry reads -------------------------------------------------------------------

STATUS_LABELS: dict[str, Any] = {
    "pending": gettext_lazy("Pendiente de firma"),
    Acceptance.Kind.COUNTERSIGNED.value: Acceptance.Kind.COUNTERSIGNED.label,
    Acceptance.Kind.TACIT.value: Acceptance.Kind.TACIT.label,
    "not_required": gettext_lazy("No requiere firma"),
}

# Labels of the fields that are not elements of a kind: what the opening, annulments, notes,
# tickets, escalations and calls write (an app that writes a new field adds its label here).
EXTRA_LABELS: dict[str, Any] = {
    "reason": gettext_lazy("Motivo"),
    "deadline_days": gettext_lazy("Plazo para firmar (días)"),
    "signers": gettext_lazy("Firmantes autorizados"),
    "title": gettext_lazy("Título"),
    "contract_reference": gettext_lazy("Contrato"),
    DETAIL_KEY: DETAIL_LABEL,
    "folio": gettext_lazy("Folio del ticket"),
    "requester": gettext_lazy("Solicitante"),
    "decision_maker": gettext_lazy("Decisor"),
    "channel": gettext_lazy("Canal"),
    "support_kind": gettext_lazy("Tipo de soporte"),
    "level": gettext_lazy("Nivel"),
    "description": gettext_lazy("Descripción"),
    "warning": gettext_lazy("Advertencia"),
    "remote": gettext_lazy("Herramienta y sesión remota"),
    "comment": gettext_lazy("Comentario"),
    "body": gettext_lazy("Texto de la nota"),
    "files": gettext_lazy("Archivos"),
    "customer_name": gettext_lazy("Cliente"),
    "tried": gettext_lazy("Lo que ya se intentó"),
    "to_agent": gettext_lazy("Pasa a"),
    "to_area": gettext_lazy("Área"),
    "when": gettext_lazy("Fecha y hora de la llamada"),
    "who": gettext_lazy("Quién llamó"),
    "agent": gettext_lazy("Atendió"),
    "outcome": gettext_lazy("Resultado"),
    "ticket": gettext_lazy("Ticket"),
}
DATE_KEYS = {"evaluated_date", "date"}
DATETIME_KEYS = {"damage_at"}
LEVEL_KEYS = {"level"}


@dataclass(frozen=True)
class Reference:
    text: str
    number: int
    annuls: bool = False


def related_entries() -> list[Prefetch]:
    """What `references_of` and the signature list read, fetched once per page of entries."""
    by_number = Entry.objects.order_by("number")
    return [
        Prefetch("signatures", queryset=Signature.objects.select_related("key").order_by("id")),
        Prefetch("referenced_by", queryset=by_number),
        Prefetch("references__referenced_by", queryset=by_number),
    ]


def _is_correction(entry: Entry, original: Entry) -> bool:
    """`annul_entry` writes the annulment and, right after it, the corrected entry."""
    return entry.kind != EntryKind.ANNULMENT and any(
        other.kind == EntryKind.ANNULMENT and other.number == entry.number - 1
        for other in original.referenced_by.all()
    )


def references_of(entry: Entry) -> list[Reference]:
    """The chain both ways: what this entry annuls, corrects or adds to, and what did so to it.

    Reads `references__referenced_by` and `referenced_by` (see `related_entries`).
    """
    chain: list[Reference] = []
    original = entry.references
    if original is not None:
        number = {"number": original.number}
        if entry.kind == EntryKind.ANNULMENT:
            text = _("anula la nota %(number)d") % number
        elif _is_correction(entry, original):
            text = _("corrige la nota %(number)d") % number
        else:
            text = _("se agrega a la nota %(number)d") % number
        chain.append(Reference(text, original.number))
    for later in entry.referenced_by.all():
        number = {"number": later.number}
        if later.kind == EntryKind.ANNULMENT:
            chain.append(
                Reference(_("anulada por la nota %(number)d") % number, later.number, True)
            )
        elif _is_correction(later, entry):
            chain.append(Reference(_("corregida por la nota %(number)d") % number, later.number))
        else:
            chain.append(Reference(_("ampliada en la nota %(number)d") % number, later.number))
    return chain


def field_label(key: str) -> Any:
    """The label a person reads for a stored field key (never the raw key when it is known)."""
    for known, label in (
        *services.ELEVEN_ELEMENTS,
        *services.MANUAL_ELEMENTS,
        *services.OPENING_ELEMENTS,
    ):
        if known == key:
            return label
    return EXTRA_LABELS.get(key, key.replace("_", " ").capitalize())


def display_value(key: str, value: Any) -> str:
    """Dates typed in a form are stored as ISO text; people read them in the desk's format."""
    text = str(value)
    if key in LEVEL_KEYS and text.isdigit():
        return _("Nivel %(level)s") % {"level": text}
    if key in DATETIME_KEYS:
        moment = parse_datetime(text)
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return date_format(moment, "j M Y, H:i")
    if key in DATE_KEYS:
        day = parse_date(text)
        if day is not None:
            return date_format(day, "j M Y")
    return text


def field_rows(entry: Entry) -> tuple[list[tuple[Any, str]], list[tuple[Any, str]]]:
    """(the elements of the entry's kind in the seed's order, any other stored fields)."""
    elements = services.required_elements(entry.kind)
    known = {key for key, _label in elements}
    rows = [(label, display_value(key, entry.fields.get(key, ""))) for key, label in elements]
    extra = [
        (field_label(key), display_value(key, value))
        for key, value in entry.fields.items()
        if key not in known
    ]
    return rows, extra


@dataclass(frozen=True)
class CertifiedKey:
    owner: str
    side: str
    fingerprint: str
    system: bool


def certified_keys(entry: Entry) -> list[CertifiedKey]:
    """The keys an opening or a `keys` entry brings into the logbook, as people read them."""
    from soporte.logbook.chain import grouped

    return [
        CertifiedKey(
            owner=item["owner"]["name"],
            side=str(SignerSide(item["side"]).label),
            fingerprint=grouped(item["key"]),
            system=bool(item.get("system")),
        )
        for item in entry.trust.get("keys", [])
    ]


def desk_key_fingerprint(now: dt.datetime) -> str:
    """The desk's key, as printed on the contract's PDF and shown in the portal."""
    from soporte.logbook import keys
    from soporte.logbook.chain import grouped

    return grouped(keys.desk_key(now=now).fingerprint)


def local(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "j M Y, H:i")


# --- paper --------------------------------------------------------------------------------

INK = colors.HexColor("#1b2a4a")
MUTED = colors.HexColor("#5d6b82")
RULE = colors.HexColor("#c9d1dc")
BAND = colors.HexColor("#eef2f7")
STATUS_COLOURS = {
    "pending": "#a15c00",
    "countersigned": "#11662f",
    "tacit": "#134b86",
    "not_required": "#5d6b82",
}
MARGIN = 18 * mm
# platypus frames keep 6 pt of padding on each side inside the page margins.
FRAME_WIDTH = A4[0] - 2 * MARGIN - 12
DRAWING_BOX = (48 * mm, 18 * mm)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontSize=9, leading=11.5, textColor=INK)
    return {
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontSize=17, leading=21, textColor=INK, alignment=0
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontSize=10, leading=13, textColor=MUTED
        ),
        "body": body,
        "bold": ParagraphStyle("bold", parent=body, fontName="Helvetica-Bold"),
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=MUTED),
        "label": ParagraphStyle("label", parent=body, fontSize=8, leading=10, textColor=MUTED),
        "head": ParagraphStyle(
            "head", parent=body, fontName="Helvetica-Bold", fontSize=10.5, leading=13
        ),
        "status": ParagraphStyle(
            "status", parent=body, fontName="Helvetica-Bold", fontSize=8.5, alignment=TA_RIGHT
        ),
        "hash": ParagraphStyle(
            "hash", parent=body, fontName="Courier", fontSize=7, leading=9, textColor=MUTED
        ),
    }


def _text(value: Any) -> str:
    """User text as reportlab markup: escaped, with its line breaks kept."""
    return escape(str(value)).replace("\n", "<br/>")


# A table row never splits across pages (reportlab refuses a row taller than a page: issue
# #19, defect 1), so a long value is cut into rows of at most this many lines and characters;
# the table splits between them and the value flows from page to page.
PIECE_LINES = 30
PIECE_CHARS = 1500


def _pieces(value: str) -> list[str]:
    pieces: list[str] = []
    lines: list[str] = []
    size = 0
    for line in value.split("\n"):
        while len(line) > PIECE_CHARS:
            if lines:
                pieces.append("\n".join(lines))
                lines, size = [], 0
            pieces.append(line[:PIECE_CHARS])
            line = line[PIECE_CHARS:]
        if lines and (len(lines) >= PIECE_LINES or size + len(line) > PIECE_CHARS):
            pieces.append("\n".join(lines))
            lines, size = [], 0
        lines.append(line)
        size += len(line) + 1
    if lines and any(lines):
        pieces.append("\n".join(lines))
    return pieces


def _drawing(png: bytes) -> Flowable | None:
    try:
        reader = ImageReader(io.BytesIO(png))
        width, height = reader.getSize()
    except Exception:  # a damaged drawing must not stop the printout
        return None
    scale = min(DRAWING_BOX[0] / width, DRAWING_BOX[1] / height)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale)


def _signatures_table(signatures: list[Signature], styles: dict[str, ParagraphStyle]) -> Table:
    rows = []
    for sig in signatures:
        who = Paragraph(
            f"<b>{_text(sig.signer_name)}</b> · {_text(sig.get_role_display())}<br/>"
            f"{_text(sig.get_method_display())} · {_text(local(sig.signed_at))}<br/>"
            f"<font name='Courier' size='7'>{_text(_('Llave'))} {_text(sig.key.fingerprint[:16])}…</font>",
            styles["body"],
        )
        drawing = _drawing(bytes(sig.drawn_png)) if sig.drawn_png else None
        rows.append([who, drawing or ""])
    table = Table(rows, colWidths=[FRAME_WIDTH - DRAWING_BOX[0] - 6 * mm, DRAWING_BOX[0] + 6 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _fields_table(
    rows: list[tuple[str, str]], styles: dict[str, ParagraphStyle], label: str = ""
) -> Table:
    data: list[list[Any]] = []
    for name, value in rows:
        pieces = _pieces(str(value)) or ["—"]
        data.append(
            [Paragraph(_text(name), styles["label"]), Paragraph(_text(pieces[0]), styles["body"])]
        )
        data += [["", Paragraph(_text(piece), styles["body"])] for piece in pieces[1:]]
    if label:
        data.insert(0, [Paragraph(_text(label), styles["label"]), ""])
    table = Table(data, colWidths=[52 * mm, FRAME_WIDTH - 52 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _entry_flowables(
    entry: Entry, *, now: dt.datetime, styles: dict[str, ParagraphStyle], show_logbook: bool
) -> list[Flowable]:
    status = services.status_of(entry, now=now)
    heading = _("Nota %(number)d · %(kind)s") % {
        "number": entry.number,
        "kind": entry.get_kind_display(),
    }
    band = Table(
        [
            [
                Paragraph(_text(heading), styles["head"]),
                Paragraph(
                    f"<font color='{STATUS_COLOURS[status]}'>{_text(STATUS_LABELS[status])}</font>",
                    styles["status"],
                ),
            ]
        ],
        colWidths=[FRAME_WIDTH * 0.62, FRAME_WIDTH * 0.38],
    )
    band.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BAND),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    meta = [f"{_text(_('Fecha'))}: {_text(local(entry.created_at))}"]
    meta.append(f"{_text(_('Responsable'))}: {_text(entry.author_name)}")
    if show_logbook:
        meta.append(f"{_text(_('Bitácora'))}: {_text(entry.logbook.title)}")
    if entry.subject_label or entry.subject_id:
        meta.append(f"{_text(_('Sobre'))}: {_text(entry.subject_label or entry.subject_id)}")
    parts: list[Flowable] = [
        band,
        Spacer(1, 2 * mm),
        Paragraph(" · ".join(meta), styles["small"]),
        Paragraph(_text(entry.summary), styles["bold"]),
    ]
    chain = references_of(entry)
    if chain:
        parts.append(
            Paragraph(_text("; ".join(r.text for r in chain).capitalize()), styles["body"])
        )
    elements, extra = field_rows(entry)
    if entry.kind in MAINTENANCE_KINDS:
        elements = [(f"{i}. {label}", value) for i, (label, value) in enumerate(elements, 1)]
    rows = elements + extra
    head: list[Flowable] = parts
    parts = []
    if rows:
        parts += [Spacer(1, 1.5 * mm), _fields_table(rows, styles)]
    keys = certified_keys(entry)
    if keys:
        parts += [
            Spacer(1, 1.5 * mm),
            _fields_table(
                [
                    (
                        f"{k.owner} · {k.side}"
                        + (f" · {_('firma del sistema')}" if k.system else ""),
                        k.fingerprint,
                    )
                    for k in keys
                ],
                styles,
                label=_("Llaves que certifica"),
            ),
        ]
    signatures = list(entry.signatures.all())
    tail: list[Flowable] = []
    if signatures:
        tail += [Spacer(1, 1.5 * mm), Paragraph(_text(_("Firmas")), styles["label"])]
        tail.append(_signatures_table(signatures, styles))
    tail += [
        Spacer(1, 1.5 * mm),
        Paragraph(f"{_text(_('Hash'))}: {entry.entry_hash}", styles["hash"]),
        Paragraph(f"{_text(_('Hash anterior'))}: {entry.prev_hash}", styles["hash"]),
    ]
    # An entry and its signatures stay on one page when they fit on one (a signature is never
    # printed apart from what it signs); a longer entry flows, its heading never alone.
    return [KeepTogether(head + parts + tail), Spacer(1, 5 * mm)]


def _checkpoint_paragraph(
    checkpoint: Checkpoint | None, styles: dict[str, ParagraphStyle], title: str = ""
) -> Paragraph:
    prefix = f"<b>{_text(title)}</b> · " if title else ""
    if checkpoint is None:
        return Paragraph(
            prefix
            + _text(
                _(
                    "Aún no hay un punto de control firmado por la mesa; exportar la bitácora firma uno."
                )
            ),
            styles["body"],
        )
    return Paragraph(
        prefix
        + _text(
            _("Último punto de control firmado por la mesa: nota %(number)d, %(date)s.")
            % {"number": checkpoint.number, "date": local(checkpoint.created_at)}
        )
        + f"<br/><font name='Courier' size='7'>{_text(_('Hash de cabeza'))}: {checkpoint.head_hash}</font>",
        styles["body"],
    )


class RenderTimeout(Exception):
    """The render went past its deadline (`printing.RENDER_SECONDS`) and was stopped."""


class RenderTooLong(Exception):
    """The document went past `max_pages` and was stopped."""


# Reading the entries is the quick part of a render; laying them out in pages the slow one.
_READ_SHARE = 0.2


class _BoundedDocument(SimpleDocTemplate):
    """reportlab's document, stopped at a deadline and a page count: checked after each
    flowable is laid out, so one render never holds a worker for longer than the deadline
    (issue #19, defect 2). `progress(share)` hears how far the layout is; it may raise to stop
    the render (nobody wants the document any more)."""

    deadline: float | None = None
    max_pages: int | None = None
    progress: Callable[[float], None] | None = None
    total: int = 1
    laid_out: int = 0

    def afterFlowable(self, flowable: Flowable) -> None:
        _check(self.deadline)
        if self.max_pages is not None and self.page > self.max_pages:
            raise RenderTooLong
        self.laid_out += 1
        if self.progress is not None:
            self.progress(_READ_SHARE + (1 - _READ_SHARE) * min(1.0, self.laid_out / self.total))


def _check(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise RenderTimeout


def _document(
    handle: IO[bytes],
    *,
    title: str,
    compress: bool,
    deadline: float | None = None,
    max_pages: int | None = None,
    progress: Callable[[float], None] | None = None,
    total: int = 1,
) -> SimpleDocTemplate:
    document = _BoundedDocument(
        handle,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=settings.DESK_NAME,
        creator="Soporte",
        pageCompression=1 if compress else 0,
        # Tests build byte-for-byte reproducible files (no timestamps or random ids).
        invariant=0 if compress else 1,
    )
    document.deadline = deadline
    document.max_pages = max_pages
    document.progress = progress
    document.total = max(1, total)
    return document


def _footer(title: str, printed: str) -> Any:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN + 6, 10 * mm, f"{settings.DESK_NAME} · {title}"[:110])
        canvas.drawRightString(
            A4[0] - MARGIN - 6,
            10 * mm,
            _("Impreso el %(date)s · Página %(page)d") % {"date": printed, "page": doc.page},
        )
        canvas.restoreState()

    return draw


def _entries(queryset: QuerySet[Entry]) -> Iterable[Entry]:
    return (
        queryset.select_related("logbook", "references", "acceptance")
        .prefetch_related(*related_entries())
        .iterator(chunk_size=500)
    )


def logbook_pdf(
    handle: IO[bytes],
    *,
    logbook: Logbook,
    now: dt.datetime,
    compress: bool = True,
    deadline: float | None = None,
    max_pages: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> int:
    """The whole logbook, oldest entry first, as a court or an auditor would read it.
    `deadline` (a `time.monotonic()` value): past it the render stops with `RenderTimeout`;
    past `max_pages`, `RenderTooLong`; `progress(share)` hears how far it is (0 to 1). Returns the number of pages."""
    styles = _styles()
    logbook.refresh_from_db()  # the head as it is now, not as the caller loaded it
    title = logbook.title
    checkpoint = logbook.checkpoints.order_by("-created_at", "-id").first()
    facts = [
        (
            _("Organización"),
            str(logbook.organisation) if logbook.organisation_id else _("Interna de la mesa"),
        ),
        (_("Contrato"), logbook.contract_reference or "—"),
        (_("Plazo para firmar"), _("%(days)d días") % {"days": logbook.countersign_days}),
        (_("Abierta"), local(logbook.opened_at) if logbook.opened_at else "—"),
        (_("Cerrada"), local(logbook.closed_at) if logbook.closed_at else _("Sigue abierta")),
        (_("Notas"), str(logbook.head_number)),
        (_("Llave de la mesa (huella)"), desk_key_fingerprint(now)),
    ]
    story: list[Flowable] = [
        Paragraph(_text(title), styles["title"]),
        Paragraph(
            _text(_("Bitácora electrónica · %(desk)s") % {"desk": settings.DESK_NAME}),
            styles["subtitle"],
        ),
        Spacer(1, 3 * mm),
        _fields_table(facts, styles),
        Spacer(1, 3 * mm),
        _checkpoint_paragraph(checkpoint, styles),
        Paragraph(
            _text(
                _(
                    "Compruebe una exportación con: soporte logbook verify ARCHIVO --desk-key "
                    "«huella de la llave de la mesa»."
                )
            ),
            styles["small"],
        ),
        Spacer(1, 6 * mm),
    ]
    return _build(
        handle,
        story,
        entries=logbook.entries.order_by("number"),
        total=logbook.head_number,
        show_logbook=False,
        title=title,
        styles=styles,
        now=now,
        compress=compress,
        deadline=deadline,
        max_pages=max_pages,
        progress=progress,
    )


def equipment_pdf(
    handle: IO[bytes],
    *,
    entries: QuerySet[Entry],
    equipment_id: str,
    now: dt.datetime,
    compress: bool = True,
    deadline: float | None = None,
    max_pages: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> int:
    """One piece of equipment's history across the logbooks `entries` was filtered to
    (bounds and progress as in `logbook_pdf`)."""
    styles = _styles()
    ordered = entries.order_by("created_at", "logbook_id", "number")
    first = ordered.first()
    label = first.subject_label if first is not None else ""
    title = _("Historia del equipo %(id)s") % {"id": equipment_id}
    story: list[Flowable] = [Paragraph(_text(title), styles["title"])]
    if label:
        story.append(Paragraph(_text(label), styles["subtitle"]))
    story.append(Spacer(1, 4 * mm))
    logbook_ids = sorted(set(ordered.values_list("logbook_id", flat=True)))
    for logbook in Logbook.objects.filter(pk__in=logbook_ids).order_by("id"):
        checkpoint = logbook.checkpoints.order_by("-created_at", "-id").first()
        story += [_checkpoint_paragraph(checkpoint, styles, logbook.title), Spacer(1, 2 * mm)]
    story.append(Spacer(1, 4 * mm))
    return _build(
        handle,
        story,
        entries=ordered,
        total=ordered.count(),
        show_logbook=True,
        title=title,
        styles=styles,
        now=now,
        compress=compress,
        deadline=deadline,
        max_pages=max_pages,
        progress=progress,
    )


def _build(
    handle: IO[bytes],
    story: list[Flowable],
    *,
    entries: QuerySet[Entry],
    total: int,
    show_logbook: bool,
    title: str,
    styles: dict[str, ParagraphStyle],
    now: dt.datetime,
    compress: bool,
    deadline: float | None,
    max_pages: int | None,
    progress: Callable[[float], None] | None,
) -> int:
    """The entries after the document's head, then the document itself (both PDFs): reading
    the entries is the first `_READ_SHARE` of the progress, laying out the pages the rest.
    Returns the number of pages."""
    total = max(1, total)
    for done, entry in enumerate(_entries(entries), start=1):
        _check(deadline)
        story += _entry_flowables(entry, now=now, styles=styles, show_logbook=show_logbook)
        if progress is not None:
            progress(_READ_SHARE * min(1.0, done / total))
    document = _document(
        handle,
        title=title,
        compress=compress,
        deadline=deadline,
        max_pages=max_pages,
        progress=progress,
        total=len(story),
    )
    footer = _footer(title, local(now))
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return int(document.page)
