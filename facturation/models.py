from django.db import models
from phonenumber_field.modelfields import PhoneNumberField


class Financeur(models.Model):
    raison_sociale = models.CharField("raison sociale", max_length=200, unique=True)
    emails_contact = models.TextField(
        "e-mails de contact", blank=True, help_text="Une adresse par ligne."
    )
    telephone = PhoneNumberField("téléphone", blank=True)
    actif = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "financeur"
        ordering = ["raison_sociale"]

    def __str__(self) -> str:
        return self.raison_sociale

    @property
    def emails(self) -> list[str]:
        return [ligne.strip() for ligne in self.emails_contact.splitlines() if ligne.strip()]
