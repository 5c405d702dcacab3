from django.db import migrations


def install(apps, schema_editor):
    from soporte.tickets import search

    search.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from soporte.tickets import search

    search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_sla_policies_calendar")]

    operations = [migrations.RunPython(install, uninstall)]
