"""Sweep the signing links left unsent (broker down at commit time) every minute."""

import json

from django.db import migrations


def planifier(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    chaque_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Envoyer les liens d'émargement en attente",
        defaults={
            "task": "seances.balayer_liens_emargement",
            "interval": chaque_minute,
            "args": json.dumps([]),
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("seances", "0001_seances"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(planifier, migrations.RunPython.noop)]
