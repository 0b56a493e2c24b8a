"""What recipients read, from a real SMTP server on loopback (aiosmtpd)."""

import pytest

from evenements.models import EtatAction
from evenements.services import enregistrer_evenement


@pytest.fixture
def envoi_smtp(settings, smtp):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return smtp


def saisir_entree(dossier, types, capture, **kwargs):
    with capture(execute=True):
        return enregistrer_evenement(
            dossier=dossier, type_evenement=types["entree"], auteur=dossier.referent, **kwargs
        )


def test_les_apostrophes_arrivent_telles_quelles(
    envoi_smtp, django_capture_on_commit_callbacks, dossier, types
):
    saisir_entree(
        dossier, types, django_capture_on_commit_callbacks, commentaire="Promesse d'embauche"
    )
    (message,) = envoi_smtp.pour(dossier.financeur.emails[0])
    texte = message.get_content()
    assert "(prestation « Accompagnement vers l'emploi »)" in texte
    assert "Commentaire : Promesse d'embauche" in texte
    assert "&#x27;" not in texte and "&#x27;" not in message["Subject"]
    (au_beneficiaire,) = envoi_smtp.pour(dossier.beneficiaire.email)
    # (Python folds a long encoded subject after "Subject:", hence the strip)
    assert (
        au_beneficiaire["Subject"].strip()
        == "Votre parcours « Accompagnement vers l'emploi » commence"
    )


def test_un_retour_chariot_dans_un_nom_ne_bloque_plus_les_envois(
    envoi_smtp, django_capture_on_commit_callbacks, dossier, types
):
    """A name stored with CR/LF (before forms normalised input): the headers stay one line."""
    beneficiaire = dossier.beneficiaire
    beneficiaire.nom, beneficiaire.prenom = "Dupont\r", "Léa\nMarie\u2028"
    beneficiaire.save()
    entree = saisir_entree(dossier, types, django_capture_on_commit_callbacks)
    assert {a.etat for a in entree.actions.all()} == {EtatAction.EXECUTEE}
    (message,) = envoi_smtp.pour(dossier.financeur.emails[0])
    assert message["Subject"].strip() == "Entrée en prestation : Léa Marie Dupont"
