"""Sending one logged message (an Envoi row), from an action or asked for by a user.

Apps above (documents) send through here so every message, with its attachments, is in
the dossier's delivery log, sent at most once per key, retried on transient failures.
"""

import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from evenements.natures import ErreurTransitoire, IssueIncertaine
from evenements.pipeline import differer, ecrire_en_attente
from notifications.canaux import ErreurDefinitive, Message, canal, message_id
from notifications.models import Envoi, ModeleNotification

journal = logging.getLogger(__name__)


def _pieces(envoi: Envoi) -> list[tuple[str, bytes, str]]:
    pieces = []
    for piece in envoi.pieces_jointes:
        with default_storage.open(piece["fichier"], "rb") as flux:
            pieces.append((piece["nom"], flux.read(), piece["type"]))
    return pieces


def commencer(envoi: Envoi, serveur: str) -> list[str]:
    """Mark an attempt as started (in memory); returns the fields to save."""
    envoi.tentatives += 1
    envoi.etat = Envoi.Etat.EN_COURS
    envoi.commence_le = timezone.now()
    envoi.remise_le = None
    envoi.serveur = serveur[:200]
    envoi.message_id = envoi.message_id or message_id(envoi.cle)
    return ["tentatives", "etat", "commence_le", "remise_le", "serveur", "message_id"]


def envoyer(envoi: Envoi, *, deja_en_cours: bool = False) -> None:
    """Send now. Each step is committed before the next: a killed worker leaves the truth
    behind (README, "Garantie de livraison"). ErreurTransitoire (retry later),
    ErreurDefinitive and IssueIncertaine (a person decides) propagate.

    `deja_en_cours`: the attempt was already committed "en cours" (with the rest of its
    batch, see notifications.actions) before any server was contacted.

    The step before the hand-over (`remise_le`) is an ordinary, synchronous commit: on disk
    before DATA. The outcome is written with a deferred commit, with the action's own outcome
    when an action runs (evenements.pipeline.differer): if it were ever lost, the record
    written before the risk stands, and says "issue inconnue" (after DATA) or "not sent"
    (before), never "sent" for a message that was not."""
    ecrire_en_attente()  # a previous message's outcome, before this one begins
    moyen = canal(envoi.canal)
    if not deja_en_cours:
        envoi.save(update_fields=commencer(envoi, getattr(moyen, "serveur", "")))
    debut = timezone.now()

    def avant_remise() -> None:
        envoi.remise_le = timezone.now()
        champs = {"remise_le": envoi.remise_le}
        if deja_en_cours:  # the attempt itself begins now, in its batch
            envoi.commence_le = champs["commence_le"] = debut
        Envoi.objects.filter(pk=envoi.pk).update(**champs)

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
        differer(lambda: envoi.save(update_fields=["etat", "remise_le", "erreur"]))
        raise
    except (ErreurTransitoire, ErreurDefinitive) as exc:
        envoi.erreur = str(exc)
        envoi.etat = Envoi.Etat.ECHEC if isinstance(exc, ErreurDefinitive) else Envoi.Etat.A_ENVOYER
        differer(lambda: envoi.save(update_fields=["erreur", "etat"]))
        raise
    envoi.etat = Envoi.Etat.ENVOYE
    envoi.envoye_le = timezone.now()
    envoi.erreur = ""
    differer(
        lambda: envoi.save(update_fields=["etat", "envoye_le", "erreur", "identifiant_fournisseur"])
    )


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
