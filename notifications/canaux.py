"""Channels: small classes with one method, chosen by settings (like e-mail backends).

E-mail goes through Django's backend (EMAIL_URL). SMS goes through SMS_BACKEND:
  console            printed on the console (embedded default)
  fichier:///chemin  one JSON line per message appended to a file
  memoire            kept in `boite_sms` (tests)
  brevo://CLE@api.brevo.com?expediteur=Parcours
                     Brevo's transactional SMS HTTP API (POST /v3/transactionalSMS/sms)

Every channel calls `message.avant_remise()` just before the step after which the server or
provider may hold the message (SMTP DATA, the HTTP request), and raises IssueIncertaine when
that step fails in a way that does not say whether it was accepted.

Demo data never leaves the machine: a channel that would send off the machine refuses the
reserved names the demo uses (the `.invalid` top-level domain, RFC 6761, and ARCEP's
numbers reserved for fiction, 06 39 98 xx xx), whatever the settings.

In-app alerts are rows in our own database: the address is the user's login.
"""

import contextlib
import hashlib
import json
import logging
import re
import smtplib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from evenements.natures import ErreurTransitoire, IssueIncertaine

journal = logging.getLogger(__name__)


def _rien() -> None:
    return None


@dataclass
class Message:
    cle: str
    adresse: str
    sujet: str
    corps: str
    avant_remise: Callable[[], None] = field(default=_rien, repr=False)
    # (file name, content, MIME type); e-mail only.
    pieces_jointes: list[tuple[str, bytes, str]] = field(default_factory=list)

    @property
    def message_id(self) -> str:
        return message_id(self.cle)


def message_id(cle: str) -> str:
    """Known before sending, the same on every attempt: a resend is recognisable. (The key
    holds ":" and "@", not allowed on the left of a Message-ID: a digest of it is.)"""
    return f"<{hashlib.sha256(cle.encode()).hexdigest()[:32]}@parcours>"


class ErreurDefinitive(Exception):
    """Refused for good (unknown address, 4xx from the provider): no retry."""


class AdresseReservee(ErreurDefinitive):
    """A reserved (demo) address on a channel that leaves the machine: never sent."""


# ARCEP (décision 2019-0765): 06 39 98 00 00 to 06 39 98 99 99 are reserved for fiction.
_MOBILE_FICTIF = re.compile(r"^(\+33|0033|0)6\s?39\s?98")


def adresse_reservee(adresse: str) -> bool:
    """An address of the demo: a `.invalid` domain or a mobile number reserved for fiction."""
    adresse = adresse.strip().lower().rstrip(".")
    if "@" in adresse:
        return adresse.rsplit("@", 1)[1].split(".")[-1] == "invalid"
    return bool(_MOBILE_FICTIF.match(adresse.replace(" ", "").replace(".", "")))


_EMAIL_LOCAUX = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


def quitte_la_machine(nom: str) -> bool:
    """Whether the configured channel sends off this machine (SMTP, an SMS provider)."""
    if nom == "email":
        return settings.EMAIL_BACKEND not in _EMAIL_LOCAUX
    return settings.SMS_BACKEND.startswith("brevo://")


def _garder_sur_la_machine(nom: str, message: Message) -> None:
    if quitte_la_machine(nom) and adresse_reservee(message.adresse):
        raise AdresseReservee(
            f"Adresse réservée à la démonstration ({message.adresse}) : jamais envoyée."
        )


# --- e-mail ---


def _transitoire_smtp(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPServerDisconnected, OSError, socket.timeout))


def _classer_smtp(exc: Exception) -> Exception:
    if _transitoire_smtp(exc):
        return ErreurTransitoire(f"Serveur d'e-mail indisponible : {exc}")
    return ErreurDefinitive(f"E-mail refusé : {exc}")


class CanalEmail:
    """Django's e-mail backend. Outside a batch, one connection per message; inside a
    `session()`, the connection stays open from one message to the next, and is closed on
    any error (the next message opens a new one)."""

    def __init__(self, garder_ouverte: bool = False):
        self.garder_ouverte = garder_ouverte
        self._connexion = None

    @property
    def serveur(self) -> str:
        if settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
            return f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
        return settings.EMAIL_BACKEND.rsplit(".", 2)[-2]

    def fermer(self) -> None:
        connexion, self._connexion = self._connexion, None
        if connexion is not None:
            try:
                connexion.close()
            except Exception:  # noqa: BLE001 - the outcome is already known
                journal.debug("Fermeture SMTP en erreur", exc_info=True)

    def _ouvrir(self):
        connexion = get_connection(fail_silently=False)
        try:
            connexion.open()  # connect, TLS, login: a failure here sent nothing
        except Exception as exc:
            raise _classer_smtp(exc) from exc
        return connexion

    def envoyer(self, message: Message) -> str:
        _garder_sur_la_machine("email", message)
        email = EmailMessage(
            subject=message.sujet,
            body=message.corps,
            to=[message.adresse],
            headers={"Message-ID": message.message_id, "X-Parcours-Cle": message.cle},
        )
        for nom, contenu, type_mime in message.pieces_jointes:
            email.attach(nom, contenu, type_mime)
        try:
            try:
                self._remettre(email, message)
            except _ConnexionPerimee:  # a kept connection the server closed meanwhile
                self.fermer()
                self._remettre(email, message)
        except Exception:
            self.fermer()
            raise
        finally:
            if not self.garder_ouverte:
                self.fermer()
        return message.message_id

    def _remettre(self, email: EmailMessage, message: Message) -> None:
        reprise = self._connexion is not None
        if self._connexion is None:
            self._connexion = self._ouvrir()
        remise, retablir = self._surveiller_data(self._connexion, message)
        try:
            self._connexion.send_messages([email])
        except (ErreurTransitoire, ErreurDefinitive):  # our own step before DATA refused
            raise
        except Exception as exc:
            # After DATA began, only a reply code says "not accepted"; a lost connection or a
            # timeout leaves the outcome unknown.
            if remise and not isinstance(exc, smtplib.SMTPResponseException):
                raise IssueIncertaine(
                    f"Connexion perdue pendant la remise du message ({exc.__class__.__name__} : "
                    f"{exc}) : le serveur l'a peut-être accepté."
                ) from exc
            if reprise and not remise and _connexion_coupee(exc):
                raise _ConnexionPerimee from exc  # before DATA: nothing was handed over
            raise _classer_smtp(exc) from exc
        finally:
            retablir()

    @staticmethod
    def _surveiller_data(connexion, message: Message):
        """Call message.avant_remise() just before the SMTP DATA command (Django's SMTP
        backend). Other backends keep the message on the machine: nothing to watch.
        Returns (a list that is non-empty once DATA began, a function that unhooks)."""
        remise: list = []
        smtp = getattr(connexion, "connection", None)
        if not isinstance(smtp, smtplib.SMTP):
            return remise, _rien
        data = smtp.data

        def data_surveillee(msg):
            message.avant_remise()
            remise.append(True)
            return data(msg)

        smtp.data = data_surveillee

        def retablir():
            smtp.data = data

        return remise, retablir


def _connexion_coupee(exc: Exception) -> bool:
    """The connection itself failed (closed, reset), not a reply of the server. (SMTP's own
    exceptions are OSErrors too.)"""
    return isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)
    )


class _ConnexionPerimee(Exception):
    """A kept SMTP connection was found closed before DATA: open a new one, send again."""


_session = threading.local()


@contextlib.contextmanager
def session():
    """Within the block, `canal()` gives the same channel object for each kind, so the
    e-mail channel keeps one SMTP connection for a whole batch; closed at the end."""
    if getattr(_session, "canaux", None) is not None:  # already in a session
        yield
        return
    _session.canaux = {}
    try:
        yield
    finally:
        canaux, _session.canaux = _session.canaux, None
        for moyen in canaux.values():
            fermer = getattr(moyen, "fermer", None)
            if fermer is not None:
                fermer()


# --- SMS ---

boite_sms: list[Message] = []
_verrou_fichier = threading.Lock()


class SmsConsole:
    serveur = "console"

    def envoyer(self, message: Message) -> str:
        journal.info("SMS à %s : %s", message.adresse, message.corps)
        print(f"[SMS] à {message.adresse} : {message.corps}")  # noqa: T201 - console backend
        return f"console-{message.cle}"


class SmsMemoire:
    serveur = "mémoire"

    def envoyer(self, message: Message) -> str:
        boite_sms.append(message)
        return f"memoire-{len(boite_sms)}"


class SmsFichier:
    def __init__(self, chemin: str):
        self.chemin = chemin
        self.serveur = f"fichier {chemin}"

    def envoyer(self, message: Message) -> str:
        with _verrou_fichier, open(self.chemin, "a", encoding="utf-8") as fichier:
            ligne = {c: getattr(message, c) for c in ("cle", "adresse", "sujet", "corps")}
            fichier.write(json.dumps(ligne, ensure_ascii=False) + "\n")
        return f"fichier-{message.cle}"


class SmsBrevo:
    """Brevo (ex-Sendinblue), widely used in France: one POST per message."""

    def __init__(self, url: str):
        parties = urlsplit(url)
        options = parse_qs(parties.query)
        self.cle_api = parties.username or ""
        schema = options.get("schema", ["https"])[0]
        self.point_d_entree = f"{schema}://{parties.hostname}"
        if parties.port:
            self.point_d_entree += f":{parties.port}"
        self.expediteur = options.get("expediteur", ["Parcours"])[0]
        self.serveur = self.point_d_entree

    def envoyer(self, message: Message) -> str:
        _garder_sur_la_machine("sms", message)
        message.avant_remise()
        try:
            reponse = requests.post(
                f"{self.point_d_entree}/v3/transactionalSMS/sms",
                headers={"api-key": self.cle_api, "accept": "application/json"},
                json={
                    "sender": self.expediteur,
                    "recipient": message.adresse.lstrip("+"),
                    "content": message.corps,
                    "type": "transactional",
                    "tag": message.cle,
                },
                timeout=15,
            )
        except (requests.ConnectionError, requests.ConnectTimeout) as exc:
            if isinstance(exc, requests.ConnectTimeout) or not _requete_partie(exc):
                raise ErreurTransitoire(f"Fournisseur SMS injoignable : {exc}") from exc
            raise IssueIncertaine(
                f"Connexion perdue après l'envoi de la requête ({exc}) : le SMS est peut-être "
                "parti."
            ) from exc
        except requests.Timeout as exc:  # sent, no answer
            raise IssueIncertaine(
                f"Pas de réponse du fournisseur ({exc}) : le SMS est peut-être parti."
            ) from exc
        except requests.RequestException as exc:
            raise ErreurTransitoire(f"Fournisseur SMS injoignable : {exc}") from exc
        if reponse.status_code >= 500 or reponse.status_code == 429:
            raise ErreurTransitoire(f"Fournisseur SMS indisponible ({reponse.status_code})")
        if reponse.status_code >= 400:
            raise ErreurDefinitive(f"SMS refusé ({reponse.status_code}) : {reponse.text[:200]}")
        return str(reponse.json().get("messageId", ""))


def _requete_partie(exc: Exception) -> bool:
    """False when the connection could not even be opened (nothing was sent)."""
    from urllib3.exceptions import NewConnectionError

    cause = exc
    while cause is not None:
        if isinstance(cause, (NewConnectionError, ConnectionRefusedError, socket.gaierror)):
            return False
        cause = getattr(cause, "reason", None) or cause.__context__
    return True


def canal_sms():
    url = settings.SMS_BACKEND
    if url == "console":
        return SmsConsole()
    if url == "memoire":
        return SmsMemoire()
    if url.startswith("fichier://"):
        return SmsFichier(urlsplit(url).path)
    if url.startswith("brevo://"):
        return SmsBrevo(url)
    raise ValueError(f"SMS_BACKEND inconnu : {url}")


# --- in-app alert ---


class CanalAlerte:
    def envoyer(self, message: Message) -> str:
        from django.contrib.auth import get_user_model

        from notifications.models import Alerte, Envoi

        envoi = Envoi.objects.get(cle=message.cle)
        utilisateur = get_user_model().objects.filter(username=message.adresse).first()
        if utilisateur is None or not utilisateur.is_active:
            raise ErreurDefinitive(f"Utilisateur inconnu ou désactivé : {message.adresse}")
        alerte, _ = Alerte.objects.get_or_create(  # idempotent: one alert per Envoi
            envoi=envoi,
            defaults={
                "utilisateur": utilisateur,
                "dossier_id": envoi.dossier_id,
                "titre": message.sujet or "Alerte",
                "message": message.corps,
            },
        )
        return f"alerte-{alerte.pk}"


def _nouveau_canal(nom: str, en_session: bool = False):
    if nom == "email":
        return CanalEmail(garder_ouverte=en_session)
    if nom == "alerte":
        return CanalAlerte()
    return canal_sms()


def canal(nom: str):
    canaux = getattr(_session, "canaux", None)
    if canaux is None:
        return _nouveau_canal(nom)
    if nom not in canaux:
        canaux[nom] = _nouveau_canal(nom, en_session=True)
    return canaux[nom]
