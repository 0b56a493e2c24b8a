"""A collective séance's page: "Enregistrer l'entrée des participants" whose dossier is
still "À venir", confirmed, then one Entrée each at the séance's date (evenements.masse)."""

import re

import pytest
from django.urls import reverse

from dossiers.models import Statut
from evenements.services import enregistrer_evenement
from seances.models import Presence
from tests.conftest import jours
from tests.factories import BeneficiaireFactory, DossierFactory, TypeSeanceFactory


@pytest.fixture
def connecte(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def cohorte(dossier, autre_dossier, alice, types, aujourd_hui):
    """Three participants: two "À venir", one already entered last week."""
    entre = DossierFactory(
        prestation=dossier.prestation,
        equipe=dossier.equipe,
        referent=alice,
        beneficiaire=BeneficiaireFactory(nom="Entré", prenom="Paul"),
    )
    enregistrer_evenement(
        dossier=entre, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(7)
    )
    return [dossier, autre_dossier, entre]


def test_rien_n_est_propose_avant_la_validation_de_la_seance(
    connecte, planifier, cohorte, aujourd_hui
):
    for date in (aujourd_hui - jours(1), aujourd_hui + jours(3)):
        seance = planifier(cohorte, date)
        page = connecte.get(reverse("seances:detail", args=[seance.pk])).content.decode()
        assert 'id="entrees-participants"' not in page
        url = reverse("seances:entrees_participants", args=[seance.pk])
        reponse = connecte.post(url, follow=True)
        assert "Aucun participant n&#x27;attend son entrée en prestation." in (
            reponse.content.decode()
        )
        connecte.post(url, {"confirmer": "1", "dossiers": [cohorte[0].pk], "date": f"{date}"})
        assert not cohorte[0].evenements.exists()


def test_la_page_propose_l_entree_des_seuls_participants_a_venir(
    connecte, planifier, valider, cohorte, aujourd_hui
):
    seance = planifier(cohorte, aujourd_hui - jours(1))
    valider(seance)
    page = connecte.get(reverse("seances:detail", args=[seance.pk])).content.decode()
    assert "Enregistrer l'entrée des participants</button>" in page
    assert "2 participants présents dont le dossier est « À venir »" in page
    assert 'id="proposition-entree"' not in page  # one offer, not two
    proposition = page.split('id="entrees-participants"')[1].split("</section>")[0]
    assert str(cohorte[0].beneficiaire) in proposition
    assert str(cohorte[2].beneficiaire) not in proposition


def test_confirmer_puis_bilan_entrees_a_la_date_de_la_seance(
    connecte, planifier, valider, cohorte, aujourd_hui
):
    seance = planifier(cohorte, aujourd_hui - jours(1))
    valider(seance)
    url = reverse("seances:entrees_participants", args=[seance.pk])
    confirmation = connecte.post(url).content.decode()
    assert "2 dossiers concernés" in confirmation
    assert f'value="{seance.date:%Y-%m-%d}"' in confirmation  # the séance's date
    a_venir = [cohorte[0].pk, cohorte[1].pk]
    reponse = connecte.post(
        url,
        {
            "confirmer": "1",
            "dossiers": a_venir,
            "type_evenement": re.search(r'name="type_evenement" value="(\d+)"', confirmation).group(
                1
            ),
            "date": f"{seance.date:%Y-%m-%d}",
            "commentaire": "Atelier collectif",
        },
    )
    page = connecte.get(reponse["Location"]).content.decode()
    assert "2 entrées enregistrées<" in page
    assert f'href="{reverse("seances:detail", args=[seance.pk])}"' in page  # back to it
    for dossier in cohorte[:2]:
        dossier.refresh_from_db()
        assert dossier.statut == Statut.EN_COURS and dossier.date_entree == seance.date
    # Done: the séance page no longer proposes it.
    page = connecte.get(reverse("seances:detail", args=[seance.pk])).content.decode()
    assert 'id="entrees-participants"' not in page


def test_un_id_qui_n_est_pas_participant_est_ignore(
    connecte, planifier, valider, cohorte, dossier, alice, types, aujourd_hui
):
    intrus = DossierFactory(prestation=dossier.prestation, equipe=dossier.equipe, referent=alice)
    seance = planifier(cohorte, aujourd_hui - jours(1))
    valider(seance)
    url = reverse("seances:entrees_participants", args=[seance.pk])
    connecte.post(
        url,
        {
            "confirmer": "1",
            "dossiers": [intrus.pk, cohorte[0].pk],
            "type_evenement": types["entree"].pk,
            "date": f"{seance.date:%Y-%m-%d}",
        },
    )
    assert not intrus.evenements.exists()
    assert cohorte[0].evenements.count() == 1


def test_absents_non_proposes_et_seance_individuelle_sans_proposition(
    connecte, planifier, valider, cohorte, prestation, aujourd_hui
):
    seance = planifier(cohorte, aujourd_hui - jours(1))
    valider(seance, **{f"d{cohorte[1].pk}": Presence.ABSENT_NON_JUSTIFIE})
    page = connecte.get(reverse("seances:detail", args=[seance.pk])).content.decode()
    # one present participant left: the one-click proposal would do; here (validated by the
    # service, no proposal in the session) the card offers it
    assert "1 participant présent dont le dossier est « À venir »" in page
    assert (
        str(cohorte[1].beneficiaire)
        not in page.split('id="entrees-participants"')[1].split("</section>")[0]
    )
    entretien = TypeSeanceFactory(prestation=prestation, libelle="Entretien", collective=False)
    individuelle = planifier([cohorte[0]], aujourd_hui, type_seance=entretien)
    page = connecte.get(reverse("seances:detail", args=[individuelle.pk])).content.decode()
    assert 'id="entrees-participants"' not in page


def test_get_refuse_et_autre_equipe_404(client, charlie, planifier, cohorte, aujourd_hui):
    seance = planifier(cohorte, aujourd_hui)
    url = reverse("seances:entrees_participants", args=[seance.pk])
    client.force_login(charlie)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 404
    assert not cohorte[0].evenements.exists()
