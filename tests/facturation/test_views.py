"""Facturation pages: rights, the dossier tab, invoicing from the list, PDF, payments, CSV."""

import csv
import datetime
import html
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from facturation import echeancier, services
from facturation.models import Echeance, Facture
from tests.factories import DossierFactory
from tests.facturation.conftest import creer_convention


def texte(reponse) -> str:
    """The page as a user reads it: entities decoded, French non-breaking spaces as spaces."""
    return html.unescape(reponse.content.decode()).replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def debloquees(dossier, convention, gestionnaire, saisir):
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree")
    saisir(dossier, "validation-etape", valeurs={"etape": "Projet"})
    return list(Echeance.objects.filter(dossier=dossier, etat="a_facturer"))


def test_conseiller_n_a_pas_le_menu_facturation(client, alice):
    client.force_login(alice)
    for nom in ("echeances", "factures", "avoirs", "reglements", "export_factures"):
        assert client.get(reverse(f"facturation:{nom}")).status_code == 403
    assert "Facturation</a>" not in client.get(reverse("dossiers:liste")).content.decode()


def test_onglet_du_dossier_et_equipe(client, alice, charlie, dossier, debloquees):
    client.force_login(alice)
    page = texte(client.get(reverse("facturation:onglet", args=[dossier.pk])))
    assert "Entrée (30 %)" in page and "840,00 €" in page and "À facturer" in page
    assert "Entrée en prestation du" in page
    client.force_login(charlie)
    assert client.get(reverse("facturation:onglet", args=[dossier.pk])).status_code == 404


def test_onglet_requetes_constantes(
    client, gestionnaire, dossier, debloquees, django_assert_max_num_queries
):
    client.force_login(gestionnaire)
    url = reverse("facturation:onglet", args=[dossier.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as requetes:
        client.get(url)
    avant = len(requetes)
    services.facturer(echeances=debloquees, par=gestionnaire)
    with django_assert_max_num_queries(avant + 2):
        reponse = client.get(url)
    assert reponse.status_code == 200 and "Facturée" in texte(reponse)


def test_lier_hors_periode_message_a_cote_du_champ(client, gestionnaire, dossier, financeur, types):
    dossier.financeur = dossier.financeur_initial = financeur
    dossier.save()
    ancienne = creer_convention(
        financeur, dossier.prestation, types, debut=datetime.date(2020, 1, 1)
    )
    client.force_login(gestionnaire)
    reponse = client.post(
        reverse("facturation:onglet", args=[dossier.pk]),
        {"convention": ancienne.pk, "part": "100"},
    )
    assert reponse.status_code == 200
    assert "sort de la période de la convention" in texte(reponse)
    assert not dossier.financements.exists()


def test_liste_des_echeances_filtre_et_requetes(
    client,
    gestionnaire,
    debloquees,
    financeur,
    convention,
    types,
    saisir,
    dossier,
    django_assert_num_queries,
):
    autre = DossierFactory()
    client.force_login(gestionnaire)
    url = reverse("facturation:echeances") + f"?financeur={financeur.pk}"
    with django_assert_num_queries(9):
        page = texte(client.get(url))
    assert "1 960,00 €" in page
    assert str(autre.beneficiaire) not in page
    for _ in range(3):  # more rows, same number of queries
        nouveau = DossierFactory(
            financeur=financeur, prestation=dossier.prestation, equipe=dossier.equipe
        )
        echeancier.lier_convention(dossier=nouveau, convention=convention, par=gestionnaire)
        saisir(nouveau, "entree")
    with django_assert_num_queries(9):
        assert "Total (5 échéances)" in texte(client.get(url))


def test_facturer_valider_telecharger(client, gestionnaire, debloquees):
    client.force_login(gestionnaire)
    reponse = client.post(
        reverse("facturation:echeances"), {"echeances": [e.pk for e in debloquees]}
    )
    brouillon = Facture.objects.get()
    assert reponse.url == reverse("facturation:facture", args=[brouillon.pk])
    client.post(reverse("facturation:agir", args=[brouillon.pk, "valider"]))
    brouillon.refresh_from_db()
    assert brouillon.numero.startswith("FAC-")
    deuxieme = client.post(reverse("facturation:agir", args=[brouillon.pk, "valider"]), follow=True)
    assert "est déjà validée : rien n'a été changé" in texte(deuxieme)
    pdf = client.get(reverse("facturation:pdf", args=[brouillon.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_reglement_trop_eleve_refuse_avec_message(client, gestionnaire, debloquees, financeur):
    (brouillon,) = services.facturer(echeances=debloquees, par=gestionnaire)
    facture = services.valider_facture(facture=brouillon, par=gestionnaire)
    client.force_login(gestionnaire)
    url = reverse("facturation:reglements") + f"?financeur={financeur.pk}"
    reponse = client.post(
        url,
        {
            "date": "2026-11-20",
            "montant": "5000",
            "mode": "virement",
            f"facture_{facture.pk}": "5000",
        },
    )
    assert "dépasse le reste dû" in texte(reponse)
    assert not facture.affectations.exists()
    client.post(
        url,
        {
            "date": "2026-11-20",
            "montant": "1960",
            "mode": "virement",
            f"facture_{facture.pk}": "1960",
        },
    )
    assert facture.statut_paiement() == "Payée"


def lire_csv(reponse):
    texte = reponse.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(texte), delimiter=";"))


def test_exports_csv_equilibres(client, gestionnaire, debloquees, financeur):
    (brouillon,) = services.facturer(echeances=debloquees, par=gestionnaire)
    facture = services.valider_facture(facture=brouillon, par=gestionnaire)
    avoir = services.proposer_avoir(
        facture=facture, echeances=[debloquees[1]], par=gestionnaire, motif="Étape annulée"
    )
    avoir = services.valider_facture(facture=avoir, par=gestionnaire)
    services.enregistrer_reglement(
        financeur=financeur,
        date=datetime.date(2026, 11, 20),
        montant=D("900"),
        affectations=[(facture, D("840"))],
        par=gestionnaire,
    )
    client.force_login(gestionnaire)
    lignes = lire_csv(client.get(reverse("facturation:export_factures")))
    entete, corps, total = lignes[0], lignes[1:-1], lignes[-1]
    ttc = entete.index("total_ttc")

    def somme(colonne):
        return sum(D(ligne[colonne].replace(",", ".")) for ligne in corps)

    assert [ligne[0] for ligne in corps] == [avoir.numero, facture.numero]
    assert total[ttc] == "840,00" == f"{somme(ttc):.2f}".replace(".", ",")
    assert total[entete.index("reste_du")] == "0,00"
    reglements = lire_csv(client.get(reverse("facturation:export_reglements")))
    assert reglements[-1][-1] == "900,00"  # 840 allocated + 60 not allocated
    assert [ligne[5] for ligne in reglements[1:-1]] == [facture.numero, "non affecté"]


def test_liste_des_factures_requetes_constantes(
    client, gestionnaire, debloquees, django_assert_num_queries
):
    (brouillon,) = services.facturer(echeances=debloquees, par=gestionnaire)
    services.valider_facture(facture=brouillon, par=gestionnaire)
    client.force_login(gestionnaire)
    client.get(reverse("facturation:factures"))
    with django_assert_num_queries(8):
        page = texte(client.get(reverse("facturation:factures")))
    assert "Non payée" in page and "1 960,00 €" in page
    services.enregistrer_reglement(
        financeur=brouillon.financeur,
        date=datetime.date(2026, 11, 20),
        montant=D("100"),
        affectations=[(brouillon, D("100"))],
        par=gestionnaire,
    )
    services.proposer_avoir(
        facture=brouillon, echeances=[debloquees[0]], par=gestionnaire, motif="x"
    )
    with django_assert_num_queries(8):  # payments and avoirs: subqueries, not one per row
        page = texte(client.get(reverse("facturation:factures")))
    assert "Partiellement payée" in page and "1 860,00 €" in page


def test_pdf_pour_le_conseiller_de_l_equipe_seulement(
    client, alice, charlie, gestionnaire, debloquees
):
    (brouillon,) = services.facturer(echeances=debloquees, par=gestionnaire)
    facture = services.valider_facture(facture=brouillon, par=gestionnaire)
    url = reverse("facturation:pdf", args=[facture.pk])
    client.force_login(alice)
    assert client.get(url)["Content-Type"] == "application/pdf"
    client.force_login(charlie)
    assert client.get(url).status_code == 404
