"""Financeur reports as an outbox: one EnvoiRapport row per (configuration, period).

- planifier(): for each active configuration, the row of its last closed period (unique
  constraint: beat firing twice creates it once), then every due row is handed to Celery;
- executer(): claims the row (row lock + lease, like evenements.pipeline), builds the
  figures once (frozen), sends one e-mail with the CSV and the PDF, writes the outcome;
  transient SMTP errors are retried with a growing delay, then "échec" (Relancer);
- envoyer_maintenant(), relancer(): what a user may do, from the Rapports page.
"""

import datetime
import logging
import smtplib
import socket

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from dossiers.droits import exiger
from notifications.canaux import AdresseReservee, adresse_reservee, quitte_la_machine
from pilotage import rapports
from pilotage.filtres import Periode
from pilotage.models import EnvoiRapport, RapportConfiguration

journal = logging.getLogger(__name__)
Etat = EnvoiRapport.Etat


class ErreurTransitoire(Exception):
    pass


def _bail() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.ACTIONS_BAIL_SECONDES)


def _creer(configuration: RapportConfiguration, periode: Periode, par=None) -> EnvoiRapport:
    """The period's row, created once whoever asks first (beat twice, a user, a retry)."""
    try:
        with transaction.atomic():
            return EnvoiRapport.objects.get_or_create(
                configuration=configuration,
                debut=periode.debut,
                defaults={"fin": periode.fin, "demande_par": par},
            )[0]
    except IntegrityError:
        return EnvoiRapport.objects.get(configuration=configuration, debut=periode.debut)


def _dus():
    maintenant = timezone.now()
    return EnvoiRapport.objects.filter(
        Q(etat=Etat.A_ENVOYER)
        & (Q(prochaine_tentative_le__isnull=True) | Q(prochaine_tentative_le__lte=maintenant))
        | Q(etat=Etat.EN_COURS, demarre_le__lt=maintenant - _bail())
    )


def planifier(aujourd_hui: datetime.date | None = None) -> int:
    """Beat / embedded scheduler: create the closed periods' rows, send what is due."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    for configuration in RapportConfiguration.objects.filter(actif=True):
        if configuration.liste_destinataires:
            _creer(configuration, rapports.periode_close(configuration.periodicite, aujourd_hui))
    ids = list(_dus().order_by("pk").values_list("pk", flat=True))
    transmettre(ids)
    return len(ids)


def transmettre(ids: list[int], countdown: int = 0) -> None:
    from pilotage.tasks import envoyer_rapport

    if envoyer_rapport.app.conf.task_always_eager and countdown:
        return  # embedded: the in-process scheduler resends it when due
    file = envoyer_rapport.app.conf.task_default_queue
    for pk in ids:
        try:
            envoyer_rapport.apply_async(args=[pk], countdown=countdown, retry=False, queue=file)
        except Exception as exc:  # broker down: the row waits for the next planifier()
            journal.warning("Rapport %s non transmis au broker (%s).", pk, exc)


def _reclamer(pk: int) -> tuple[EnvoiRapport | None, int]:
    maintenant = timezone.now()
    with transaction.atomic():
        envoi = (
            EnvoiRapport.objects.select_for_update(of=("self",))
            .select_related("configuration__financeur", "configuration__convention")
            .filter(pk=pk)
            .first()
        )
        if envoi is None:
            return None, 0
        if envoi.etat == Etat.EN_COURS and envoi.demarre_le + _bail() > maintenant:
            reste = envoi.demarre_le + _bail() - maintenant
            return None, max(int(reste.total_seconds()) + 1, 1)
        if envoi.etat not in (Etat.A_ENVOYER, Etat.EN_COURS):
            return None, 0
        if envoi.prochaine_tentative_le and envoi.prochaine_tentative_le > maintenant:
            return None, 0
        envoi.etat = Etat.EN_COURS
        envoi.demarre_le = maintenant
        envoi.tentatives += 1
        champs = ["etat", "demarre_le", "tentatives"]
        if envoi.instantane is None:  # built once: a retry sends the same figures
            periode = Periode(envoi.debut, envoi.fin)
            envoi.instantane = rapports.calculer(envoi.configuration, periode)
            envoi.correctifs = rapports.correctifs(envoi.configuration, envoi.debut)
            envoi.destinataires = "\n".join(envoi.configuration.liste_destinataires)
            champs += ["instantane", "correctifs", "destinataires"]
        envoi.save(update_fields=champs)
    return envoi, 0


def _terminer(envoi: EnvoiRapport, **champs) -> None:
    EnvoiRapport.objects.filter(pk=envoi.pk, etat=Etat.EN_COURS).update(**champs)


def _transitoire(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPServerDisconnected, OSError, socket.timeout))


def message(envoi: EnvoiRapport) -> EmailMessage:
    financeur = rapports.perimetre(envoi.configuration)
    periode = Periode(envoi.debut, envoi.fin)
    cle = f"rapport-{envoi.pk}@parcours"
    corps = rapports.texte_du_message(envoi)
    email = EmailMessage(
        subject=f"Rapport {financeur} {periode}",
        body=corps,
        to=envoi.destinataires.splitlines(),
        headers={"Message-ID": f"<{cle}>", "X-Parcours-Cle": cle},
    )
    for nom, contenu, type_mime in rapports.pieces_jointes(envoi):
        email.attach(nom, contenu, type_mime)
    return email


def _garder_sur_la_machine(adresses: list[str]) -> None:
    """The demo's reserved addresses never leave the machine, as for notifications."""
    reservees = [a for a in adresses if adresse_reservee(a)]
    if reservees and quitte_la_machine("email"):
        raise AdresseReservee(
            f"Adresse réservée à la démonstration ({', '.join(reservees)}) : jamais envoyée."
        )


def executer(pk: int) -> int:
    """Send one report. Returns seconds after which to try again (0: nothing more to do)."""
    envoi, attendre = _reclamer(pk)
    if envoi is None:
        return attendre
    try:
        email = message(envoi)
        _garder_sur_la_machine(email.to)
        email.send(fail_silently=False)
    except Exception as exc:
        if _transitoire(exc) and envoi.tentatives < settings.ACTIONS_MAX_TENTATIVES:
            delai = settings.ACTIONS_DELAI_BASE_SECONDES * 2 ** (envoi.tentatives - 1)
            _terminer(
                envoi,
                etat=Etat.A_ENVOYER,
                derniere_erreur=f"Serveur d'e-mail indisponible : {exc}",
                prochaine_tentative_le=timezone.now() + datetime.timedelta(seconds=delai),
            )
            return delai
        journal.exception("Rapport %s en échec", pk)
        _terminer(envoi, etat=Etat.ECHEC, derniere_erreur=f"{exc.__class__.__name__} : {exc}")
        return 0
    _terminer(
        envoi,
        etat=Etat.ENVOYE,
        envoye_le=timezone.now(),
        derniere_erreur="",
        message_id=email.extra_headers["Message-ID"],
    )
    return 0


# --- what users do, from the Rapports page ---


def envoyer_maintenant(
    *, configuration: RapportConfiguration, par, aujourd_hui: datetime.date | None = None
) -> EnvoiRapport:
    """Send the last closed period now, if it was not sent: never twice for a period."""
    exiger(par.has_perm("pilotage.envoyer_rapport"))
    if not configuration.liste_destinataires:
        raise ValidationError("Ce rapport n'a aucun destinataire.")
    periode = rapports.periode_close(configuration.periodicite, aujourd_hui or timezone.localdate())
    envoi = _creer(configuration, periode, par)
    if envoi.etat == Etat.ENVOYE:
        raise ValidationError(
            f"Le rapport {periode} a déjà été envoyé le "
            f"{timezone.localtime(envoi.envoye_le):%d/%m/%Y à %H:%M}."
        )
    if envoi.etat == Etat.ECHEC:
        return relancer(envoi=envoi, par=par)
    EnvoiRapport.objects.filter(pk=envoi.pk, etat=Etat.A_ENVOYER).update(
        prochaine_tentative_le=None
    )
    transaction.on_commit(lambda: transmettre([envoi.pk]))
    return envoi


def relancer(*, envoi: EnvoiRapport, par) -> EnvoiRapport:
    exiger(par.has_perm("pilotage.envoyer_rapport"))
    with transaction.atomic():
        envoi = EnvoiRapport.objects.select_for_update().get(pk=envoi.pk)
        if envoi.etat != Etat.ECHEC:
            raise ValidationError(
                f"Impossible : l'envoi est maintenant « {envoi.get_etat_display()} »."
            )
        envoi.etat = Etat.A_ENVOYER
        envoi.tentatives = 0
        envoi.prochaine_tentative_le = None
        envoi.demande_par = par
        envoi.save(update_fields=["etat", "tentatives", "prochaine_tentative_le", "demande_par"])
        transaction.on_commit(lambda: transmettre([envoi.pk]))
    return envoi
