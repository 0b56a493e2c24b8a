from django.db import migrations

from evenements.referentiel import commentaire_obligatoire


class Migration(migrations.Migration):
    """Abandon and Rupture require a comment by default (an administrator may lift it)."""

    dependencies = [
        ("evenements", "0007_protection_referentiel_champ_actif"),
    ]

    operations = [migrations.RunPython(commentaire_obligatoire, migrations.RunPython.noop)]
