"""Bulk Entrée in a real browser: from the dossier list (select all on the page, confirm,
read the summary) and from a collective séance's page."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from dossiers.models import Statut
from evenements.services import enregistrer_evenement
from seances.models import Presence
from seances.services import SaisiePresence, creer_seance, valider_seance
from tests.factories import BeneficiaireFactory, DossierFactory, TypeSeanceFactory


def _cohorte(dossier, alice, noms):
    return [
        DossierFactory(
            prestation=dossier.prestation,
            equipe=dossier.equipe,
            referent=alice,
            beneficiaire=BeneficiaireFactory(nom=nom, prenom="Test"),
        )
        for nom in noms
    ]


def test_entree_de_la_selection_depuis_la_liste(page, connecter, alice, dossier, types):
    autres = _cohorte(dossier, alice, ["Aubert", "Blanc"])
    deja = _cohorte(dossier, alice, ["Carpentier"])[0]
    il_y_a_une_semaine = timezone.localdate() - datetime.timedelta(days=7)
    enregistrer_evenement(
        dossier=deja, type_evenement=types["entree"], auteur=alice, date=il_y_a_une_semaine
    )
    connecter("alice")
    # JavaScript reveals the header box and hides the no-JS link.
    tout = page.get_by_label("Tout sélectionner sur cette page")
    expect(page.get_by_role("link", name="Tout sélectionner sur cette page")).to_be_hidden()
    tout.check()
    expect(page.locator("input.selection-dossier:checked")).to_have_count(4)
    expect(page.locator("#nombre-coches")).to_have_text("4 dossiers cochés")
    page.get_by_label(f"Sélectionner {dossier.beneficiaire}").uncheck()
    expect(tout).not_to_be_checked()
    expect(page.locator("#nombre-coches")).to_have_text("3 dossiers cochés")
    page.get_by_role("button", name="Enregistrer l'entrée").click()

    expect(page.get_by_role("heading", name="3 dossiers concernés")).to_be_visible()
    expect(page.locator("#dossiers-concernes")).to_contain_text(
        "Sera refusé : Entrée déjà enregistrée le"
    )
    page.get_by_label("Commentaire").fill("Réunion d'information collective")
    page.get_by_role("button", name="Enregistrer les 2 entrées").click()

    expect(page.locator("#bilan-masse")).to_have_text("2 entrées enregistrées, 1 refusée")
    expect(page.locator("#refuses")).to_contain_text(str(deja.beneficiaire))
    expect(page.locator("#refuses")).to_contain_text(
        f"Entrée déjà enregistrée le {il_y_a_une_semaine:%d/%m/%Y}"
    )
    page.locator("#enregistres").get_by_role("link", name=str(autres[0].beneficiaire)).click()
    expect(page.get_by_text("Réunion d'information collective")).to_be_visible()
    for d in autres:
        d.refresh_from_db()
        assert d.statut == Statut.EN_COURS
    dossier.refresh_from_db()
    assert dossier.statut == Statut.A_VENIR  # unchecked: untouched


def test_entree_des_participants_depuis_la_seance(page, connecter, alice, dossier):
    participants = [dossier, *_cohorte(dossier, alice, ["Dupuis", "Etienne"])]
    hier = timezone.localdate() - datetime.timedelta(days=1)
    seance = creer_seance(
        type_seance=TypeSeanceFactory(prestation=dossier.prestation, libelle="Atelier CV"),
        date=hier,
        heure_debut=datetime.time(9),
        heure_fin=datetime.time(12),
        animateur=alice,
        dossiers=participants,
        par=alice,
        lieu="Salle Rhône",
    ).seance
    # Offered once the séance is validated, for the participants present.
    valider_seance(
        seance=seance,
        par=alice,
        presences={p.pk: SaisiePresence(Presence.PRESENT) for p in seance.participations.all()},
    )
    connecter("alice")
    page.goto(f"/seances/{seance.pk}/")
    expect(page.locator("#entrees-participants")).to_contain_text("3 participants présents")
    page.get_by_role("button", name="Enregistrer l'entrée des participants").click()
    expect(page.get_by_label("Date de l'événement")).to_have_value(f"{hier:%Y-%m-%d}")
    page.get_by_role("button", name="Enregistrer les 3 entrées").click()
    expect(page.locator("#bilan-masse")).to_have_text("3 entrées enregistrées")
    page.get_by_role("link", name="Retour").click()
    expect(page.get_by_role("heading", name="Participants (3)")).to_be_visible()
    expect(page.locator("#entrees-participants")).to_have_count(0)
    for d in participants:
        d.refresh_from_db()
        assert d.statut == Statut.EN_COURS and d.date_entree == hier
