import json

from django.db import migrations

from dossiers.roles import creer_groupes
from facturation.referentiel import creer


def planifier(apps, schema_editor):
    """The monthly hourly échéances, with django-celery-beat (editable in the admin)."""
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    chaque_mois, _ = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="1",
        day_of_week="*",
        day_of_month="1",
        month_of_year="*",
        timezone="Europe/Paris",
    )
    PeriodicTask.objects.get_or_create(
        name="Générer les échéances mensuelles (heures réalisées)",
        defaults={
            "task": "facturation.generer_echeances_mensuelles",
            "crontab": chaque_mois,
            "args": json.dumps([]),
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("facturation", "0003_facturation_conventions_factures"),
        ("evenements", "0002_types_et_motifs_par_defaut"),
        ("dossiers", "0010_financeur_facturation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(creer, migrations.RunPython.noop),
        migrations.RunPython(creer_groupes, migrations.RunPython.noop),
        migrations.RunPython(planifier, migrations.RunPython.noop),
    ]
