"""French default document templates and the default "Générer un document" actions.

Used by a data migration and by the tests (a transactional test flushes migrated data).
The bodies live in documents/gabarits/ and are copied into the database, where the
administrator edits them (each change of a body is a new version).
"""

from pathlib import Path

GABARITS = Path(__file__).resolve().parent / "gabarits"

# code, titre, catégorie, série, archivage
MODELES = [
    ("attestation-fin-formation", "Attestation de fin de formation", "dossier", "ATT", True),
    ("certificat-realisation", "Certificat de réalisation", "dossier", "CER", True),
    ("bilan-synthese", "Bilan de synthèse", "dossier", "", False),
    ("emargement-dossier", "Feuille d'émargement du bénéficiaire", "dossier", "", True),
    ("emargement-seance", "Feuille d'émargement de la séance", "seance", "", True),
]
# event type, template, send to
GENERATIONS = [
    ("sortie-positive", "attestation-fin-formation", "beneficiaire"),
    ("sortie-positive", "certificat-realisation", "beneficiaire"),
]


def corps(code: str) -> str:
    return (GABARITS / f"{code}.html").read_text(encoding="utf-8")


def creer(apps, schema_editor=None):
    ModeleDocument = apps.get_model("documents", "ModeleDocument")
    GenerationDocument = apps.get_model("documents", "GenerationDocument")
    TypeEvenement = apps.get_model("evenements", "TypeEvenement")
    for code, titre, categorie, serie, archivage in MODELES:
        if not (GABARITS / f"{code}.html").exists():
            continue
        ModeleDocument.objects.get_or_create(
            code=code,
            defaults={
                "titre": titre,
                "categorie": categorie,
                "serie": serie,
                "archivage": archivage,
                "corps": corps(code),
            },
        )
    for ordre, (type_code, modele_code, envoyer_a) in enumerate(GENERATIONS, start=10):
        type_evenement = TypeEvenement.objects.filter(code=type_code).first()
        modele = ModeleDocument.objects.filter(code=modele_code).first()
        if type_evenement is None or modele is None:
            continue
        GenerationDocument.objects.get_or_create(
            type_evenement=type_evenement,
            modele=modele,
            defaults={"nature": "document", "envoyer_a": envoyer_a, "ordre": ordre},
        )
