from django.db import migrations

from evenements.referentiel import creer


class Migration(migrations.Migration):
    dependencies = [("evenements", "0001_initial")]
    operations = [migrations.RunPython(creer, migrations.RunPython.noop)]
