"""The configuration a recording reads is kept per process (evenements.configuration) for the
token the database renews on every write to it: a change made any way (admin, queryset
update) is seen by the next recording, and a recording at the end of the history reads
nothing but the dossier and its last event."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evenements import configuration
from evenements.champs import nom_du_champ
from evenements.models import (
    ActionConfiguree,
    ActionDeclenchee,
    ChampSupplementaire,
    Evenement,
    TypeEvenement,
)
from evenements.services import enregistrer_evenement
from tests.factories import DossierFactory


def _type(code: str) -> TypeEvenement:
    """A fresh instance, as a form loads it (its fields not fetched)."""
    return TypeEvenement.objects.get(code=code)


def _etape(dossier, auteur, type_evenement=None, **valeurs):
    return enregistrer_evenement(
        dossier=dossier,
        type_evenement=type_evenement or _type("validation-etape"),
        auteur=auteur,
        valeurs=valeurs or {"etape": "Bilan"},
    )


@pytest.fixture
def en_cours(dossier, alice, aujourd_hui):
    enregistrer_evenement(dossier=dossier, type_evenement=_type("entree"), auteur=alice)
    return dossier


def test_type_desactive_en_masse_est_refuse_a_la_saisie_suivante(en_cours, alice):
    _etape(en_cours, alice)  # the configuration is now kept for the current token
    TypeEvenement.objects.filter(code="validation-etape").update(actif=False)
    with pytest.raises(ValidationError) as refus:
        _etape(en_cours, alice)
    assert "n'est pas proposé" in str(refus.value.message_dict["type_evenement"])


def test_champ_obligatoire_ajoute_est_exige_a_la_saisie_suivante(en_cours, alice):
    _etape(en_cours, alice)
    champ = ChampSupplementaire.objects.create(
        type_evenement=_type("validation-etape"),
        libelle="Attestation remise",
        code="attestation",
        nature=ChampSupplementaire.Nature.TEXTE,
        obligatoire=True,
    )
    with pytest.raises(ValidationError) as refus:
        _etape(en_cours, alice, etape="Bilan final")
    assert "obligatoire" in str(refus.value.message_dict[nom_du_champ(champ)])
    assert en_cours.evenements.count() == 2  # the refused entry is not saved


def test_actions_desactivees_en_masse_ne_sont_plus_declenchees(equipe_a, alice):
    premier, second = DossierFactory(equipe=equipe_a), DossierFactory(equipe=equipe_a)
    enregistrer_evenement(dossier=premier, type_evenement=_type("entree"), auteur=alice)
    assert ActionDeclenchee.objects.filter(evenement__dossier=premier).exists()
    ActionConfiguree.objects.filter(type_evenement__code="entree").update(actif=False)
    enregistrer_evenement(dossier=second, type_evenement=_type("entree"), auteur=alice)
    assert not ActionDeclenchee.objects.filter(evenement__dossier=second).exists()


class _SansActions:
    """A configuration guessed wrong: it knows no action, so asks no billing question."""

    def actions(self, type_id):
        return []


@pytest.mark.parametrize("devinee", [None, _SansActions()], ids=["rien-a-deviner", "fausse"])
def test_sans_la_bonne_configuration_devinee_le_dernier_evenement_est_relu_apres_le_verrou(
    en_cours, alice, monkeypatch, devinee
):
    """The read sent with the lock asks the questions of the configuration the process saw
    last; if the lock's statement names another one that asks others, it is read again (after
    the lock), and the recording is the same."""
    _etape(en_cours, alice, etape="Bilan")
    etape = _type("validation-etape")
    monkeypatch.setattr(configuration, "courante", lambda: devinee)
    with CaptureQueriesContext(connection) as requetes:
        evenement = _etape(en_cours, alice, etape, etape="Suivi")
    lectures = [q["sql"] for q in requetes.captured_queries if q["sql"].startswith("SELECT")]
    assert "FOR UPDATE" in lectures[0] or not connection.features.has_select_for_update
    assert "facturation_financementdossier" in lectures[-1]  # the right questions, asked last
    # PostgreSQL: the lock with the guessed read in one round trip, then the right read.
    # Elsewhere the guessed read is a statement of its own.
    separee = devinee is not None and connection.vendor != "postgresql"
    assert len(lectures) == (3 if separee else 2), lectures
    evenement.refresh_from_db()
    assert evenement.rang == 3  # after the entry and the first step, both read under the lock
    assert evenement.reprise["s"] == "en_cours"


def test_saisie_en_fin_d_historique_lit_le_dossier_et_son_dernier_evenement(en_cours, alice):
    _etape(en_cours, alice)  # configuration and permissions now known
    etape = _type("validation-etape")  # as the form has it
    with CaptureQueriesContext(connection) as requetes:
        evenement = _etape(en_cours, alice, etape, etape="Suivi")
    lectures = [q["sql"] for q in requetes.captured_queries if q["sql"].startswith("SELECT")]
    ecritures = [q["sql"] for q in requetes.captured_queries if q["sql"].startswith("INSERT")]
    # The locked dossier (with the configuration token), then one read for its last event and
    # whether billing concerns it (validation d'étape releases échéances): no configuration
    # read. On PostgreSQL both go in one round trip, the read after the lock.
    if connection.vendor == "postgresql":
        assert len(lectures) == 1, lectures
        lectures = lectures[0].split(";\n")
    assert len(lectures) == 2, lectures
    assert "evenements_jetonconfiguration" in lectures[0]
    if connection.features.has_select_for_update_of:
        assert 'FOR UPDATE OF "dossiers_dossier"' in lectures[0]  # the dossier's row only
    assert "evenements_evenement" in lectures[1]
    assert "facturation_financementdossier" in lectures[1]
    # The event with its checkpoint, and its revision.
    assert len(ecritures) == 2
    assert Evenement.objects.get(pk=evenement.pk).reprise["s"] == "en_cours"
    assert evenement.history.count() == 1
