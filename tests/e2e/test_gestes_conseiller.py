"""What only a browser shows: the preview following the date, the order toggle keeping the
deleted events, the unread alerts in the header."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from evenements.services import enregistrer_evenement, supprimer_evenement
from tests.e2e.test_parcours_evenements import FMT, choisir_type, ouvrir_evenements


def test_l_apercu_suit_la_date(page, connecter, alice, dossier):
    connecter("alice")
    ouvrir_evenements(page, dossier)
    page.get_by_role("link", name="+ Nouvel événement").click()
    choisir_type(page, "Entrée en prestation")
    apercu = page.locator("#apercu")
    expect(apercu).to_contain_text(f"envoyer un e-mail au financeur {dossier.financeur}")
    expect(apercu).not_to_contain_text("Ne sera pas fait")

    page.get_by_label("Commentaire").fill("Gardé pendant le rafraîchissement")
    il_y_a_10_jours = timezone.localdate() - datetime.timedelta(days=10)
    with page.expect_response(lambda r: "date=" in r.url and "csrfmiddlewaretoken" not in r.url):
        page.get_by_label("Date de l'événement").fill(il_y_a_10_jours.strftime(FMT))
    expect(apercu).to_contain_text("Ne sera pas fait : envoyer un e-mail au financeur")
    expect(apercu).to_contain_text("saisie a posteriori")
    expect(page.get_by_label("Commentaire")).to_have_value("Gardé pendant le rafraîchissement")

    dans_une_semaine = timezone.localdate() + datetime.timedelta(days=7)
    page.get_by_label("Date de l'événement").fill(dans_une_semaine.strftime(FMT))
    expect(apercu).to_contain_text(f"s'appliqueront le {dans_une_semaine:%d/%m/%Y}")
    expect(apercu).not_to_contain_text("Ne sera pas fait")


def test_basculer_l_ordre_garde_les_supprimes(page, connecter, alice, rose, dossier, types):
    aujourd_hui = timezone.localdate()
    for jours, commentaire in ((5, "Premier"), (2, "Second")):
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["entree"] if jours == 5 else types["validation-etape"],
            auteur=alice,
            date=aujourd_hui - datetime.timedelta(days=jours),
            commentaire=commentaire,
            valeurs={"etape": "CV"} if jours == 2 else None,
        )
    efface = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=alice,
        date=aujourd_hui,
        valeurs={"etape": "Effacée"},
    )
    supprimer_evenement(evenement=efface, par=rose, raison="Doublon")
    connecter("rose")
    ouvrir_evenements(page, dossier)
    page.get_by_role("link", name="Afficher les événements supprimés").click()
    lignes = page.locator("#historique tbody tr")
    expect(lignes).to_have_count(3)
    expect(page.locator("#ordre-actuel")).to_have_text("Plus anciens d'abord")
    page.get_by_role("button", name="Afficher les plus récents d'abord").click()
    expect(page.locator("#ordre-actuel")).to_have_text("Plus récents d'abord")
    expect(lignes).to_have_count(3)  # the deleted one is still shown
    expect(lignes.nth(0)).to_contain_text("Doublon")
    expect(page.get_by_role("link", name="Masquer les événements supprimés")).to_be_visible()
    page.get_by_role("button", name="Afficher les plus anciens d'abord").click()
    expect(lignes.nth(0)).to_contain_text("Premier")
    expect(lignes).to_have_count(3)


def test_compteur_d_alertes_non_lues(page, connecter, alice, bob, dossier, types, motif_rupture):
    from django.db import transaction

    aujourd_hui = timezone.localdate()
    with transaction.atomic():
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["entree"],
            auteur=alice,
            date=aujourd_hui - datetime.timedelta(days=20),
        )
    with transaction.atomic():  # the live server's database: actions run after commit
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["rupture"],
            auteur=alice,
            motif=motif_rupture,
            commentaire="Arrêt décidé par le financeur",
        )
    connecter("bob")
    compteur = page.locator("#alertes-non-lues")
    expect(compteur).to_have_text("1")
    page.get_by_role("link", name="Alertes").click()
    ligne = page.locator("#alertes tbody tr")
    expect(ligne).to_contain_text("Rupture sur le dossier de")
    expect(ligne).to_contain_text("pensez au suivi")
    ligne.get_by_role("button", name="Ouvrir le dossier").click()
    expect(page.locator("#statut-dossier")).to_have_text("Rupture")
    expect(compteur).to_have_count(0)  # read: no badge any more
    page.get_by_role("link", name="Alertes").click()
    expect(page.get_by_text("Aucune alerte non lue.")).to_be_visible()
    page.get_by_role("link", name="Afficher aussi les alertes lues").click()
    expect(page.locator("#alertes tbody tr")).to_contain_text("lue le")


def test_modifier_le_dossier_puis_l_historique(page, connecter, rose, bob, dossier):
    connecter("rose")
    page.goto(f"/dossiers/{dossier.pk}/")
    page.get_by_role("link", name="Modifier le dossier").click()
    page.get_by_label("Référent").select_option(label=bob.get_full_name())
    page.get_by_label("Heures prévues").fill("90")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Indiquez la raison de la modification.")).to_be_visible()
    expect(page.get_by_label("Heures prévues")).to_have_value("90")  # nothing typed is lost
    page.get_by_label("Raison de la modification").fill("Changement de portefeuille")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Dossier modifié.")).to_be_visible()
    expect(page.locator(".entete")).to_contain_text(bob.get_full_name())
    page.get_by_role("link", name="Historique").click()
    modification = page.locator("#modifications tbody tr").first
    expect(modification).to_contain_text("Changement de portefeuille")
    expect(modification).to_contain_text(f"Référent : {dossier.referent.get_full_name()}")
    expect(modification).to_contain_text("Heures prévues : — → 90")
