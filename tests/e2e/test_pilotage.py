"""A responsable reads the pilotage page in a real browser: filters, charts, CSV download."""

import csv
import datetime
import io

from playwright.sync_api import expect

from evenements.services import enregistrer_evenement
from tests.factories import DossierFactory, FinanceurFactory


def test_responsable_filtre_voit_les_graphiques_et_telecharge_le_csv(
    page, connecter, rose, equipe_a, types, aujourd_hui, motif_abandon
):
    region = FinanceurFactory(raison_sociale="Région Auvergne")
    autre = FinanceurFactory(raison_sociale="OPCO Ailleurs")
    for financeur, nombre in ((region, 3), (autre, 2)):
        for _ in range(nombre):
            dossier = DossierFactory(financeur=financeur, equipe=equipe_a, referent=rose)
            enregistrer_evenement(
                dossier=dossier,
                type_evenement=types["entree"],
                auteur=rose,
                date=aujourd_hui - datetime.timedelta(days=20),
            )
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["abandon"],
        auteur=rose,
        date=aujourd_hui - datetime.timedelta(days=3),
        motif=motif_abandon,
        commentaire="Ne vient plus depuis deux semaines.",
    )

    connecter("rose")
    page.get_by_role("link", name="Pilotage").click()
    page.get_by_label("Financeur", exact=True).select_option(label="Région Auvergne")
    page.get_by_label("Du", exact=True).fill(
        (aujourd_hui - datetime.timedelta(days=60)).isoformat()
    )
    page.get_by_label("Au", exact=True).fill(aujourd_hui.isoformat())
    page.get_by_role("button", name="Filtrer").click()

    synthese = page.locator("#tableau-synthese")
    expect(synthese.get_by_role("row", name="Entrées 3")).to_be_visible()
    graphique = page.locator("#tableau-mois svg[role=img]")
    expect(graphique).to_be_visible()
    assert graphique.bounding_box()["height"] > 50
    expect(page.locator("#tableau-mois svg rect").first).to_be_attached()

    with page.expect_download() as telechargement:
        synthese.get_by_role("link", name="Exporter en CSV").click()
    chemin = telechargement.value.path()
    with open(chemin, encoding="utf-8") as fichier:
        texte = fichier.read()
    assert texte.startswith("\ufeff")
    lignes = list(csv.reader(io.StringIO(texte[1:]), delimiter=";"))
    assert ["Entrées", "3"] in lignes
    assert ["Abandons", "0"] in lignes  # the abandon is another financeur's

    synthese.get_by_role("link", name="3").first.click()
    expect(page.get_by_role("heading", name="Entrées")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(3)
