"""Benchmark: invoicing N échéances in one batch — one invoice each, validated (numbered),
its PDF/A-3 rendered with the Factur-X XML built, checked and embedded — against bare
WeasyPrint renders of the same HTML in the same run. Prints the ratio.

    python bench/facturation.py            # N = 1000 (BENCH_N to change)

Data goes into a throwaway SQLite database (or BENCH_DATABASE_URL), never the project's.
"""

import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE))
dossier_tmp = tempfile.mkdtemp(prefix="parcours-bench-facturation-")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"sqlite:///{dossier_tmp}/bench.sqlite3"
)
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("MEDIA_ROOT", f"{dossier_tmp}/media")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

N = int(os.environ.get("BENCH_N", 1000))


def preparer():
    from dossiers.models import Beneficiaire, Dossier, Equipe, Financeur, Prestation
    from facturation.models import Convention, Echeance, FinancementDossier, ModaliteEcheance

    call_command("migrate", verbosity=0)
    settings.PARCOURS_ORGANISATION = {
        "raison_sociale": "Bench Formation",
        "siret": "12345678900012",
        "numero_tva": "FR32123456789",
        "numero_declaration_activite": "84691234569",
        "adresse": "1 rue du Banc",
        "code_postal": "69001",
        "ville": "Lyon",
        "iban": "FR7630006000011234567890189",
    }
    equipe = Equipe.objects.create(nom="Bench")
    user = get_user_model().objects.create_user("bench")
    user.groups.add(Group.objects.get(name="Gestionnaire"))
    financeur = Financeur.objects.create(
        raison_sociale="Région Bench",
        siren="130005481",
        adresse="1 cours",
        code_postal="69002",
        ville="Lyon",
    )
    prestation = Prestation.objects.create(nom="Bench", code="bench")
    aujourd_hui = timezone.localdate()
    convention = Convention.objects.create(
        financeur=financeur,
        numero="BENCH",
        date_debut=aujourd_hui.replace(day=1),
        date_fin=aujourd_hui.replace(year=aujourd_hui.year + 1),
        prix=Decimal("2800"),
    )
    convention.prestations.add(prestation)
    modalite = ModaliteEcheance.objects.create(
        convention=convention, libelle="Fin", part_pourcentage=100, declencheur="fin_parcours"
    )
    beneficiaires = Beneficiaire.objects.bulk_create(
        Beneficiaire(nom=f"Nom{i:05d}", prenom="Prénom") for i in range(N)
    )
    dossiers = Dossier.objects.bulk_create(
        Dossier(
            beneficiaire=b, prestation=prestation, equipe=equipe, referent=user, financeur=financeur
        )
        for b in beneficiaires
    )
    financements = FinancementDossier.objects.bulk_create(
        FinancementDossier(dossier=d, convention=convention) for d in dossiers
    )
    Echeance.objects.bulk_create(
        Echeance(
            dossier=f.dossier,
            financement=f,
            modalite=modalite,
            libelle="Fin (100 %)",
            montant=Decimal("2800.00"),
            etat="a_facturer",
        )
        for f in financements
    )
    return get_user_model().objects.get(pk=user.pk)


def main():
    from documents import rendu
    from facturation import pdf, services
    from facturation.models import Echeance

    gestionnaire = preparer()
    echeances = list(Echeance.objects.order_by("pk"))
    debut = time.perf_counter()
    factures = []
    for echeance in echeances:  # one batch, one invoice per échéance
        (brouillon,) = services.facturer(echeances=[echeance], par=gestionnaire)
        facture = services.valider_facture(facture=brouillon, par=gestionnaire)
        pdf.pdf_de(facture)
        factures.append(facture)
    complet = time.perf_counter() - debut

    pages = [pdf.html(f) for f in factures]
    debut = time.perf_counter()
    for page in pages:
        rendu.rendre_pdf(page, pdfa="pdf/a-3b")
    nu = time.perf_counter() - debut

    print(f"{N} factures (validation, numérotation, PDF/A-3 + Factur-X vérifié et embarqué) :")
    print(f"  facturation complète : {complet:.1f} s ({complet / N * 1000:.0f} ms/facture)")
    print(f"  WeasyPrint seul, même HTML : {nu:.1f} s ({nu / N * 1000:.0f} ms/facture)")
    print(f"  ratio : {complet / nu:.2f}")


if __name__ == "__main__":
    main()
