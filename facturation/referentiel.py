"""Default billing actions of the built-in event types.

Used by a data migration and by the tests (a transactional test flushes migrated data).
"""

DEFAUTS = [
    # type code, model, nature, ordre (after the notifications)
    ("entree", "GenerationEcheances", "generer_echeances", 50),
    ("entree", "DeblocageEcheances", "debloquer_echeances", 51),
    ("changement-phase", "DeblocageEcheances", "debloquer_echeances", 50),
    ("validation-etape", "DeblocageEcheances", "debloquer_echeances", 50),
    ("sortie-positive", "DeblocageEcheances", "debloquer_echeances", 50),
    ("abandon", "BlocageFacturation", "bloquer_facturation", 50),
    ("rupture", "BlocageFacturation", "bloquer_facturation", 50),
]


def creer(apps, schema_editor=None):
    TypeEvenement = apps.get_model("evenements", "TypeEvenement")
    for code, modele, nature, ordre in DEFAUTS:
        type_evenement = TypeEvenement.objects.filter(code=code).first()
        if type_evenement is None:
            continue
        apps.get_model("facturation", modele).objects.get_or_create(
            type_evenement=type_evenement, defaults={"nature": nature, "ordre": ordre}
        )
