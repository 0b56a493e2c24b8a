"""The admin configures conventions (checked échéancier) and links dossiers through the service."""

import html

from django.urls import reverse
from django.utils import timezone

from facturation.models import Convention, Echeance, FinancementDossier


def donnees_convention(financeur, prestation, types, parts):
    donnees = {
        "financeur": financeur.pk,
        "numero": "CONV-ADMIN",
        "prestations": [prestation.pk],
        "active": "on",
        "date_debut": "01/01/2026",
        "date_fin": "31/12/2027",
        "tarification": "forfait",
        "prix": "2800",
        "regle_interruption": "prorata",
        "modalites-TOTAL_FORMS": str(len(parts)),
        "modalites-INITIAL_FORMS": "0",
        "modalites-MIN_NUM_FORMS": "0",
        "modalites-MAX_NUM_FORMS": "1000",
    }
    for i, part in enumerate(parts):
        donnees |= {
            f"modalites-{i}-ordre": str(i + 1),
            f"modalites-{i}-libelle": f"Étape {i + 1}",
            f"modalites-{i}-part_pourcentage": part,
            f"modalites-{i}-declencheur": "evenement",
            f"modalites-{i}-type_evenement": types["validation-etape"].pk,
        }
    return donnees


def test_convention_qui_ne_fait_pas_100_pourcent_refusee(
    client, administrateur, financeur, dossier, types
):
    client.force_login(administrateur)
    url = reverse("admin:facturation_convention_add")
    reponse = client.post(
        url, donnees_convention(financeur, dossier.prestation, types, ["30", "60"])
    )
    assert reponse.status_code == 200
    page = html.unescape(reponse.content.decode()).replace("\xa0", " ").replace("\u202f", " ")
    assert (
        "Les modalités totalisent 90 % du forfait (2 800,00 €) : elles doivent totaliser 100 %."
        in page
    )
    assert not Convention.objects.exists()
    reponse = client.post(
        url, donnees_convention(financeur, dossier.prestation, types, ["30", "70"])
    )
    assert reponse.status_code == 302
    assert Convention.objects.get().modalites.count() == 2


def test_rattacher_dans_l_admin_passe_par_le_service(
    client, administrateur, dossier, convention, types
):
    client.force_login(administrateur)
    url = reverse("admin:facturation_financementdossier_add")
    reponse = client.post(url, {"dossier": dossier.pk, "convention": convention.pk, "part": "100"})
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    financement = FinancementDossier.objects.get()
    assert Echeance.objects.filter(financement=financement).count() == 3
    assert financement.history.first().history_user == administrateur
    # Outside the period: refused next to the field, nothing saved.
    from tests.facturation.conftest import creer_convention

    ancienne = creer_convention(
        convention.financeur,
        dossier.prestation,
        types,
        debut=timezone.localdate().replace(year=2019),
    )
    reponse = client.post(url, {"dossier": dossier.pk, "convention": ancienne.pk, "part": "100"})
    assert reponse.status_code == 200
    assert "sort de la période" in html.unescape(reponse.content.decode())
    assert FinancementDossier.objects.count() == 1
