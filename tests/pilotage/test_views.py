"""The Pilotage page: who sees what, filters validated in French, links, CSV, query counts."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from evenements.services import enregistrer_evenement
from pilotage.models import TelechargementDeclaration
from tests.factories import BeneficiaireFactory, DossierFactory, FinanceurFactory, PrestationFactory

URL = reverse("pilotage:tableau_de_bord")


def entrer(dossier, types, auteur, date):
    return enregistrer_evenement(
        commentaire="Commentaire du conseiller.",
        dossier=dossier,
        type_evenement=types["entree"],
        auteur=auteur,
        date=date,
    )


@pytest.fixture
def periode(aujourd_hui):
    return {
        "debut": (aujourd_hui - datetime.timedelta(days=60)).isoformat(),
        "fin": aujourd_hui.isoformat(),
    }


@pytest.fixture
def deux_equipes(equipe_a, equipe_b, rose, charlie, types, aujourd_hui, motif_abandon):
    financeur = FinanceurFactory(raison_sociale="Région Test")
    prestation = PrestationFactory(nom="Bilan de compétences")
    a = DossierFactory(equipe=equipe_a, referent=rose, financeur=financeur, prestation=prestation)
    a2 = DossierFactory(equipe=equipe_a, referent=rose, prestation=prestation)
    b = DossierFactory(
        equipe=equipe_b, referent=charlie, financeur=financeur, prestation=prestation
    )
    for d in (a, a2, b):
        entrer(
            d,
            types,
            rose if d.equipe == equipe_a else charlie,
            aujourd_hui - datetime.timedelta(days=10),
        )
    enregistrer_evenement(
        commentaire="Commentaire du conseiller.",
        dossier=a2,
        type_evenement=types["abandon"],
        auteur=rose,
        date=aujourd_hui - datetime.timedelta(days=2),
        motif=motif_abandon,
    )
    return {"financeur": financeur, "prestation": prestation, "a": a, "a2": a2, "b": b}


def test_conseiller_n_a_pas_acces(client, alice, periode):
    client.force_login(alice)
    assert client.get(URL, periode).status_code == 403


def test_responsable_voit_ses_equipes_seulement(client, rose, deux_equipes, periode):
    client.force_login(rose)
    page = client.get(URL, periode)
    assert page.status_code == 200
    synthese = page.context["tableaux"][0]
    valeurs = {ligne[0].valeur: ligne[1].valeur for ligne in synthese.lignes}
    assert valeurs["Entrées"] == 2  # the team B dossier is not counted
    assert valeurs["Abandons"] == 1
    contenu = page.content.decode()
    assert "<svg" in contenu and "Entrées et sorties par mois" in contenu
    assert "Perte de motivation" in contenu


def test_administrateur_voit_tout(client, administrateur, deux_equipes, periode):
    client.force_login(administrateur)
    synthese = client.get(URL, periode).context["tableaux"][0]
    assert {ligne[0].valeur: ligne[1].valeur for ligne in synthese.lignes}["Entrées"] == 3


@pytest.mark.parametrize(
    "parametres,champ,message",
    [
        (
            {"debut": "2026-05-10", "fin": "2026-05-01"},
            "fin",
            "La fin de la période précède son début.",
        ),
        ({"debut": "pas une date"}, "debut", "Saisissez une date valide."),
        (
            {"prestation": "999999"},
            "prestation",
            "Ce choix n'existe pas ou ne vous est pas accessible.",
        ),
        ({"financeur": "abc"}, "financeur", "Ce choix n'existe pas ou ne vous est pas accessible."),
    ],
)
def test_filtres_invalides_message_en_francais(client, rose, parametres, champ, message):
    client.force_login(rose)
    page = client.get(URL, parametres)
    assert page.status_code == 200
    assert message in page.context["form"].errors[champ]
    assert escape(message) in page.content.decode()


def test_equipe_d_une_autre_equipe_refusee(client, rose, equipe_b, periode):
    client.force_login(rose)
    page = client.get(URL, {**periode, "equipe": equipe_b.pk})
    assert (
        "Ce choix n'existe pas ou ne vous est pas accessible."
        in page.context["form"].errors["equipe"]
    )


def test_phase_d_une_autre_prestation_refusee(client, rose, periode):
    client.force_login(rose)
    p1, p2 = PrestationFactory(), PrestationFactory()
    page = client.get(URL, {**periode, "prestation": p1.pk, "phase": p2.phases.first().pk})
    assert page.context["form"].errors["phase"] == [
        "Cette phase n'appartient pas à la prestation choisie."
    ]


def test_filtre_financeur_et_lien_vers_les_dossiers(client, rose, deux_equipes, periode):
    client.force_login(rose)
    page = client.get(URL, {**periode, "financeur": deux_equipes["financeur"].pk})
    synthese = page.context["tableaux"][0]
    entrees = next(ligne[1] for ligne in synthese.lignes if ligne[0].valeur == "Entrées")
    assert entrees.valeur == 1
    liste = client.get(entrees.lien)
    assert [d.pk for d in liste.context["page"]] == [deux_equipes["a"].pk]


def test_lien_d_un_motif_liste_ses_dossiers(client, rose, deux_equipes, periode):
    client.force_login(rose)
    tableaux = {t.cle: t for t in client.get(URL, periode).context["tableaux"]}
    ligne = tableaux["sorties"].lignes[0]
    assert ligne[1].valeur == "Perte de motivation"
    liste = client.get(ligne[2].lien)
    assert [d.pk for d in liste.context["page"]] == [deux_equipes["a2"].pk]


def lire_csv(reponse) -> list[list[str]]:
    contenu = reponse.content.decode("utf-8")
    assert contenu.startswith("\ufeff")
    return list(csv.reader(io.StringIO(contenu[1:]), delimiter=";"))


def test_chaque_tableau_s_exporte_en_csv(client, rose, deux_equipes, periode):
    client.force_login(rose)
    tableaux = client.get(URL, periode).context["tableaux"]
    for t in tableaux:
        reponse = client.get(reverse("pilotage:csv", args=[t.cle]), periode)
        assert reponse["Content-Type"].startswith("text/csv")
        lignes = lire_csv(reponse)
        assert lignes[0] == t.colonnes
        assert len(lignes) == len(t.lignes) + 1
    synthese = lire_csv(client.get(reverse("pilotage:csv", args=["synthese"]), periode))
    assert ["Entrées", "2"] in synthese
    assert client.get(reverse("pilotage:csv", args=["inconnu"]), periode).status_code == 404


def test_requetes_constantes(client, rose, equipe_a, types, aujourd_hui, periode):
    client.force_login(rose)
    prestation = PrestationFactory()

    def creer(n):
        for _ in range(n):
            d = DossierFactory(
                equipe=equipe_a,
                referent=rose,
                prestation=prestation,
                beneficiaire=BeneficiaireFactory(),
            )
            entrer(d, types, rose, aujourd_hui - datetime.timedelta(days=5))

    creer(2)
    with CaptureQueriesContext(connection) as peu:
        client.get(URL, periode)
    creer(15)
    with CaptureQueriesContext(connection) as beaucoup:
        page = client.get(URL, periode)
    assert len(beaucoup.captured_queries) == len(peu.captured_queries)
    synthese = page.context["tableaux"][0]
    assert synthese.lignes[0][1].valeur == 17


def test_declaration_csv_journalisee(client, rose, deux_equipes, aujourd_hui, periode):
    client.force_login(rose)
    financeur = deux_equipes["financeur"]
    url = reverse("pilotage:declarations")
    parametres = {**periode, "financeur": financeur.pk}
    page = client.get(url, parametres)
    assert len(page.context["lignes"]) == 1  # team B's dossier is not rose's to declare
    reponse = client.get(url, {**parametres, "telecharger": "csv"})
    lignes = lire_csv(reponse)
    assert lignes[0][:3] == ["Mouvement", "Date", "Nom"]
    assert lignes[1][0] == "Entrée"
    trace = TelechargementDeclaration.objects.get()
    assert (trace.utilisateur, trace.financeur, trace.format, trace.lignes) == (
        rose,
        financeur,
        "csv",
        1,
    )
    assert trace.debut.isoformat() == periode["debut"]


def test_declaration_periode_inversee(client, rose, deux_equipes):
    client.force_login(rose)
    page = client.get(
        reverse("pilotage:declarations"),
        {
            "financeur": deux_equipes["financeur"].pk,
            "debut": "2026-03-01",
            "fin": "2026-02-01",
            "telecharger": "csv",
        },
    )
    assert page.status_code == 200
    assert page.context["form"].errors["fin"] == ["La fin de la période précède son début."]
    assert not TelechargementDeclaration.objects.exists()


def test_menu_pilotage_pour_les_responsables(client, rose, alice):
    client.force_login(rose)
    assert 'href="/pilotage/"' in client.get(reverse("dossiers:liste")).content.decode()
    client.force_login(alice)
    assert 'href="/pilotage/"' not in client.get(reverse("dossiers:liste")).content.decode()


def test_declaration_pdf_lisible_et_journalisee(client, rose, deux_equipes, periode):
    from pypdf import PdfReader

    client.force_login(rose)
    financeur = deux_equipes["financeur"]
    reponse = client.get(
        reverse("pilotage:declarations"),
        {**periode, "financeur": financeur.pk, "telecharger": "pdf"},
    )
    assert reponse["Content-Type"] == "application/pdf"
    texte = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(reponse.content)).pages)
    texte = " ".join(texte.split())  # a long name may wrap in its table cell
    assert "Déclaration des entrées et sorties".upper() in texte.upper()
    assert deux_equipes["a"].beneficiaire.nom.upper() in texte
    assert deux_equipes["b"].beneficiaire.nom.upper() not in texte  # another team's
    assert TelechargementDeclaration.objects.get().format == "pdf"
