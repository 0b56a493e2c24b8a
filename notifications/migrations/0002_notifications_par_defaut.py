from django.db import migrations

from notifications.referentiel import creer


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("evenements", "0002_types_et_motifs_par_defaut"),
    ]
    operations = [migrations.RunPython(creer, migrations.RunPython.noop)]
