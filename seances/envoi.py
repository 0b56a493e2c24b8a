"""Sending a signing link: claim the row, render the message, hand it to the channel that
notifications registered, write the outcome on the row."""

import datetime
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


def transmettre(ids: list[int], countdown: int = 0) -> None:
    """Hand links to Celery. A broker that is down loses nothing: the sweep resends."""
    from seances.tasks import envoyer_lien_emargement

    app = envoyer_lien_emargement.app
    if app.conf.task_always_eager and countdown:
        return  # embedded mode: the next sweep retries
    for pk in ids:
        try:
            envoyer_lien_emargement.apply_async(
                args=[pk], countdown=countdown, retry=False, queue=app.conf.task_default_queue
            )
        except Exception as exc:  # broker unreachable: the row stays "à envoyer"
            journal.warning(
                "Lien %s non transmis au broker (%s) ; le balayage le reprendra.", pk, exc
            )


def balayer() -> int:
    """Periodic sweep: links still to send (not expired), created over a minute ago."""
    maintenant = timezone.now()
    ids = list(
        JetonEmargement.objects.filter(
            etat_envoi=JetonEmargement.EtatEnvoi.A_ENVOYER,
            expire_le__gt=maintenant,
            cree_le__lt=maintenant - datetime.timedelta(minutes=1),
        ).values_list("pk", flat=True)
    )
    transmettre(ids)
    return len(ids)


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
