"""config.jointures: PostgreSQL keeps the written join order within the block, and only there
(the setting never leaks to the next query of the connection, even after an error)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from config import jointures
from tests.conftest import service_absent
from tests.factories import DossierFactory


@pytest.fixture(autouse=True)
def postgresql(db):
    if connection.vendor != "postgresql":
        service_absent(
            "join_collapse_limit est un réglage de PostgreSQL : DATABASE_URL=postgres://"
        )


def _limite() -> str:
    with connection.cursor() as curseur:
        curseur.execute("SHOW join_collapse_limit")
        return curseur.fetchone()[0]


def test_l_ordre_ecrit_dans_le_bloc_seulement():
    defaut = _limite()
    assert defaut != "1"
    with jointures.dans_l_ordre_ecrit():
        assert _limite() == "1"
    assert _limite() == defaut


def test_apres_une_erreur_dans_une_transaction_le_reglage_ne_reste_pas():
    defaut = _limite()
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        jointures.dans_l_ordre_ecrit(),
        connection.cursor() as curseur,
    ):
        curseur.execute("SELECT 1 / 0")
    assert _limite() == defaut


def test_les_pages_d_un_dossier_planifient_leurs_jointures_dans_l_ordre(client, alice, dossier):
    """The dossier's own query (eight tables) is planned in the written order; the page's
    other queries, and the connection afterwards, keep the server's setting."""
    defaut = _limite()
    vues = []

    def noter(execute, sql, params, many, contexte):
        reglage = connection.connection.execute("SHOW join_collapse_limit").fetchone()[0]
        lignes = 'SELECT "dossiers_dossier"."id", "dossiers_dossier"."beneficiaire_id"'
        vues.append((sql.startswith(lignes), reglage))
        return execute(sql, params, many, contexte)

    client.force_login(alice)
    for nom, args in (
        ("dossiers:liste", []),
        ("dossiers:resume", [dossier.pk]),
        ("evenements:onglet", [dossier.pk]),
    ):
        vues.clear()
        with connection.execute_wrapper(noter):
            assert client.get(reverse(nom, args=args)).status_code == 200
        assert {reglage for du_dossier, reglage in vues if du_dossier} == {"1"}, nom
        assert defaut in {reglage for du_dossier, reglage in vues if not du_dossier}, nom
        assert _limite() == defaut


def test_un_dossier_d_une_autre_equipe_reste_introuvable(client, alice, equipe_b):
    autre = DossierFactory(equipe=equipe_b)
    client.force_login(alice)
    assert client.get(reverse("dossiers:resume", args=[autre.pk])).status_code == 404
    assert _limite() != "1"
