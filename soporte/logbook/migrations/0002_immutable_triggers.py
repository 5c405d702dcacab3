from django.db import migrations


def install(apps, schema_editor):
    from soporte.logbook import db_guard

    db_guard.install(schema_editor.connection, db_guard.FIRST_TABLES)


def remove(apps, schema_editor):
    from soporte.logbook import db_guard

    db_guard.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("logbook", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
