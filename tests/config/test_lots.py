"""config.lots.mettre_a_jour: several rows, each its own values, one statement (both
databases: PostgreSQL needs its CASE typed, SQLite must not cast dates)."""

import datetime

import pytest

from config.lots import mettre_a_jour
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
