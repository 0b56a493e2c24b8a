"""Shared fixtures: the reference data, named personas and the services a test may need.

Personas: alice (conseillère, équipe A), bob (conseiller, équipe A), rose (responsable,
équipe A), charlie (conseiller, équipe B), admin (groupe Administrateur).
"""

import datetime
import os
import shutil

import pytest
from django.apps import apps
from django.utils import timezone

from documents.referentiel import creer as creer_documents
from dossiers.roles import creer_groupes
from evenements.models import Motif, TypeEvenement
from evenements.referentiel import creer as creer_referentiel
from facturation.referentiel import creer as creer_facturation
from notifications.referentiel import creer as creer_notifications
from seances.referentiel import creer as creer_seances
from tests.factories import DossierFactory, EquipeFactory, UtilisateurFactory

EN_CI = os.environ.get("CI") == "true"


def service_absent(raison: str):
    """Skip with the reason, except in CI where a missing service is a failure."""
    if EN_CI:
        pytest.fail(f"CI=true mais {raison}")
    pytest.skip(raison)


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        service_absent("REDIS_URL n'est pas défini : ce test a besoin d'un vrai Redis.")
    return url


@pytest.fixture(scope="session")
def chromium():
    chemin = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chemin):
        service_absent(
            "Chromium (/usr/bin/chromium) n'est pas installé : apt-get install chromium."
        )
    return chemin


@pytest.fixture(autouse=True, scope="session")
def hachage_rapide():
    """Password hashing is deliberately slow; tests need not prove that."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def celery_en_processus():
    """Unit tests run tasks in-process; tests/integration uses a real worker instead."""
    from config.celery import app
    from evenements import sonnette

    ancien = app.conf.task_always_eager
    app.conf.task_always_eager = True
    sonnette.relacher(app.conf.task_default_queue)  # no wake-up left by an earlier test
    yield app
    app.conf.task_always_eager = ancien


@pytest.fixture(autouse=True)
def referentiel(db):
    """Built-in types, motifs and groups (recreated: transactional tests flush them)."""
    creer_groupes(apps)
    creer_referentiel(apps)
    creer_notifications(apps)
    creer_seances(apps)
    creer_documents(apps)
    creer_facturation(apps)


@pytest.fixture
def aujourd_hui():
    return timezone.localdate()


def jours(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def equipe_a():
    return EquipeFactory(nom="Équipe A")


@pytest.fixture
def equipe_b():
    return EquipeFactory(nom="Équipe B")


@pytest.fixture
def alice(equipe_a):
    return UtilisateurFactory(username="alice", groupe="Conseiller", equipes=[equipe_a])


@pytest.fixture
def bob(equipe_a):
    return UtilisateurFactory(username="bob", groupe="Conseiller", equipes=[equipe_a])


@pytest.fixture
def rose(equipe_a):
    return UtilisateurFactory(username="rose", groupe="Responsable", equipes=[equipe_a])


@pytest.fixture
def charlie(equipe_b):
    return UtilisateurFactory(username="charlie", groupe="Conseiller", equipes=[equipe_b])


@pytest.fixture
def administrateur():
    return UtilisateurFactory(username="admin", groupe="Administrateur", is_staff=True)


@pytest.fixture
def dossier(equipe_a, alice):
    return DossierFactory(equipe=equipe_a, referent=alice)


@pytest.fixture
def types():
    return {t.code: t for t in TypeEvenement.objects.prefetch_related("champs")}


@pytest.fixture
def motif_abandon():
    return Motif.objects.get(liste="abandon", code="perte-motivation")


@pytest.fixture
def motif_rupture():
    return Motif.objects.get(liste="rupture", code="arret-financeur")
