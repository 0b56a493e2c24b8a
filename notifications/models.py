from django.conf import settings
from django.db import models

from evenements.models import ActionConfiguree


class ModeleNotification(ActionConfiguree):
    """A notification an event type sends: recipient, channel, and templated text."""

    class Destinataire(models.TextChoices):
        FINANCEUR = "financeur", "Financeur du dossier"
        BENEFICIAIRE = "beneficiaire", "Bénéficiaire"
        REFERENT = "referent", "Référent du dossier"
        EQUIPE = "equipe", "Équipe du dossier"
        ADRESSE_FIXE = "adresse_fixe", "Adresse fixe"

    class Canal(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    destinataire = models.CharField("destinataire", max_length=20, choices=Destinataire.choices)
    canal = models.CharField("canal", max_length=10, choices=Canal.choices, default=Canal.EMAIL)
    adresse_fixe = models.CharField(
        "adresse fixe",
        max_length=254,
        blank=True,
        help_text="E-mail ou numéro de mobile, si le destinataire est « Adresse fixe ».",
    )
    sujet = models.CharField(
        "sujet", max_length=250, blank=True, help_text="Gabarit Django ; inutile pour un SMS."
    )
    corps = models.TextField(
        "message",
        help_text="Gabarit Django. Variables : {{ beneficiaire.prenom }}, {{ beneficiaire.nom }}, "
        "{{ beneficiaire.civilite }}, {{ dossier.statut }}, {{ dossier.phase }}, "
        "{{ dossier.date_entree }}, {{ dossier.date_sortie }}, {{ evenement.type }}, "
        "{{ evenement.date }}, {{ evenement.commentaire }}, {{ evenement.motif }}, "
        "{{ prestation.nom }}, {{ financeur.raison_sociale }}, {{ referent.nom }}, "
        "{{ referent.email }}.",
    )

    class Meta:
        verbose_name = "notification"
        verbose_name_plural = "notifications"

    def save(self, *args, **kwargs):
        self.nature = "notification"
        super().save(*args, **kwargs)


class Envoi(models.Model):
    """Delivery log: one message to one address, at most once (unique key)."""

    class Etat(models.TextChoices):
        A_ENVOYER = "a_envoyer", "À envoyer"
        ENVOYE = "envoye", "Envoyé"
        ECHEC = "echec", "Échec"

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="envois", verbose_name="dossier"
    )
    action = models.ForeignKey(
        "evenements.ActionDeclenchee",
        on_delete=models.PROTECT,
        related_name="envois",
        verbose_name="action",
        null=True,
        blank=True,
        help_text="Vide pour un envoi demandé à la main (ex. un document envoyé par e-mail).",
    )
    envoye_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="envoyé par",
    )
    cle = models.CharField("clé d'unicité", max_length=340, unique=True)
    canal = models.CharField("canal", max_length=10, choices=ModeleNotification.Canal.choices)
    destinataire = models.CharField("destinataire", max_length=200)
    adresse = models.CharField("adresse", max_length=254)
    sujet = models.CharField("sujet", max_length=250, blank=True)
    corps = models.TextField("message")
    # Files attached to an e-mail, read from the default storage at send time (so a retry
    # sends the same bytes): [{"nom": "attestation.pdf", "fichier": "<storage name>",
    # "type": "application/pdf"}].
    pieces_jointes = models.JSONField("pièces jointes", default=list, blank=True)
    etat = models.CharField("état", max_length=10, choices=Etat.choices, default=Etat.A_ENVOYER)
    identifiant_fournisseur = models.CharField(
        "identifiant fournisseur", max_length=200, blank=True
    )
    tentatives = models.PositiveSmallIntegerField("tentatives", default=0)
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    envoye_le = models.DateTimeField("envoyé le", null=True, blank=True)
    erreur = models.TextField("erreur", blank=True)

    class Meta:
        verbose_name = "envoi"
        ordering = ["-cree_le", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_canal_display()} à {self.adresse}"
