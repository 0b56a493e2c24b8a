"""Sweep the outbox every minute (django-celery-beat, editable in the admin)."""

import json

from django.db import migrations


def planifier(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    chaque_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Balayer les actions automatiques",
        defaults={"task": "evenements.balayer_actions", "interval": chaque_minute,
                  "args": json.dumps([])},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("evenements", "0004_actionconfiguree_actiondeclenchee"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(planifier, migrations.RunPython.noop)]
