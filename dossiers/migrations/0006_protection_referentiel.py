from django.db import migrations, models

from dossiers.roles import creer_groupes


class Migration(migrations.Migration):
    """Phases are deactivated, never deleted; administrators may unlock logins (axes)."""

    dependencies = [
        ("dossiers", "0005_table_financeur"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.AddField(
            model_name="phase",
            name="actif",
            field=models.BooleanField(
                default=True,
                help_text="Une phase désactivée n'est plus proposée, mais reste dans l'historique.",
                verbose_name="active",
            ),
        ),
        migrations.RunPython(creer_groupes, migrations.RunPython.noop),
    ]
