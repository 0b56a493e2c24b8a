from django.db import migrations

from dossiers.roles import creer_groupes

class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0001_initial"),
        ("evenements", "0001_initial"),
        ("facturation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(creer_groupes, migrations.RunPython.noop)]
