"""The recording's reads compiled once per process give what the ORM gives."""

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError

from dossiers.models import Dossier
from evenements import services
from evenements.models import JetonConfiguration
from evenements.services import enregistrer_evenement


def test_le_verrou_rend_le_dossier_et_sa_prestation_comme_l_orm(dossier, django_assert_num_queries):
    attendu = Dossier.objects.select_related("prestation").get(pk=dossier.pk)
    for _ in range(2):  # compiled on first use, then only sent
        with transaction.atomic(), django_assert_num_queries(1):
            verrouille = services._verrouiller(dossier)
            assert verrouille.prestation.nom == attendu.prestation.nom  # no extra query
        champs = [f.attname for f in Dossier._meta.concrete_fields]
        assert [getattr(verrouille, c) for c in champs] == [getattr(attendu, c) for c in champs]
        assert verrouille.jeton_configuration == JetonConfiguration.objects.get(pk=1).jeton
        assert not verrouille._state.adding and verrouille._state.db == "default"


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_le_verrou_hors_transaction_est_refuse_comme_par_l_orm(dossier):
    with transaction.atomic():
        services._verrouiller(dossier)  # compiled
    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            services._verrouiller(dossier)
    else:  # SQLite has no row locks: the ORM does not refuse either
        assert services._verrouiller(dossier).pk == dossier.pk


def test_un_dossier_disparu_est_introuvable(dossier):
    absent = Dossier(pk=dossier.pk + 1000)
    with transaction.atomic(), pytest.raises(Dossier.DoesNotExist):
        services._verrouiller(absent)


def test_dernier_evenement_et_verdicts(dossier, types, alice, aujourd_hui):
    def condition():
        from django.db.models import Exists, OuterRef

        return Exists(Dossier.objects.filter(pk=OuterRef("pk"), equipe__isnull=False))

    conditions = {test_dernier_evenement_et_verdicts: condition}
    assert services._dernier_et_verdicts(dossier, conditions) == (
        None,
        {test_dernier_evenement_et_verdicts: True},
    )
    entree = enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui
    )
    entree.refresh_from_db()
    assert services._dernier_et_verdicts(dossier, {}) == (
        (aujourd_hui, entree.rang, entree.reprise),
        {},
    )
