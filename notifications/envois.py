"""Sending one logged message (an Envoi row), from an action or asked for by a user.

Apps above (documents) send through here so every message, with its attachments, is in
the dossier's delivery log, sent at most once per key, retried on transient failures.
"""

import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from evenements.natures import ErreurTransitoire
from notifications.canaux import ErreurDefinitive, Message, canal
from notifications.models import Envoi, ModeleNotification

journal = logging.getLogger(__name__)


def _pieces(envoi: Envoi) -> list[tuple[str, bytes, str]]:
    pieces = []
    for piece in envoi.pieces_jointes:
        with default_storage.open(piece["fichier"], "rb") as flux:
            pieces.append((piece["nom"], flux.read(), piece["type"]))
    return pieces


def envoyer(envoi: Envoi) -> None:
    """Send now; ErreurTransitoire (retry later) or ErreurDefinitive propagate."""
    envoi.tentatives += 1
    try:
        envoi.identifiant_fournisseur = canal(envoi.canal).envoyer(
            Message(
                cle=envoi.cle,
                adresse=envoi.adresse,
                sujet=envoi.sujet,
                corps=envoi.corps,
                pieces_jointes=_pieces(envoi),
            )
        )
    except (ErreurTransitoire, ErreurDefinitive) as exc:
        envoi.erreur = str(exc)
        if isinstance(exc, ErreurDefinitive):
            envoi.etat = Envoi.Etat.ECHEC
        envoi.save(update_fields=["tentatives", "erreur", "etat"])
        raise
    envoi.etat = Envoi.Etat.ENVOYE
    envoi.envoye_le = timezone.now()
    envoi.erreur = ""
    envoi.save()


def programmer_email(
    *,
    cle: str,
    dossier,
    destinataire: str,
    adresse: str,
    sujet: str,
    corps: str,
    pieces_jointes: list[dict] = (),
    par=None,
) -> Envoi:
    """A user asked for an e-mail: logged now, sent after commit by a worker (retried)."""
    envoi, cree = Envoi.objects.get_or_create(
        cle=cle,
        defaults={
            "dossier": dossier,
            "canal": ModeleNotification.Canal.EMAIL,
            "destinataire": destinataire,
            "adresse": adresse,
            "sujet": sujet,
            "corps": corps,
            "pieces_jointes": list(pieces_jointes),
            "envoye_par": par,
        },
    )
    if cree:
        transaction.on_commit(lambda: _transmettre(envoi.pk))
    return envoi


def _transmettre(pk: int) -> None:
    from notifications.tasks import envoyer_envoi

    try:
        envoyer_envoi.apply_async(args=[pk], retry=False)
    except Exception as exc:  # broker down: the row stays "à envoyer", visible in the log
        journal.warning("Envoi %s non transmis au broker : %s", pk, exc)
