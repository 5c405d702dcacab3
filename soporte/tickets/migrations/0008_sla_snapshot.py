from django.db import migrations, models

OPEN_STATUSES = ["new", "assigned", "in_progress", "waiting_customer", "escalated"]


def check_open_tickets(apps, schema_editor):
    # The sweep computes each open ticket's snapshot on its next run.
    Ticket = apps.get_model("tickets", "Ticket")
    Ticket.objects.filter(status__in=OPEN_STATUSES).update(sla_check_at=models.F("created_at"))


def added(name, sql_type, field):
    """ADD COLUMN with a constant default, in place on both databases. (Django would rebuild
    SQLite's whole ticket table for a NOT NULL column, dropping the full-text triggers and
    copying every row.)"""
    return migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RunSQL(
                f"ALTER TABLE tickets_ticket ADD COLUMN {name} {sql_type}",
                f"ALTER TABLE tickets_ticket DROP COLUMN {name}",
            )
        ],
        state_operations=[migrations.AddField(model_name="ticket", name=name, field=field)],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_queue_indexes_without_conditions"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="sla_check_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="sla_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="sla_warn_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        added(
            "sla_paused",
            "boolean NOT NULL DEFAULT false",
            models.BooleanField(default=False),
        ),
        added(
            "sla_target",
            "varchar(20) NOT NULL DEFAULT ''",
            models.CharField(blank=True, default="", max_length=20),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["sla_check_at"], name="tickets_sla_check_idx"),
        ),
        migrations.RunPython(check_open_tickets, migrations.RunPython.noop),
    ]
