"""Signing links through the real parts: PostgreSQL, Redis, a Celery worker, SMTP on loopback."""

import datetime
import re

import pytest
from django.utils import timezone

from seances import envoi, services
from seances.models import JetonEmargement, Presence
from tests.factories import TypeSeanceFactory
from tests.integration.conftest import attendre
from tests.integration.test_pipeline_reel import changer_de_broker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def participation_validee(dossier, alice, aujourd_hui, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seance = services.creer_seance(
        type_seance=TypeSeanceFactory(prestation=dossier.prestation),
        date=aujourd_hui - datetime.timedelta(days=1),
        heure_debut=datetime.time(9),
        heure_fin=datetime.time(11),
        animateur=alice,
        dossiers=[dossier],
        par=alice,
        lieu="Salle 1",
    ).seance
    participation = seance.participations.select_related("dossier__beneficiaire").get()
    services.valider_seance(
        seance=seance,
        par=alice,
        presences={participation.pk: services.SaisiePresence(Presence.PRESENT)},
    )
    participation.refresh_from_db()
    return participation


def _etat(jeton):
    return JetonEmargement.objects.get(pk=jeton.pk).etat_envoi


def test_le_lien_part_par_le_worker_et_arrive_par_smtp(
    lancer_worker, smtp, participation_validee, alice
):
    lancer_worker()
    jeton = services.envoyer_lien(
        participation=participation_validee, demi_journee="matin", canal="email", par=alice
    )
    adresse = participation_validee.dossier.beneficiaire.email
    attendre(lambda: smtp.pour(adresse), message="le lien n'est pas arrivé")
    (message,) = smtp.pour(adresse)
    assert message["Subject"].startswith("Émargement : ")
    # The signature carries the second it was made: read the link back, do not rebuild it.
    (valeur,) = re.findall(r"/emargement/([^/\s]+)/", message.get_content())
    assert services.lire_jeton(valeur) == jeton
    attendre(lambda: _etat(jeton) == JetonEmargement.EtatEnvoi.ENVOYE)


def test_broker_injoignable_le_balayage_envoie_le_lien(
    lancer_worker, smtp, participation_validee, alice, celery_en_processus, redis_url
):
    app = celery_en_processus
    changer_de_broker(app, "redis://127.0.0.1:1/0")  # Redis "down" at commit time
    jeton = services.envoyer_lien(
        participation=participation_validee, demi_journee="matin", canal="email", par=alice
    )
    assert _etat(jeton) == JetonEmargement.EtatEnvoi.A_ENVOYER  # kept, not lost
    changer_de_broker(app, redis_url)
    lancer_worker()
    JetonEmargement.objects.filter(pk=jeton.pk).update(
        cree_le=timezone.now() - datetime.timedelta(minutes=2)
    )
    assert envoi.balayer() == 1
    adresse = participation_validee.dossier.beneficiaire.email
    attendre(lambda: smtp.pour(adresse), message="le balayage n'a pas envoyé le lien")
    attendre(lambda: _etat(jeton) == JetonEmargement.EtatEnvoi.ENVOYE)
