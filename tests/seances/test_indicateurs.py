"""Indicators against hand-computed dossiers (pure functions; no database)."""

import datetime

from seances.indicateurs import (
    Chiffres,
    Intervalle,
    LigneSeance,
    chiffres,
    par_phase,
    pourcentage,
)

D = datetime.date


def ligne(jour, duree=60, etat="realisee", nature="face_a_face", presence="present", r=0, d=0):
    return LigneSeance(D(2026, 3, jour), etat, nature, duree, presence, r, d)


def test_arrondi_edof_entier_demi_au_dessus():
    assert pourcentage(1, 8) == 13  # 12.5 → 13
    assert pourcentage(1, 3) == 33
    assert pourcentage(2, 3) == 67
    assert pourcentage(199, 200) == 100  # 99.5 → 100
    assert pourcentage(397, 400) == 99  # 99.25
    assert pourcentage(0, 0) is None


def test_heures_realisees_moins_absences_et_retards():
    # 3 h present, 2 h absent justifié, 1 h30 with 15 min late and 10 min early departure
    lignes = [
        ligne(2, 180),
        ligne(3, 120, presence="absent_justifie"),
        ligne(4, 90, r=15, d=10),
    ]
    c = chiffres(lignes)
    assert c.minutes_prevues == 390
    assert c.minutes_attendues == 390
    assert c.minutes_realisees == 180 + 65
    assert str(c.heures_realisees) == "4.08"
    assert c.taux_presence == 63  # 245 / 390 = 62.8 %


def test_seances_annulees_et_prevues():
    lignes = [
        ligne(2, 120),
        ligne(5, 60, etat="annulee"),
        ligne(9, 180, etat="prevue", presence=""),
    ]
    c = chiffres(lignes)
    assert c.minutes_prevues == 300  # the cancelled one is not planned any more
    assert c.minutes_attendues == 120  # only validated séances count for presence
    assert c.minutes_realisees == 120
    assert c.taux_presence == 100
    assert c.taux_realisation == 40  # 120 / 300


def test_temps_beneficiaire_et_conseiller_separes():
    lignes = [
        ligne(2, 60, nature="face_a_face"),
        ligne(3, 120, nature="autonomie"),
        ligne(4, 45, nature="conseiller_seul", presence=""),
        ligne(5, 60, nature="a_distance", presence="absent_non_justifie"),
    ]
    c = chiffres(lignes)
    assert c.minutes_prevues == 60 + 120 + 60
    assert c.minutes_realisees == 60 + 120
    assert c.minutes_conseiller_prevues == 60 + 45 + 60
    # the conseiller was there even when the bénéficiaire was absent
    assert c.minutes_conseiller_realisees == 60 + 45 + 60


def test_taux_de_realisation_sur_le_contrat_quand_il_existe():
    c = chiffres([ligne(2, 600)], minutes_contrat=70 * 60)
    assert c.taux_realisation == 14  # 10 h of 70 h = 14.28
    c = chiffres([ligne(2, 21)], minutes_contrat=40 * 60)  # 0.875 %
    assert c.taux_realisation == 1


def test_taux_de_reussite_plafonne():
    assert Chiffres(objectifs_valides=3, objectifs_prevus=4).taux_reussite == 75
    assert Chiffres(objectifs_valides=5, objectifs_prevus=4).taux_reussite == 100
    assert Chiffres(objectifs_valides=2, objectifs_prevus=0).taux_reussite is None


def test_retard_plus_long_que_la_seance_ne_donne_pas_de_negatif():
    assert chiffres([ligne(2, 60, r=50, d=30)]).minutes_realisees == 0


def test_par_phase_selon_les_dates_des_sejours():
    intervalles = [
        Intervalle(1, "Bilan initial", D(2026, 3, 2), D(2026, 3, 10)),
        Intervalle(2, "Accompagnement", D(2026, 3, 10), D(2026, 3, 20)),
        Intervalle(1, "Bilan initial", D(2026, 3, 20), None),  # back to phase 1
    ]
    lignes = [
        ligne(1, 60),  # before the first phase: hors phase
        ligne(3, 120),
        ligne(10, 180, presence="absent_justifie"),  # the day of the change: next phase
        ligne(15, 60, r=30),
        ligne(25, 60),
    ]
    resultat = par_phase(
        lignes,
        intervalles,
        validations=[D(2026, 3, 12), D(2026, 3, 21)],
        objectifs_par_phase={2: 2, 1: 1},
    )
    assert [(p.libelle, p.phase_id) for p in resultat] == [
        ("Bilan initial", 1),
        ("Accompagnement", 2),
        ("Hors phase", None),
    ]
    bilan, accompagnement, hors = (p.chiffres for p in resultat)
    assert (bilan.minutes_prevues, bilan.minutes_realisees) == (180, 180)
    assert (accompagnement.minutes_prevues, accompagnement.minutes_realisees) == (240, 30)
    assert accompagnement.taux_presence == 13  # 30 / 240 = 12.5 → 13
    assert accompagnement.taux_reussite == 50 and bilan.taux_reussite == 100
    assert hors.minutes_realisees == 60
    # the phases add up to the dossier's figures
    total = chiffres(lignes)
    assert sum(p.chiffres.minutes_realisees for p in resultat) == total.minutes_realisees


def test_hors_phase_absent_quand_vide():
    resultat = par_phase([ligne(5)], [Intervalle(1, "Unique", D(2026, 3, 1), None)])
    assert [p.libelle for p in resultat] == ["Unique"]
