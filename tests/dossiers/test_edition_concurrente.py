"""Two people saving the same dossier or bénéficiaire at the same moment (real PostgreSQL
row locks): one edit wins, the other gets the French conflict message, nothing is lost
silently; an event recorded meanwhile does not count as a conflict."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from dossiers.models import Beneficiaire, Dossier
from dossiers.services import modifier_beneficiaire, modifier_dossier
from evenements.services import enregistrer_evenement
from tests.conftest import service_absent


def en_meme_temps(*fonctions):
    if connection.vendor != "postgresql":
        service_absent("verrous de ligne réels : ce test a besoin de PostgreSQL (DATABASE_URL).")
    depart = threading.Barrier(len(fonctions))
    resultats = []

    def lancer(fonction):
        try:
            depart.wait()
            fonction()
            resultats.append("ok")
        except ValidationError as exc:
            resultats.append(exc.messages[0])
        finally:
            connections.close_all()

    fils = [threading.Thread(target=lancer, args=(f,)) for f in fonctions]
    for f in fils:
        f.start()
    for f in fils:
        f.join(timeout=30)
    return resultats


@pytest.mark.django_db(transaction=True)
def test_deux_responsables_modifient_le_dossier_un_seul_gagne(dossier, rose, alice, bob):
    collegue = type(rose).objects.get(pk=rose.pk)
    resultats = en_meme_temps(
        lambda: modifier_dossier(
            dossier=dossier, par=rose, version=1, raison="Rose", referent=alice
        ),
        lambda: modifier_dossier(
            dossier=dossier, par=collegue, version=1, raison="Autre", referent=bob
        ),
    )
    assert sorted(resultats)[1] == "ok" and resultats.count("ok") == 1
    assert "Ce dossier a été modifié par" in next(r for r in resultats if r != "ok")
    d = Dossier.objects.get(pk=dossier.pk)
    assert d.version == 2 and d.history.count() >= 1


@pytest.mark.django_db(transaction=True)
def test_deux_conseillers_modifient_le_beneficiaire_un_seul_gagne(dossier, alice, bob):
    b = dossier.beneficiaire
    resultats = en_meme_temps(
        lambda: modifier_beneficiaire(beneficiaire=b, par=alice, version=1, email="a@exemple.org"),
        lambda: modifier_beneficiaire(beneficiaire=b, par=bob, version=1, email="b@exemple.org"),
    )
    assert resultats.count("ok") == 1
    assert "Ce bénéficiaire a été modifié par" in next(r for r in resultats if r != "ok")
    assert Beneficiaire.objects.get(pk=b.pk).version == 2


@pytest.mark.django_db(transaction=True)
def test_un_evenement_pendant_la_modification_n_est_pas_un_conflit(
    dossier, types, alice, rose, bob
):
    resultats = en_meme_temps(
        lambda: enregistrer_evenement(
            dossier=dossier, type_evenement=types["entree"], auteur=alice
        ),
        lambda: modifier_dossier(dossier=dossier, par=rose, version=1, raison="x", referent=bob),
    )
    assert resultats == ["ok", "ok"]
    d = Dossier.objects.get(pk=dossier.pk)
    assert (d.statut, d.referent, d.version) == ("en_cours", bob, 2)
