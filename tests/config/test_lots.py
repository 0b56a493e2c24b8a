"""config.lots.mettre_a_jour: several rows, each its own values, one statement (both
databases: PostgreSQL needs its CASE typed, SQLite must not cast dates); and sent with the
next statement inside ecritures_groupees()."""

import contextlib
import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from config.lots import ecritures_groupees, mettre_a_jour, plusieurs_par_appel
from dossiers.models import Beneficiaire
from tests.factories import BeneficiaireFactory


@pytest.mark.django_db
def test_chaque_ligne_recoit_ses_valeurs_en_une_requete(django_assert_num_queries):
    lea, marc, autre = BeneficiaireFactory.create_batch(3, consentement_sms=False)
    lea.nom, lea.date_naissance, lea.consentement_sms = "D'Artagnan « é »", None, True
    marc.nom, marc.date_naissance = "Marc", datetime.date(2001, 2, 28)
    autre.nom = "Pas écrit"
    with django_assert_num_queries(1):
        ecrites = mettre_a_jour(
            [lea, marc], ["nom", "date_naissance", "consentement_sms"], consentement_sms=False
        )
    assert ecrites == 2
    lues = {b.pk: b for b in Beneficiaire.objects.all()}
    assert (lues[lea.pk].nom, lues[lea.pk].date_naissance) == ("D'Artagnan « é »", None)
    assert lues[lea.pk].consentement_sms is True
    assert (lues[marc.pk].nom, lues[marc.pk].date_naissance) == ("Marc", datetime.date(2001, 2, 28))
    assert lues[autre.pk].nom != "Pas écrit"


@pytest.mark.django_db
def test_une_condition_non_remplie_la_ligne_est_laissee(django_assert_num_queries):
    lea = BeneficiaireFactory(consentement_sms=True)
    lea.nom = "Changé"
    assert mettre_a_jour([lea], ["nom"], consentement_sms=False) == 0
    lea.refresh_from_db()
    assert lea.nom != "Changé"


@pytest.mark.django_db
def test_une_ligne_dont_le_jeton_a_change_est_laissee():
    """A row someone else took over since it was read (its token moved) keeps their values."""
    lea, marc = BeneficiaireFactory.create_batch(2, nom="Avant")
    Beneficiaire.objects.filter(pk=marc.pk).update(date_naissance=datetime.date(1980, 1, 1))
    lea.nom = marc.nom = "Après"
    assert mettre_a_jour([lea, marc], ["nom"], jeton="date_naissance") == 1
    assert dict(Beneficiaire.objects.values_list("pk", "nom")) == {
        lea.pk: "Après",
        marc.pk: "Avant",
    }


# --- ecritures_groupees: the UPDATE rides with the next statement ---


def _donnees(requetes) -> list[str]:
    return [q["sql"] for q in requetes if q["sql"].startswith(("INSERT", "UPDATE", "SELECT"))]


@pytest.mark.django_db
def test_l_ecriture_part_avec_la_requete_suivante(django_assert_num_queries):
    """PostgreSQL: the UPDATE follows the next INSERT in the same call, whose caller still
    gets its own result (the new row's id). Elsewhere: sent alone, as usual."""
    lea = BeneficiaireFactory(nom="Avant")
    lea.nom = "Après « é » 100 %"
    with CaptureQueriesContext(connection) as requetes, ecritures_groupees():
        assert mettre_a_jour([lea], ["nom"]) == 1
        marc = Beneficiaire.objects.create(nom="Marc", prenom="M", email="m@ex.fr")
    assert marc.pk is not None and Beneficiaire.objects.get(pk=marc.pk).nom == "Marc"
    lea.refresh_from_db()
    assert lea.nom == "Après « é » 100 %"
    sql = _donnees(requetes)  # the INSERT, then its revision's
    if plusieurs_par_appel(connection):
        assert [s.split()[0] for s in sql] == ["INSERT", "INSERT"]
        assert ";\nUPDATE" in sql[0] and "UPDATE" not in sql[1]
    else:
        assert [s.split()[0] for s in sql] == ["UPDATE", "INSERT", "INSERT"]


@pytest.mark.django_db
def test_sans_requete_apres_elle_l_ecriture_part_a_la_fin_du_bloc():
    lea = BeneficiaireFactory(nom="Avant")
    lea.nom = "Après"
    with ecritures_groupees():
        mettre_a_jour([lea], ["nom"])
    lea.refresh_from_db()
    assert lea.nom == "Après"


@pytest.mark.django_db(transaction=True)
def test_une_erreur_dans_la_requete_hote_annule_les_deux():
    """Inside the transaction they share: the host fails, the write is not kept either."""
    lea = BeneficiaireFactory(nom="Avant")
    lea.nom = "Après"
    with pytest.raises(IntegrityError), transaction.atomic(), ecritures_groupees():
        mettre_a_jour([lea], ["nom"])
        Beneficiaire.objects.create(pk=lea.pk, nom="Doublon", prenom="D")
    lea.refresh_from_db()
    assert lea.nom == "Avant"


@pytest.mark.django_db
def test_une_lecture_dans_le_bloc_voit_l_ecriture():
    """A statement other than an INSERT first sends the waiting write on its own."""
    lea = BeneficiaireFactory(nom="Avant")
    lea.nom = "Après"
    with ecritures_groupees():
        mettre_a_jour([lea], ["nom"])
        assert Beneficiaire.objects.get(pk=lea.pk).nom == "Après"


@pytest.mark.django_db(transaction=True)
def test_un_point_de_sauvegarde_annule_ne_perd_pas_l_ecriture():
    """The write waiting before an inner atomic block is sent before its savepoint: rolling
    the inner block back does not take it along."""
    lea = BeneficiaireFactory(nom="Avant")
    lea.nom = "Après"
    with transaction.atomic(), ecritures_groupees():
        mettre_a_jour([lea], ["nom"])
        with contextlib.suppress(IntegrityError), transaction.atomic():
            Beneficiaire.objects.create(pk=lea.pk, nom="Doublon", prenom="D")
    lea.refresh_from_db()
    assert lea.nom == "Après"


@pytest.mark.django_db
def test_une_ecriture_conditionnelle_part_aussitot_avec_son_compte():
    """Its caller reads how many rows it wrote: never held back."""
    lea = BeneficiaireFactory(nom="Avant", consentement_sms=True)
    lea.nom = "Après"
    with ecritures_groupees():
        assert mettre_a_jour([lea], ["nom"], consentement_sms=False) == 0
    lea.refresh_from_db()
    assert lea.nom == "Avant"
