"""Data migration: the repair register's day sums and each repaired repair's turnaround,
computed from the repairs already recorded (`register.recompute_days`)."""

from django.db import migrations


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from soporte.workshop.register import recompute_days

    recompute_days(
        apps.get_model("workshop", "Repair"),
        apps.get_model("workshop", "StatusChange"),
        apps.get_model("workshop", "RepairDay"),
    )


class Migration(migrations.Migration):
    dependencies = [("workshop", "0003_repair_days")]

    # Backwards: 0003's reversal drops the table and the column; nothing to undo here.
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
