"""BPF: trainees and hours of a civil year by financeur type and nature of action."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from dossiers.models import NatureAction, TypeFinanceur
from evenements.services import enregistrer_evenement
from seances import services
from seances.models import Presence
from seances.services import SaisiePresence
from tests.factories import DossierFactory, FinanceurFactory, PrestationFactory, TypeSeanceFactory


@pytest.fixture
def annee(aujourd_hui):
    return aujourd_hui.year - 1


@pytest.fixture
def stagiaires(rose, equipe_a, types, annee):
    opco = FinanceurFactory(type=TypeFinanceur.OPCO)
    region = FinanceurFactory(type=TypeFinanceur.REGION)
    formation = PrestationFactory(nature_action=NatureAction.FORMATION)
    bilan = PrestationFactory(nature_action=NatureAction.BILAN)
    dossiers = [
        DossierFactory(financeur=opco, prestation=formation, equipe=equipe_a, referent=rose),
        DossierFactory(financeur=opco, prestation=bilan, equipe=equipe_a, referent=rose),
        DossierFactory(financeur=region, prestation=formation, equipe=equipe_a, referent=rose),
    ]
    for d in dossiers:
        enregistrer_evenement(
            commentaire="Commentaire du conseiller.",
            dossier=d,
            type_evenement=types["entree"],
            auteur=rose,
            date=datetime.date(annee, 3, 1),
        )
    # an entry the year after does not count
    plus_tard = DossierFactory(financeur=region, prestation=bilan, equipe=equipe_a, referent=rose)
    enregistrer_evenement(
        commentaire="Commentaire du conseiller.",
        dossier=plus_tard,
        type_evenement=types["entree"],
        auteur=rose,
        date=datetime.date(annee + 1, 1, 2),
    )
    type_seance = TypeSeanceFactory(prestation=formation, collective=True)
    seance = services.creer_seance(
        type_seance=type_seance,
        date=datetime.date(annee, 4, 2),
        heure_debut=datetime.time(9),
        heure_fin=datetime.time(12),
        animateur=rose,
        dossiers=[dossiers[0], dossiers[2]],
        par=rose,
        lieu="Salle",
    ).seance
    participations = {p.dossier_id: p.pk for p in seance.participations.all()}
    services.valider_seance(
        seance=seance,
        par=rose,
        presences={
            participations[dossiers[0].pk]: SaisiePresence(Presence.PRESENT),
            participations[dossiers[2].pk]: SaisiePresence(Presence.PRESENT, 30, 0),
        },
    )
    return dossiers


def test_bpf_par_type_de_financeur_et_nature(client, rose, stagiaires, annee):
    client.force_login(rose)
    page = client.get(reverse("pilotage:bpf"), {"annee": annee})
    (_, financeurs, total_f), (_, natures, total_n) = page.context["tableaux"]
    par_type = {ligne["libelle"]: (ligne["stagiaires"], ligne["heures"]) for ligne in financeurs}
    assert par_type == {"OPCO": (2, 3.0), "Conseil régional": (1, 2.5)}
    par_nature = {ligne["libelle"]: (ligne["stagiaires"], ligne["heures"]) for ligne in natures}
    assert par_nature == {"Action de formation": (2, 5.5), "Bilan de compétences": (1, 0.0)}
    assert total_f["stagiaires"] == total_n["stagiaires"] == 3
    assert total_f["heures"] == total_n["heures"] == 5.5

    reponse = client.get(reverse("pilotage:bpf"), {"annee": annee, "telecharger": "csv"})
    texte = reponse.content.decode("utf-8")
    assert texte.startswith("\ufeff")
    lignes = list(csv.reader(io.StringIO(texte[1:]), delimiter=";"))
    assert lignes[0][0] == "Regroupement"
    assert ["Par type de financeur (origine des fonds)", "OPCO", "2", "2", "3,00"] in lignes


@pytest.mark.parametrize(
    "annee,message", [("deux mille", "Saisissez une année"), ("1850", "à partir de 2000")]
)
def test_bpf_annee_invalide(client, rose, annee, message):
    client.force_login(rose)
    page = client.get(reverse("pilotage:bpf"), {"annee": annee})
    assert page.status_code == 200
    assert message in page.context["form"].errors["annee"][0]
