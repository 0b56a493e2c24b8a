from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("facturation", "0001_initial"),
        ("dossiers", "0004_financeur_dans_dossiers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Financeur")],
            database_operations=[],
        ),
    ]
