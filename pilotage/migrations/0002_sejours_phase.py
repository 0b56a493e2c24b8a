"""The phase stays as a database view (pilotage.SejourPhase): hours per phase become a join
of participations with their stay instead of one lookup per participation."""

from django.db import migrations, models

SQL = """
CREATE VIEW pilotage_sejour_phase AS
SELECT b.id, b.dossier_id, b.phase_id, b.debut,
       COALESCE(
           LEAD(b.debut) OVER (PARTITION BY b.dossier_id ORDER BY b.debut, b.rang, b.id),
           b.date_sortie,
           {jamais}
       ) AS fin
FROM (
    SELECT e.id, e.dossier_id, e.date AS debut, e.rang, d.date_sortie,
           CASE WHEN c.code IS NULL THEN (
               SELECT p.id FROM dossiers_phase p WHERE p.prestation_id = d.prestation_id
               ORDER BY p.ordre, p.id LIMIT 1
           ) ELSE {valeur} END AS phase_id
    FROM evenements_evenement e
    JOIN evenements_typeevenement t ON t.id = e.type_evenement_id
    JOIN dossiers_dossier d ON d.id = e.dossier_id
    LEFT JOIN (
        SELECT c1.type_evenement_id, c1.code FROM evenements_champsupplementaire c1
        WHERE c1.nature = 'phase' AND NOT EXISTS (
            SELECT 1 FROM evenements_champsupplementaire c2
            WHERE c2.type_evenement_id = c1.type_evenement_id AND c2.nature = 'phase'
              AND (c2.ordre < c1.ordre OR (c2.ordre = c1.ordre AND c2.id < c1.id))
        )
    ) c ON c.type_evenement_id = e.type_evenement_id
    WHERE e.supprime_le IS NULL AND e.date <= {aujourdhui}
      AND (t.effet = 'entree' OR c.code IS NOT NULL)
) b
"""

PAR_BASE = {
    "postgresql": {
        "valeur": "NULLIF(e.valeurs ->> c.code, '')::integer",
        "aujourdhui": "CURRENT_DATE",
        "jamais": "DATE '9999-12-31'",
    },
    "sqlite": {
        "valeur": "CAST(NULLIF(json_extract(e.valeurs, '$.' || c.code), '') AS INTEGER)",
        "aujourdhui": "date('now', 'localtime')",
        "jamais": "'9999-12-31'",
    },
}


def creer_vue(apps, schema_editor):
    parametres = PAR_BASE[schema_editor.connection.vendor]
    schema_editor.execute(SQL.format(**parametres))


def supprimer_vue(apps, schema_editor):
    schema_editor.execute("DROP VIEW IF EXISTS pilotage_sejour_phase")


class Migration(migrations.Migration):
    dependencies = [
        ("pilotage", "0001_rapports_pilotage"),
        ("evenements", "0005_balayage_des_actions"),
        ("dossiers", "0011_financeur_type"),
    ]

    operations = [
        migrations.RunPython(creer_vue, supprimer_vue),
        migrations.CreateModel(
            name="SejourPhase",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("debut", models.DateField(verbose_name="du")),
                ("fin", models.DateField(verbose_name="au (exclu)")),
                (
                    "dossier",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="dossiers.dossier",
                    ),
                ),
                (
                    "phase",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="dossiers.phase",
                    ),
                ),
            ],
            options={
                "verbose_name": "séjour dans une phase",
                "db_table": "pilotage_sejour_phase",
                "managed": False,
                "default_permissions": (),
            },
        ),
    ]
