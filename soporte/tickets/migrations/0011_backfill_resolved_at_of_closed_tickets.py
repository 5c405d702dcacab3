"""Data: closed tickets keep the time they were resolved.

Until change_status kept `resolved_at` on closing, closing a resolved ticket emptied it, and
resolution metrics lost it. The status history still has it: the last change to "Resuelto"
before the ticket was closed. Reverse: nothing to undo (the value is the history's).
"""

from django.db import migrations


def backfill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    StatusChange = apps.get_model("tickets", "StatusChange")
    missing = Ticket.objects.filter(status="closed", resolved_at__isnull=True).values_list(
        "pk", "closed_at"
    )
    for pk, closed_at in missing.iterator(chunk_size=2000):
        changes = StatusChange.objects.filter(ticket_id=pk, to_status="resolved")
        if closed_at is not None:
            changes = changes.filter(at__lte=closed_at)
        at = changes.order_by("-at", "-id").values_list("at", flat=True).first()
        if at is not None:
            Ticket.objects.filter(pk=pk).update(resolved_at=at)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_ticket_device")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
