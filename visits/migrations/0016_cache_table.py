"""The database cache's table (ICV_CACHE_URL=db://..., the default), made by `migrate` so that
no deployment needs an extra command. Django's own `createcachetable` does the work: it makes
the table of every database cache configured for this database, skips any that exists, and does
nothing when the cache is Redis or local memory. Changing the table's name later needs
`manage.py createcachetable` once (docs/deployment.md)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("visits", "0015_job_run")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
