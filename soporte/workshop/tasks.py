"""The shop's background jobs: the intake receipt e-mailed to whoever brought the device."""

from __future__ import annotations

from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from soporte.lib.tasks import job
from soporte.tickets.services import desk_language
from soporte.workshop import receipts
from soporte.workshop.models import Repair
from soporte.workshop.portal import portal_url


@job(title=gettext_lazy("Enviar el recibo de una reparación"), attempts=8, backoff_s=30)
def send_intake_receipt(*, repair_id: int) -> None:
    """The receipt (PDF with the folio and the QR code that opens the repair in the portal)
    to the person who brought the device, when they have an address and belong to the
    repair's organisation. Raises to retry while the SMTP server is down."""
    repair = (
        Repair.objects.select_related("organisation", "brought_by", "device", "received_by")
        .filter(pk=repair_id)
        .first()
    )
    if repair is None:
        return
    person = repair.brought_by
    if not person.email or person.organisation_id != repair.organisation_id:
        return
    with desk_language():
        subject = _("[%(folio)s] Recibimos su equipo") % {"folio": repair.folio}
        body = _(
            "Hola, %(name)s:\n\nRecibimos su equipo %(device)s con el folio %(folio)s. "
            "Adjuntamos el recibo; su código QR abre la reparación en el portal.\n\n"
            "Siga su reparación en %(url)s\n"
        ) % {
            "name": person.full_name,
            "device": repair.device,
            "folio": repair.folio,
            "url": portal_url(repair),
        }
        filename = f"recibo-{repair.folio}.pdf"
        pdf = receipts.repair_pdf(repair)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
        headers={"Auto-Submitted": "auto-generated", "Message-ID": make_msgid(domain="soporte")},
    )
    message.attach(filename, pdf, "application/pdf")
    with get_connection(fail_silently=False) as connection:
        connection.send_messages([message])
