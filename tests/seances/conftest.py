"""Séances through their services: the one way in."""

import datetime
import io

import pytest
from PIL import Image, ImageDraw

from seances import services
from seances.models import Presence
from seances.services import SaisiePresence
from tests.factories import BeneficiaireFactory, DossierFactory, TypeSeanceFactory

H = datetime.time
NEUF, MIDI = H(9), H(12)


@pytest.fixture
def prestation(dossier):
    return dossier.prestation


@pytest.fixture
def atelier(prestation):
    return TypeSeanceFactory(prestation=prestation, libelle="Atelier collectif", collective=True)


@pytest.fixture
def autonomie(prestation):
    return TypeSeanceFactory(
        prestation=prestation, libelle="Travail en autonomie", nature="autonomie"
    )


@pytest.fixture
def preparation(prestation):
    return TypeSeanceFactory(
        prestation=prestation,
        libelle="Préparation",
        nature="conseiller_seul",
        emargement_requis=False,
    )


@pytest.fixture
def autre_dossier(dossier, equipe_a, alice):
    return DossierFactory(
        prestation=dossier.prestation,
        equipe=equipe_a,
        referent=alice,
        beneficiaire=BeneficiaireFactory(nom="Durand", prenom="Léa"),
    )


@pytest.fixture
def planifier(alice, atelier):
    def planifier(dossiers, date, debut=NEUF, fin=MIDI, type_seance=None, animateur=None, par=None):
        return services.creer_seance(
            type_seance=type_seance or atelier,
            date=date,
            heure_debut=debut,
            heure_fin=fin,
            animateur=animateur or alice,
            dossiers=list(dossiers),
            par=par or alice,
            lieu="Salle 1",
        ).seance

    return planifier


@pytest.fixture
def valider(alice):
    def valider(seance, par=None, **presences):
        """presences: dossier pk (as "d<pk>") → Presence or (Presence, retard, départ)."""
        saisies = {}
        for participation in seance.participations.all():
            valeur = presences.get(f"d{participation.dossier_id}", Presence.PRESENT)
            if isinstance(valeur, tuple):
                saisies[participation.pk] = SaisiePresence(valeur[0], valeur[1], valeur[2])
            else:
                saisies[participation.pk] = SaisiePresence(valeur)
        return services.valider_seance(seance=seance, par=par or alice, presences=saisies)

    return valider


def png_signature(largeur=300, hauteur=120) -> bytes:
    image = Image.new("RGBA", (largeur, hauteur), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 100), (80, 20), (160, 90), (280, 30)], fill="black", width=3)
    tampon = io.BytesIO()
    image.save(tampon, format="PNG")
    return tampon.getvalue()


@pytest.fixture
def signature():
    return png_signature()


@pytest.fixture(autouse=True)
def medias(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
