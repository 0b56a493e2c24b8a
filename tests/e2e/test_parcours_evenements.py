"""The seed's journeys, in a real browser, as a French caseworker does them."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from evenements.models import Evenement
from evenements.services import enregistrer_evenement

FMT = "%Y-%m-%d"


def ouvrir_evenements(page, dossier):
    page.goto(f"/dossiers/{dossier.pk}/")
    page.get_by_role("link", name="Événements").click()
    expect(page.get_by_role("heading", name="Événements")).to_be_visible()


def choisir_type(page, type_libelle):
    """Choose the type and wait for HTMX to bring that type's fields."""
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.get_by_label("Type d'événement").select_option(label=type_libelle)


def saisir(page, type_libelle, date=None, commentaire="", motif=None, **champs):
    page.get_by_role("link", name="+ Nouvel événement").click()
    choisir_type(page, type_libelle)
    if motif:
        page.get_by_label("Motif").select_option(label=motif)
    for libelle, valeur in champs.items():
        page.get_by_label(libelle.replace("_", " "), exact=False).select_option(label=valeur)
    if date:
        page.get_by_label("Date de l'événement").fill(date.strftime(FMT))
    page.get_by_label("Commentaire").fill(commentaire)
    page.get_by_role("button", name="Enregistrer").click()


def statut(page):
    return page.locator("#statut-dossier")


def test_entree_puis_abandon_avec_et_sans_motif(page, connecter, alice, dossier):
    connecter("alice")
    ouvrir_evenements(page, dossier)
    saisir(page, "Entrée en prestation", commentaire="Objectifs : retour à l'emploi")
    expect(page.get_by_text("Événement « Entrée en prestation » enregistré.")).to_be_visible()
    expect(statut(page)).to_have_text("En cours")
    expect(page.locator("#phase-dossier")).to_have_text("Bilan initial")

    page.get_by_role("link", name="+ Nouvel événement").click()
    choisir_type(page, "Abandon")
    motif = page.get_by_label("Motif *")  # appears once the type is chosen (HTMX)
    expect(motif).to_be_visible()
    page.get_by_label("Commentaire").fill("Ne vient plus aux séances")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Motif obligatoire.")).to_be_visible()
    expect(page.get_by_label("Commentaire")).to_have_value("Ne vient plus aux séances")
    page.get_by_label("Motif *").select_option(label="Perte de motivation")
    page.get_by_role("button", name="Enregistrer").click()
    expect(statut(page)).to_have_text("Abandonné")
    expect(page.locator("#historique")).to_contain_text("Motif : Perte de motivation")


def test_sortie_positive_rupture_et_changement_de_phase(page, connecter, alice, dossier, types):
    connecter("alice")
    ouvrir_evenements(page, dossier)
    il_y_a_30_jours = timezone.localdate() - datetime.timedelta(days=30)
    saisir(page, "Entrée en prestation", date=il_y_a_30_jours)
    expect(statut(page)).to_have_text("En cours")

    page.get_by_role("link", name="+ Nouvel événement").click()
    choisir_type(page, "Changement de phase")
    expect(page.locator("#apercu")).to_contain_text("changer la phase courante du dossier")
    page.get_by_label("Nouvelle phase").select_option(label="Phase de consolidation")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#phase-dossier")).to_have_text("Phase de consolidation")
    expect(page.locator("#historique")).to_contain_text("Phase précédente : Bilan initial")

    page.get_by_role("link", name="+ Nouvel événement").click()
    choisir_type(page, "Sortie positive")
    expect(page.locator("#apercu")).to_contain_text("passer le dossier en « Terminé »")
    page.get_by_label("Type de sortie").select_option(label="Formation qualifiante")
    page.get_by_label("Commentaire").fill("Entre en BTS en septembre")
    page.get_by_role("button", name="Enregistrer").click()
    expect(statut(page)).to_have_text("Terminé")
    expect(page.locator("#duree")).to_have_text("30 jours")

    # Rupture on a second dossier of the same caseworker
    from tests.factories import DossierFactory

    autre = DossierFactory(equipe=dossier.equipe, referent=alice)
    enregistrer_evenement(dossier=autre, type_evenement=types["entree"], auteur=alice)
    ouvrir_evenements(page, autre)
    saisir(
        page, "Rupture", motif="Arrêt décidé par le financeur", commentaire="Fin de prise en charge"
    )
    expect(statut(page)).to_have_text("Rupture")


def test_evenement_antidate_et_ordre_du_jour(page, connecter, alice, dossier, types):
    aujourd_hui = timezone.localdate()
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["entree"],
        auteur=alice,
        date=aujourd_hui - datetime.timedelta(days=10),
    )
    connecter("alice")
    ouvrir_evenements(page, dossier)
    # Forgotten step, entered after the fact with its real date.
    saisir(
        page,
        "Validation d'étape",
        date=aujourd_hui - datetime.timedelta(days=4),
        commentaire="Saisi a posteriori",
    )
    page.get_by_label("Étape ou objectif validé").fill("CV finalisé")
    page.get_by_role("button", name="Enregistrer").click()
    lignes = page.locator("#historique tbody tr")
    expect(lignes).to_have_count(2)
    expect(lignes.nth(1)).to_contain_text("saisi a posteriori")

    # An exit dated before the entry is refused, with the reason next to the date.
    saisir(page, "Sortie positive", date=aujourd_hui - datetime.timedelta(days=20))
    expect(page.get_by_text("aucune entrée enregistrée avant")).to_be_visible()
    page.get_by_role("link", name="Annuler").click()

    # Two events on one day keep their order, and it can be changed.
    for etape in ("Objectif A", "Objectif B"):
        page.get_by_role("link", name="+ Nouvel événement").click()
        choisir_type(page, "Validation d'étape")
        page.get_by_label("Étape ou objectif validé").fill(etape)
        page.get_by_role("button", name="Enregistrer").click()
    expect(lignes.nth(2)).to_contain_text("Objectif A")
    expect(lignes.nth(3)).to_contain_text("Objectif B")
    expect(lignes.nth(3)).to_contain_text("2ᵉ du jour")
    lignes.nth(3).get_by_role("button", name="Monter").click()
    expect(lignes.nth(2)).to_contain_text("Objectif B")
    expect(lignes.nth(3)).to_contain_text("Objectif A")

    # The order toggle is remembered.
    page.get_by_role("button", name="Afficher les plus récents d'abord").click()
    expect(lignes.nth(0)).to_contain_text("Objectif A")
    page.goto("/dossiers/")
    ouvrir_evenements(page, dossier)
    expect(lignes.nth(0)).to_contain_text("Objectif A")
    expect(page.get_by_role("button", name="Afficher les plus anciens d'abord")).to_be_visible()


def test_seul_le_responsable_supprime_et_donne_une_raison(
    page, connecter, alice, rose, dossier, types
):
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    connecter("alice")
    ouvrir_evenements(page, dossier)
    expect(page.get_by_role("link", name="Modifier")).to_be_visible()
    expect(page.get_by_role("link", name="Supprimer")).to_have_count(0)

    page.get_by_role("button", name="Se déconnecter").click()
    connecter("rose")
    ouvrir_evenements(page, dossier)
    page.get_by_role("link", name="Supprimer").click()
    page.get_by_role("button", name="Supprimer l'événement").click()
    expect(page.get_by_text("La raison de la suppression est obligatoire.")).to_be_visible()
    page.get_by_label("Raison de la suppression").fill("Saisi sur le mauvais dossier")
    page.get_by_role("button", name="Supprimer l'événement").click()
    expect(statut(page)).to_have_text("À venir")
    expect(page.get_by_text("Aucun événement pour l'instant.")).to_be_visible()
    page.get_by_role("link", name="Afficher les événements supprimés").click()
    expect(page.locator("#historique")).to_contain_text("Saisi sur le mauvais dossier")
    assert Evenement.objects.get(pk=entree.pk).est_supprime
