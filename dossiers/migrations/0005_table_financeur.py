from django.db import migrations

from dossiers.roles import creer_groupes


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0004_financeur_dans_dossiers"),
        ("facturation", "0002_financeur_vers_dossiers"),
    ]

    operations = [
        migrations.AlterModelTable(name="financeur", table=None),
        migrations.RunPython(creer_groupes, migrations.RunPython.noop),
    ]
