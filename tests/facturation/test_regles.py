"""The billing rules as pure functions: every rule type with plain numbers."""

import itertools
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facturation import regles
from facturation.argent import arrondir, euros


def test_arrondi_au_centime_une_seule_fois():
    assert arrondir(D("840.005")) == D("840.01")
    assert arrondir(D("0.004")) == D("0.00")
    assert euros(D("1234.5")) == "1 234,50 €"


def test_forfait_par_etapes_en_pourcentage():
    assert regles.montant_modalite(
        prix=D("2800"), part_pourcentage=D("30"), montant_fixe=None
    ) == D("840.00")


def test_par_etape_montant_fixe():
    assert regles.montant_modalite(
        prix=D("2800"), part_pourcentage=None, montant_fixe=D("500")
    ) == D("500.00")


def test_taux_horaire_mensuel():
    assert regles.montant_horaire(heures=D("12.5"), taux_horaire=D("18.40")) == D("230.00")


def test_cofinancement_quote_part():
    assert regles.quote_part(D("840.00"), D("60")) == D("504.00")
    assert regles.quote_part(D("840.00"), D("40")) == D("336.00")


def test_abandon_au_prorata_des_heures():
    du = regles.du_apres_interruption(
        regle="prorata", prix=D("2800"), heures_realisees=D("30"), heures_prevues=D("120")
    )
    assert du == D("700.00")
    assert regles.solde_realise(du, deja_debloque=D("840")) == D("0.00")  # never negative


def test_rien_de_plus():
    assert regles.du_apres_interruption(
        regle="rien", prix=D("2800"), heures_realisees=D("100"), heures_prevues=D("120")
    ) == D("0")


@pytest.mark.parametrize(
    ("faites", "attendu"),
    [
        ("0", "700.00"),  # < 25 %: 25 % of the price
        ("29.9", "700.00"),  # 24.9 %
        ("30", "700.00"),  # exactly 25 %: pro rata = 25 %
        ("60", "1400.00"),  # 50 %: pro rata
        ("95.9", "2237.67"),  # 79.9 %: still pro rata
        ("96", "2800.00"),  # 80 %: everything
        ("150", "2800.00"),  # capped
    ],
)
def test_regle_cpf_seuils_25_et_80(faites, attendu):
    du = regles.du_apres_interruption(
        regle="cpf", prix=D("2800"), heures_realisees=D(faites), heures_prevues=D("120")
    )
    assert du == D(attendu)


def test_sans_heures_prevues_rien_ne_se_mesure():
    assert regles.taux_realisation(D("10"), None) == D("0")


def test_cofinancement_au_centime_pres():
    # 1 000 € split 33.33 / 33.33 / 33.34 % of a 70 % share: rounding each loses a cent.
    parts = [D("33.33"), D("33.33"), D("33.34")]
    montants = [regles.quote_part(regles.pourcentage(D("1000.01"), p), D("70")) for p in parts]
    total = regles.quote_part(D("1000.01"), D("70"))
    assert sum(montants) != total
    assert sum(regles.ajuster_au_total(montants, total)) == total


@given(
    prix=st.decimals(min_value=1, max_value=100_000, places=2),
    coupures=st.lists(
        st.integers(min_value=1, max_value=9_999), min_size=0, max_size=5, unique=True
    ),
    part=st.decimals(min_value=D("0.01"), max_value=100, places=2),
)
def test_un_echeancier_de_forfait_fait_toujours_le_total(prix, coupures, part):
    """Any percentages summing to 100 %, any co-financing share: the sum is the share, exactly."""
    bornes = [0, *sorted(coupures), 10_000]
    pourcentages = [D(b - a) / 100 for a, b in itertools.pairwise(bornes)]
    montants = [
        regles.quote_part(
            regles.montant_modalite(prix=prix, part_pourcentage=p, montant_fixe=None), part
        )
        for p in pourcentages
    ]
    total = regles.quote_part(prix, part)
    assert sum(regles.ajuster_au_total(montants, total)) == total
