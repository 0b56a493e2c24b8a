"""Sending a signing link: claim the row, render the message, hand it to the channel that
notifications registered, write the outcome on the row."""

import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from seances import expedition
from seances.models import JetonEmargement

journal = logging.getLogger(__name__)
MAX_TENTATIVES = 5


def lien(jeton: JetonEmargement) -> str:
    from seances.services import jeton_signe

    return settings.URL_PUBLIQUE + reverse("seances:signer", args=[jeton_signe(jeton)])


def envoyer(jeton_id: int) -> int:
    """Returns seconds after which to try again (0: done or given up)."""
    with transaction.atomic():
        jeton = (
            JetonEmargement.objects.select_for_update(of=("self",))
            .select_related(
                "participation__seance__type_seance",
                "participation__dossier__beneficiaire",
                "participation__seance__animateur",
            )
            .filter(pk=jeton_id)
            .first()
        )
        if jeton is None or jeton.etat_envoi != JetonEmargement.EtatEnvoi.A_ENVOYER:
            return 0  # already sent: never twice
        jeton.tentatives += 1
        seance = jeton.participation.seance
        contexte = {
            "beneficiaire": jeton.participation.dossier.beneficiaire,
            "seance": seance,
            "demi_journee": jeton.get_demi_journee_display().lower(),
            "lien": lien(jeton),
            "expire_le": timezone.localtime(jeton.expire_le),
        }
        gabarit = "sms" if jeton.canal == JetonEmargement.Canal.SMS else "email"
        corps = render_to_string(f"seances/lien_emargement_{gabarit}.txt", contexte).strip()
        sujet = f"Émargement : {seance.type_seance} du {seance.date:%d/%m/%Y}"
        try:
            expedition.expedier(
                canal=jeton.canal,
                cle=f"emargement-{jeton.pk}",
                adresse=jeton.adresse,
                sujet=sujet,
                corps=corps,
            )
        except expedition.TransitoireEnvoi as exc:
            jeton.erreur = str(exc)
            if jeton.tentatives >= MAX_TENTATIVES:
                jeton.etat_envoi = JetonEmargement.EtatEnvoi.ECHEC
            jeton.save(update_fields=["tentatives", "erreur", "etat_envoi"])
            return (
                0 if jeton.etat_envoi == JetonEmargement.EtatEnvoi.ECHEC else 30 * jeton.tentatives
            )
        except Exception as exc:
            journal.exception("Lien d'émargement %s non envoyé", jeton_id)
            jeton.erreur = f"{exc.__class__.__name__} : {exc}"
            jeton.etat_envoi = JetonEmargement.EtatEnvoi.ECHEC
            jeton.save(update_fields=["tentatives", "erreur", "etat_envoi"])
            return 0
        jeton.etat_envoi = JetonEmargement.EtatEnvoi.ENVOYE
        jeton.envoye_le = timezone.now()
        jeton.erreur = ""
        jeton.save(update_fields=["tentatives", "erreur", "etat_envoi", "envoye_le"])
    return 0
