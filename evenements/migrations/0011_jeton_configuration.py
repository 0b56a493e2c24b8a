"""A token renewed by the database on every write to the configuration a recording reads:
triggers on these tables, so that queryset updates, raw SQL and the admin all renew it."""

from django.db import migrations, models

TABLES = [
    "evenements_typeevenement",
    "evenements_typeevenement_prestations",
    "evenements_champsupplementaire",
    "evenements_actionconfiguree",
    "dossiers_phase",
]
JETON = "evenements_jetonconfiguration"


def creer_declencheurs(apps, schema_editor):
    execute = schema_editor.execute
    vendeur = schema_editor.connection.vendor
    if vendeur == "postgresql":
        execute(
            f"""CREATE OR REPLACE FUNCTION evenements_nouveau_jeton() RETURNS trigger AS $$
            BEGIN
                INSERT INTO {JETON} (id, jeton) VALUES (1, gen_random_uuid()::text)
                ON CONFLICT (id) DO UPDATE SET jeton = EXCLUDED.jeton;
                RETURN NULL;
            END $$ LANGUAGE plpgsql"""
        )
        for table in TABLES:
            execute(
                f"CREATE TRIGGER {table}_jeton AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION evenements_nouveau_jeton()"
            )
        execute(f"INSERT INTO {JETON} (id, jeton) VALUES (1, gen_random_uuid()::text)")
    elif vendeur == "sqlite":
        for table in TABLES:
            for operation in ("INSERT", "UPDATE", "DELETE"):
                execute(
                    f"CREATE TRIGGER {table}_jeton_{operation.lower()} AFTER {operation} "
                    f"ON {table} BEGIN INSERT OR REPLACE INTO {JETON} (id, jeton) "
                    "VALUES (1, lower(hex(randomblob(16)))); END"
                )
        execute(f"INSERT INTO {JETON} (id, jeton) VALUES (1, lower(hex(randomblob(16))))")
    # Other databases: no token, so the configuration is read on every recording.


def supprimer_declencheurs(apps, schema_editor):
    execute = schema_editor.execute
    vendeur = schema_editor.connection.vendor
    if vendeur == "postgresql":
        for table in TABLES:
            execute(f"DROP TRIGGER IF EXISTS {table}_jeton ON {table}")
        execute("DROP FUNCTION IF EXISTS evenements_nouveau_jeton()")
    elif vendeur == "sqlite":
        for table in TABLES:
            for operation in ("insert", "update", "delete"):
                execute(f"DROP TRIGGER IF EXISTS {table}_jeton_{operation}")


class Migration(migrations.Migration):
    dependencies = [
        ("evenements", "0010_reprise_rejeu_perf"),
        ("dossiers", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="JetonConfiguration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("jeton", models.CharField(max_length=64, verbose_name="jeton")),
            ],
            options={"verbose_name": "jeton de configuration"},
        ),
        migrations.RunPython(creer_declencheurs, supprimer_declencheurs),
    ]
