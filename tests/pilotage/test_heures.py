"""Hours, présence and réussite across dossiers equal the per-dossier figures of the Résumé
card (seances.selectors.indicateurs_du_dossier), per prestation and per phase."""

import datetime
from collections import defaultdict

import pytest

from dossiers.models import Dossier
from pilotage import heures
from pilotage.filtres import Periode
from seances.indicateurs import Chiffres
from seances.selectors import indicateurs_du_dossier
from tests.factories import FinanceurFactory, PrestationFactory
from tests.pilotage.generateur import ajouter_seances, generer

CLES = (
    "minutes_prevues",
    "minutes_realisees",
    "minutes_attendues",
    "minutes_conseiller_prevues",
    "minutes_conseiller_realisees",
)


def somme(chiffres_list, valides=0, prevus=0) -> dict:
    totaux = {cle: sum(getattr(c, cle) for c in chiffres_list) for cle in CLES}
    return heures.en_dict(Chiffres(**totaux, objectifs_valides=valides, objectifs_prevus=prevus))


@pytest.fixture
def donnees(types, rose, equipe_a, aujourd_hui):
    prestations = [PrestationFactory(nom="Bilan"), PrestationFactory(nom="Insertion")]
    dossiers = generer(
        graine=7,
        nombre=30,
        types=types,
        auteur=rose,
        equipe=equipe_a,
        prestations=prestations,
        financeurs=[FinanceurFactory()],
        aujourd_hui=aujourd_hui,
    )
    ajouter_seances(graine=8, dossiers=dossiers, auteur=rose, types=types, aujourd_hui=aujourd_hui)
    return Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).select_related("prestation")


def test_heures_et_taux_egaux_aux_fiches_des_dossiers(
    donnees, aujourd_hui, django_assert_num_queries
):
    tout = Periode(aujourd_hui - datetime.timedelta(days=800), aujourd_hui)
    fiches = {d.pk: indicateurs_du_dossier(d, aujourd_hui=aujourd_hui) for d in donnees}
    assert sum(f["total"].minutes_realisees for f in fiches.values()) > 0

    par_prestation_attendu = defaultdict(list)
    for d in donnees:
        par_prestation_attendu[d.prestation_id].append(d)
    with django_assert_num_queries(2):
        par_prestation = heures.par_prestation(Dossier.objects.all(), tout)
    for prestation_id, dossiers in par_prestation_attendu.items():
        totaux = [fiches[d.pk]["total"] for d in dossiers]
        # réussite: dossiers in progress at some point of the period, each capped at 100 %
        en_parcours = [fiches[d.pk]["total"] for d in dossiers if d.date_entree]
        attendu = somme(
            totaux,
            valides=sum(min(c.objectifs_valides, c.objectifs_prevus) for c in en_parcours),
            prevus=sum(c.objectifs_prevus for c in en_parcours),
        )
        assert par_prestation[prestation_id] == attendu

    par_phase_attendu = defaultdict(list)
    for fiche in fiches.values():
        for phase in fiche["phases"]:
            par_phase_attendu[phase.phase_id].append(phase.chiffres)
    with django_assert_num_queries(3):
        par_phase = heures.par_phase(Dossier.objects.all(), tout)
    obtenu = {
        ligne["phase_id"]: {
            k: ligne[k] for k in ("heures_prevues", "heures_realisees", "taux_presence")
        }
        for ligne in par_phase
        if ligne["heures_prevues"] or ligne["phase_id"] is not None
    }
    attendu = {}
    for phase_id, liste in par_phase_attendu.items():
        figures = somme(liste)
        if figures["heures_prevues"] or phase_id is not None:
            attendu[phase_id] = {
                k: figures[k] for k in ("heures_prevues", "heures_realisees", "taux_presence")
            }
    assert obtenu == {k: v for k, v in attendu.items() if k in obtenu or v["heures_prevues"]}


def test_une_periode_ne_compte_que_ses_seances(donnees, aujourd_hui):
    debut = aujourd_hui - datetime.timedelta(days=100)
    recent = heures.totaux(Dossier.objects.all(), Periode(debut, aujourd_hui))
    ancien = heures.totaux(
        Dossier.objects.all(),
        Periode(aujourd_hui - datetime.timedelta(days=800), debut - datetime.timedelta(days=1)),
    )
    tout = heures.totaux(
        Dossier.objects.all(), Periode(aujourd_hui - datetime.timedelta(days=800), aujourd_hui)
    )
    assert recent["heures_prevues"] + ancien["heures_prevues"] == pytest.approx(
        tout["heures_prevues"]
    )
    assert recent["heures_realisees"] + ancien["heures_realisees"] == pytest.approx(
        tout["heures_realisees"]
    )
