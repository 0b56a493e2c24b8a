"""Sending one logged message (an Envoi row), from an action or asked for by a user.

Apps above (documents) send through here so every message, with its attachments, is in
the dossier's delivery log, sent at most once per key, retried on transient failures.
"""

import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from evenements.natures import ErreurTransitoire, IssueIncertaine
from notifications.canaux import ErreurDefinitive, Message, canal, message_id
from notifications.models import Envoi, ModeleNotification

journal = logging.getLogger(__name__)


def _pieces(envoi: Envoi) -> list[tuple[str, bytes, str]]:
    pieces = []
    for piece in envoi.pieces_jointes:
        with default_storage.open(piece["fichier"], "rb") as flux:
            pieces.append((piece["nom"], flux.read(), piece["type"]))
    return pieces


def envoyer(envoi: Envoi) -> None:
    """Send now. Each step is committed before the next: a killed worker leaves the truth
    behind (README, "Garantie de livraison"). ErreurTransitoire (retry later),
    ErreurDefinitive and IssueIncertaine (a person decides) propagate."""
    moyen = canal(envoi.canal)
    envoi.tentatives += 1
    envoi.etat = Envoi.Etat.EN_COURS
    envoi.commence_le = timezone.now()
    envoi.remise_le = None
    envoi.serveur = getattr(moyen, "serveur", "")[:200]
    envoi.message_id = envoi.message_id or message_id(envoi.cle)
    champs = ["tentatives", "etat", "commence_le", "remise_le", "serveur", "message_id"]
    envoi.save(update_fields=champs)

    def avant_remise() -> None:
        envoi.remise_le = timezone.now()
        Envoi.objects.filter(pk=envoi.pk).update(remise_le=envoi.remise_le)

    message = Message(
        cle=envoi.cle,
        adresse=envoi.adresse,
        sujet=envoi.sujet,
        corps=envoi.corps,
        avant_remise=avant_remise,
        pieces_jointes=_pieces(envoi),
    )
    try:
        envoi.identifiant_fournisseur = moyen.envoyer(message)
    except IssueIncertaine as exc:
        envoi.etat = Envoi.Etat.INCERTAIN
        envoi.remise_le = envoi.remise_le or timezone.now()
        envoi.erreur = str(exc)
        envoi.save(update_fields=["etat", "remise_le", "erreur"])
        raise
    except (ErreurTransitoire, ErreurDefinitive) as exc:
        envoi.erreur = str(exc)
        envoi.etat = Envoi.Etat.ECHEC if isinstance(exc, ErreurDefinitive) else Envoi.Etat.A_ENVOYER
        envoi.save(update_fields=["erreur", "etat"])
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
