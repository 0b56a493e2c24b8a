"""Sending one logged message (an Envoi row), from an action or asked for by a user.

Apps above (documents) send through here so every message, with its attachments, is in
the dossier's delivery log, sent at most once per key, retried on transient failures.
"""

import logging
import threading

from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils import timezone

from config.lots import mettre_a_jour
from evenements.natures import ErreurTransitoire, IssueIncertaine
from evenements.pipeline import differer
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


_issues = threading.local()  # outcomes of this thread's attempts not written yet


def _noter_issue(envoi: Envoi, *champs: str) -> None:
    """An attempt's outcome: during an action batch, written with the next message's step
    before the server (one statement) or with the batch's outcomes; elsewhere at once."""
    en_attente = _issues.__dict__.setdefault("envois", {})
    _, deja = en_attente.get(envoi.pk, (envoi, ()))
    en_attente[envoi.pk] = (envoi, {*deja, *champs})
    differer(_ecrire_les_issues)


def _ecrire_les_issues(envoi: Envoi | None = None, champs: set[str] = frozenset()) -> int:
    """The outcomes waiting, and `envoi`'s `champs`, in one UPDATE statement (outside a
    transaction it commits on its own: an ordinary, synchronous commit). A record whose
    attempt was taken over meanwhile (its `tentatives` moved on) is left alone. Returns how
    many were left. The waiting outcomes are forgotten even if the write fails: never
    written later over newer facts (the record falls back to what is on disk)."""
    en_attente = getattr(_issues, "envois", None) or {}
    lignes = dict(en_attente)
    if envoi is not None:
        _, deja = lignes.get(envoi.pk, (envoi, ()))
        lignes[envoi.pk] = (envoi, {*deja, *champs})
    try:
        if not lignes:
            return 0
        ecrites = mettre_a_jour(
            [e for e, _ in lignes.values()],
            set().union(*(c for _, c in lignes.values())),
            jeton="tentatives",
        )
    finally:
        en_attente.clear()
    if ecrites < len(lignes):
        journal.warning("%s envoi(s) repris ailleurs : issue non écrite.", len(lignes) - ecrites)
    return len(lignes) - ecrites


def envoyer(envoi: Envoi, *, deja_en_cours: bool = False) -> None:
    """Send now. Each step is on record before the next: a killed worker leaves the truth
    behind (README, "Garantie de livraison"). ErreurTransitoire (retry later),
    ErreurDefinitive and IssueIncertaine (a person decides) propagate.

    `deja_en_cours`: the attempt was already committed "en cours" (with the rest of its
    batch, see notifications.actions) before any server was contacted.

    The step before the hand-over (`remise_le`) is an ordinary, synchronous commit: on disk
    before DATA; the previous messages' outcomes ride in the same statement. An outcome is
    otherwise written with a deferred commit, with the batch's action outcomes
    (evenements.pipeline.differer): if it were ever lost, the record written before the risk
    stands, and says "issue inconnue" (after DATA) or "not sent" (before), never "sent" for a
    message that was not."""
    moyen = canal(envoi.canal)
    if not deja_en_cours:
        envoi.save(update_fields=commencer(envoi, getattr(moyen, "serveur", "")))
    debut = timezone.now()

    def avant_remise() -> None:
        envoi.remise_le = timezone.now()
        champs = {"remise_le"}
        if deja_en_cours:  # the attempt itself begins now, in its batch
            envoi.commence_le = debut
            champs.add("commence_le")
        try:
            laisses = _ecrire_les_issues(envoi, champs)
        except DatabaseError as exc:  # not on record: nothing is handed over
            raise ErreurTransitoire(f"Base de données indisponible : {exc}") from exc
        if laisses:  # this batch's claim was taken over: another worker sends
            raise ErreurTransitoire("Envoi repris par un autre traitement : rien n'est remis.")

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
        _noter_issue(envoi, "etat", "remise_le", "erreur")
        raise
    except (ErreurTransitoire, ErreurDefinitive) as exc:
        envoi.erreur = str(exc)
        envoi.etat = Envoi.Etat.ECHEC if isinstance(exc, ErreurDefinitive) else Envoi.Etat.A_ENVOYER
        _noter_issue(envoi, "erreur", "etat")
        raise
    envoi.etat = Envoi.Etat.ENVOYE
    envoi.envoye_le = timezone.now()
    envoi.erreur = ""
    _noter_issue(envoi, "etat", "envoye_le", "erreur", "identifiant_fournisseur")


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
