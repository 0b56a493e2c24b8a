"""Schedule the daily job with django-celery-beat (editable in the admin)."""

import json

from django.db import migrations


def planifier(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    chaque_nuit, _ = CrontabSchedule.objects.get_or_create(
        minute="5", hour="0", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Europe/Paris",
    )
    PeriodicTask.objects.get_or_create(
        name="Appliquer les événements planifiés échus",
        defaults={
            "task": "evenements.appliquer_evenements_echus",
            "crontab": chaque_nuit,
            "args": json.dumps([]),
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("evenements", "0002_types_et_motifs_par_defaut"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(planifier, migrations.RunPython.noop)]
