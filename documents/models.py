"""Documents: the organisation's identity printed on every PDF, document templates, and the
generated or uploaded documents of a dossier."""

from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

MENTION_DECLARATION = "Cet enregistrement ne vaut pas agrément de l'État."
MENTION_TVA = "TVA non applicable, art. 261-4-4° a du CGI"


class Organisation(models.Model):
    """The provider itself: one row (pk=1), edited in the admin, read by every document."""

    raison_sociale = models.CharField("raison sociale", max_length=200, default="Organisme")
    siret = models.CharField(
        "SIRET",
        max_length=14,
        blank=True,
        validators=[RegexValidator(r"^\d{14}$", "Le SIRET compte 14 chiffres.")],
    )
    numero_declaration_activite = models.CharField(
        "numéro de déclaration d'activité",
        max_length=20,
        blank=True,
        help_text=f"Imprimé avec la mention « {MENTION_DECLARATION} »",
    )
    adresse = models.TextField("adresse", blank=True, help_text="Une ligne par ligne d'adresse.")
    code_postal = models.CharField("code postal", max_length=10, blank=True)
    ville = models.CharField("ville", max_length=120, blank=True)
    email = models.EmailField("e-mail", blank=True)
    telephone = models.CharField("téléphone", max_length=30, blank=True)
    signataire_nom = models.CharField("nom du signataire", max_length=200, blank=True)
    signataire_qualite = models.CharField("qualité du signataire", max_length=200, blank=True)
    signature = models.ImageField("signature (image)", upload_to="organisation/", blank=True)
    logo = models.ImageField("logo", upload_to="organisation/", blank=True)
    exoneree_tva = models.BooleanField(
        "exonérée de TVA", default=True, help_text=f"Imprime « {MENTION_TVA} »."
    )
    conditions_paiement_jours = models.PositiveSmallIntegerField(
        "délai de paiement (jours)", default=30
    )
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    history = HistoricalRecords(verbose_name="historique de l'organisation")

    class Meta:
        verbose_name = "organisation"
        verbose_name_plural = "organisation"

    def __str__(self) -> str:
        return self.raison_sociale

    def save(self, *args, **kwargs):
        self.pk = 1  # a singleton: the admin edits the one row
        super().save(*args, **kwargs)

    @classmethod
    def courante(cls) -> "Organisation":
        organisation, _ = cls.objects.get_or_create(pk=1)
        return organisation

    @property
    def adresse_lignes(self) -> list[str]:
        lignes = [ligne.strip() for ligne in self.adresse.splitlines() if ligne.strip()]
        ville = f"{self.code_postal} {self.ville}".strip()
        return lignes + ([ville] if ville else [])

    def en_contexte(self) -> dict:
        """Plain values for templates (no model: a template cannot call methods on it)."""
        return {
            "raison_sociale": self.raison_sociale,
            "siret": self.siret,
            "numero_declaration_activite": self.numero_declaration_activite,
            "mention_declaration": MENTION_DECLARATION if self.numero_declaration_activite else "",
            "adresse_lignes": self.adresse_lignes,
            "code_postal": self.code_postal,
            "ville": self.ville,
            "email": self.email,
            "telephone": self.telephone,
            "signataire_nom": self.signataire_nom,
            "signataire_qualite": self.signataire_qualite,
            "signature_url": f"/media/{self.signature.name}" if self.signature else "",
            "logo_url": f"/media/{self.logo.name}" if self.logo else "",
            "exoneree_tva": self.exoneree_tva,
            "mention_tva": MENTION_TVA if self.exoneree_tva else "",
            "conditions_paiement_jours": self.conditions_paiement_jours,
            "iban": self.iban,
            "bic": self.bic,
        }
