from django.db import migrations

from dossiers.roles import creer_groupes
from facturation.referentiel import creer


class Migration(migrations.Migration):
    dependencies = [
        ("facturation", "0003_facturation_conventions_factures"),
        ("evenements", "0002_types_et_motifs_par_defaut"),
        ("dossiers", "0006_financeur_facturation"),
    ]
    operations = [
        migrations.RunPython(creer, migrations.RunPython.noop),
        migrations.RunPython(creer_groupes, migrations.RunPython.noop),
    ]
