"""Channels: small classes with one method, chosen by settings (like e-mail backends).

E-mail goes through Django's backend (EMAIL_URL). SMS goes through SMS_BACKEND:
  console            printed on the console (embedded default)
  fichier:///chemin  one JSON line per message appended to a file
  memoire            kept in `boite_sms` (tests)
  brevo://CLE@api.brevo.com?expediteur=Parcours
                     Brevo's transactional SMS HTTP API (POST /v3/transactionalSMS/sms)
"""

import json
import logging
import smtplib
import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from django.core.mail import EmailMessage

from evenements.natures import ErreurTransitoire

journal = logging.getLogger(__name__)


@dataclass
class Message:
    cle: str
    adresse: str
    sujet: str
    corps: str
    # (file name, content, MIME type); e-mail only.
    pieces_jointes: list[tuple[str, bytes, str]] = field(default_factory=list)


class ErreurDefinitive(Exception):
    """Refused for good (unknown address, 4xx from the provider): no retry."""


# --- e-mail ---


def _transitoire_smtp(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPServerDisconnected, OSError, socket.timeout))


class CanalEmail:
    def envoyer(self, message: Message) -> str:
        email = EmailMessage(
            subject=message.sujet,
            body=message.corps,
            to=[message.adresse],
            headers={"Message-ID": f"<{message.cle}@parcours>", "X-Parcours-Cle": message.cle},
        )
        for nom, contenu, type_mime in message.pieces_jointes:
            email.attach(nom, contenu, type_mime)
        try:
            email.send(fail_silently=False)
        except Exception as exc:
            if _transitoire_smtp(exc):
                raise ErreurTransitoire(f"Serveur d'e-mail indisponible : {exc}") from exc
            raise ErreurDefinitive(f"E-mail refusé : {exc}") from exc
        return f"<{message.cle}@parcours>"


# --- SMS ---

boite_sms: list[Message] = []
_verrou_fichier = threading.Lock()


class SmsConsole:
    def envoyer(self, message: Message) -> str:
        journal.info("SMS à %s : %s", message.adresse, message.corps)
        print(f"[SMS] à {message.adresse} : {message.corps}")  # noqa: T201 - console backend
        return f"console-{message.cle}"


class SmsMemoire:
    def envoyer(self, message: Message) -> str:
        boite_sms.append(message)
        return f"memoire-{len(boite_sms)}"


class SmsFichier:
    def __init__(self, chemin: str):
        self.chemin = chemin

    def envoyer(self, message: Message) -> str:
        with _verrou_fichier, open(self.chemin, "a", encoding="utf-8") as fichier:
            fichier.write(json.dumps(message.__dict__, ensure_ascii=False) + "\n")
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

    def envoyer(self, message: Message) -> str:
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
        except requests.RequestException as exc:
            raise ErreurTransitoire(f"Fournisseur SMS injoignable : {exc}") from exc
        if reponse.status_code >= 500 or reponse.status_code == 429:
            raise ErreurTransitoire(f"Fournisseur SMS indisponible ({reponse.status_code})")
        if reponse.status_code >= 400:
            raise ErreurDefinitive(f"SMS refusé ({reponse.status_code}) : {reponse.text[:200]}")
        return str(reponse.json().get("messageId", ""))


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


def canal(nom: str):
    return CanalEmail() if nom == "email" else canal_sms()
