from django.db import migrations

from dossiers.roles import creer_groupes


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0002_groupes"),
        ("evenements", "0004_actionconfiguree_actiondeclenchee"),
        ("notifications", "0001_initial"),
    ]
    operations = [migrations.RunPython(creer_groupes, migrations.RunPython.noop)]
