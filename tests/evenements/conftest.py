"""Fixtures of the bulk recording tests (service and pages)."""

import pytest

from dossiers.models import Dossier
from evenements.services import enregistrer_evenement
from tests.conftest import jours
from tests.factories import BeneficiaireFactory, DossierFactory


@pytest.fixture
def nouveau(dossier, alice):
    """An "À venir" dossier of team A, named."""

    def nouveau(nom: str, **kwargs) -> Dossier:
        return DossierFactory(
            prestation=dossier.prestation,
            equipe=dossier.equipe,
            referent=alice,
            beneficiaire=BeneficiaireFactory(nom=nom),
            **kwargs,
        )

    return nouveau


@pytest.fixture
def lot_mixte(nouveau, alice, equipe_b, charlie, types, aujourd_hui):
    """Two to enter, one closed, one already entered, one of another team."""
    ok1, ok2 = nouveau("Arnaud"), nouveau("Bernard")
    clos = nouveau("Clos")
    enregistrer_evenement(
        dossier=clos, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(9)
    )
    enregistrer_evenement(
        dossier=clos,
        type_evenement=types["sortie-positive"],
        auteur=alice,
        date=aujourd_hui - jours(2),
    )
    deja = nouveau("Deja")
    enregistrer_evenement(
        dossier=deja, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(5)
    )
    autre = DossierFactory(
        equipe=equipe_b, referent=charlie, beneficiaire=BeneficiaireFactory(nom="Secreta")
    )
    return {"ok1": ok1, "ok2": ok2, "clos": clos, "deja": deja, "autre": autre}
