"""Financeur moves from facturation to dossiers (the layering of DESIGN.md).

The table stays as it is for this step (state only), then takes the dossiers name.
"""

import django.db.models.deletion
import phonenumber_field.modelfields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0003_groupes_actions"),
        ("facturation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Financeur",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("raison_sociale", models.CharField(max_length=200, unique=True, verbose_name="raison sociale")),
                        ("emails_contact", models.TextField(blank=True, help_text="Une adresse par ligne.", verbose_name="e-mails de contact")),
                        ("telephone", phonenumber_field.modelfields.PhoneNumberField(blank=True, max_length=128, region=None, verbose_name="téléphone")),
                        ("actif", models.BooleanField(default=True, verbose_name="actif")),
                    ],
                    options={"verbose_name": "financeur", "ordering": ["raison_sociale"], "db_table": "facturation_financeur"},
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="financeur",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="dossiers", to="dossiers.financeur", verbose_name="financeur"),
                ),
            ],
            database_operations=[],
        ),
    ]
