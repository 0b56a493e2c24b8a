"""E-mail backends for unit tests; the integration tests use a real SMTP server instead."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as Locmem

etat = {"en_panne": False}


class SmtpParfoisEnPanne(BaseEmailBackend):
    def send_messages(self, messages):
        if etat["en_panne"]:
            raise smtplib.SMTPServerDisconnected("Connexion fermée par le serveur")
        return Locmem().send_messages(messages)


class SmtpRefusDefinitif(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.fr": (550, b"Mailbox unavailable")})


class SmtpEnPannePour(BaseEmailBackend):
    """Transient failure for one address (etat["en_panne_pour"]), delivery for the others."""

    def send_messages(self, messages):
        for message in messages:
            if etat.get("en_panne_pour") in message.to:
                raise smtplib.SMTPServerDisconnected("Connexion fermée par le serveur")
        return Locmem().send_messages(messages)
