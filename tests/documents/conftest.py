import pytest

from documents.models import Organisation
from evenements.services import enregistrer_evenement


@pytest.fixture(autouse=True)
def medias(settings, tmp_path):
    """Generated and uploaded files go to a throw-away MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def organisation(db):
    return Organisation.objects.create(
        raison_sociale="Horizons Formation",
        siret="12345678900012",
        numero_declaration_activite="84691234569",
        adresse="12 rue de la République",
        code_postal="69002",
        ville="Lyon",
        signataire_nom="Claire Dupont",
        signataire_qualite="Directrice",
    )


@pytest.fixture
def saisir(django_capture_on_commit_callbacks, types, alice):
    """Record through the service and run what is queued after commit."""

    def saisir(dossier, code, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return enregistrer_evenement(
                dossier=dossier,
                type_evenement=types[code],
                auteur=kwargs.pop("auteur", alice),
                **kwargs,
            )

    return saisir
