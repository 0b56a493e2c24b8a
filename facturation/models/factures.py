from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Sum
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from facturation.argent import ZERO, arrondir
from facturation.models.conventions import MONTANT
from facturation.models.echeances import Echeance


class Compteur(models.Model):
    """Last number of a series (kind, year): locked row, so numbers have no gap."""

    serie = models.CharField("série", max_length=4)
    annee = models.PositiveSmallIntegerField("année")
    dernier = models.PositiveIntegerField("dernier numéro", default=0)

    class Meta:
        verbose_name = "compteur de numérotation"
        constraints = [
            models.UniqueConstraint(
                fields=["serie", "annee"], name="numerotation_facture_unique_par_annee"
            )
        ]

    def __str__(self) -> str:
        return f"{self.serie}-{self.annee} : {self.dernier}"


class EtatFacture(models.TextChoices):
    BROUILLON = "brouillon", "Brouillon"
    VALIDEE = "validee", "Validée"
    ENVOYEE = "envoyee", "Envoyée"
    ABANDONNEE = "abandonnee", "Brouillon abandonné"


class Facture(FSMModelMixin, models.Model):
    """An invoice or a credit note (avoir). Validated: numbered, frozen, corrected by avoir."""

    class Nature(models.TextChoices):
        FACTURE = "facture", "Facture"
        AVOIR = "avoir", "Avoir"

    SERIES = {Nature.FACTURE: "FAC", Nature.AVOIR: "AV"}

    nature = models.CharField("nature", max_length=7, choices=Nature.choices)
    numero = models.CharField("numéro", max_length=20, unique=True, null=True, blank=True)
    financeur = models.ForeignKey(
        "dossiers.Financeur", on_delete=models.PROTECT, related_name="factures"
    )
    facture_origine = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="avoirs",
        verbose_name="facture d'origine",
    )
    etat = FSMField(
        "état", default=EtatFacture.BROUILLON, choices=EtatFacture.choices, protected=True
    )
    date_emission = models.DateField("date d'émission", null=True, blank=True)
    date_echeance = models.DateField("date d'échéance", null=True, blank=True)
    periode_debut = models.DateField("période du", null=True, blank=True)
    periode_fin = models.DateField("période au", null=True, blank=True)
    motif = models.CharField("motif", max_length=300, blank=True)
    # Frozen at validation: the invoice never changes afterwards, even if the parties do.
    vendeur = models.JSONField("vendeur", default=dict, blank=True)
    acheteur = models.JSONField("acheteur", default=dict, blank=True)
    total_ht = models.DecimalField("total HT", **MONTANT, default=ZERO)
    total_tva = models.DecimalField("total TVA", **MONTANT, default=ZERO)
    total_ttc = models.DecimalField("total TTC", **MONTANT, default=ZERO)
    pdf = models.FileField("PDF Factur-X", upload_to="factures/%Y", blank=True)
    pdf_sha256 = models.CharField("empreinte du PDF", max_length=64, blank=True)
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    validee_le = models.DateTimeField("validée le", null=True, blank=True)
    validee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    envoyee_le = models.DateTimeField("envoyée le", null=True, blank=True)

    history = HistoricalRecords(verbose_name="révision de facture", excluded_fields=["pdf"])

    class Meta:
        verbose_name = "facture"
        ordering = ["-date_emission", "-numero", "-pk"]
        indexes = [models.Index(fields=["financeur", "etat"])]

    def __str__(self) -> str:
        libelle = self.get_nature_display()
        return f"{libelle} {self.numero}" if self.numero else f"{libelle} (brouillon n° {self.pk})"

    def delete(self, *args, **kwargs):
        raise ValidationError(
            "Une facture ne se supprime pas : abandonnez le brouillon ou émettez un avoir."
        )

    @property
    def est_avoir(self) -> bool:
        return self.nature == self.Nature.AVOIR

    @property
    def est_modifiable(self) -> bool:
        return self.etat == EtatFacture.BROUILLON

    @property
    def est_emise(self) -> bool:
        return self.etat in (EtatFacture.VALIDEE, EtatFacture.ENVOYEE)

    @transition(field=etat, source=EtatFacture.BROUILLON, target=EtatFacture.VALIDEE)
    def valider(self) -> None:
        pass

    @transition(field=etat, source=EtatFacture.VALIDEE, target=EtatFacture.ENVOYEE)
    def envoyer(self) -> None:
        pass

    @transition(field=etat, source=EtatFacture.BROUILLON, target=EtatFacture.ABANDONNEE)
    def abandonner(self) -> None:
        pass

    # --- payment status, derived from règlements and avoirs ---

    def montant_credite(self) -> Decimal:
        if hasattr(self, "credite_annote"):  # facturation.selectors.factures()
            return arrondir(self.credite_annote)
        total = self.avoirs.filter(etat__in=[EtatFacture.VALIDEE, EtatFacture.ENVOYEE]).aggregate(
            s=Sum("total_ttc")
        )["s"]
        return arrondir(total or ZERO)

    def montant_regle(self) -> Decimal:
        if hasattr(self, "regle_annote"):
            return arrondir(self.regle_annote)
        return arrondir(self.affectations.aggregate(s=Sum("montant"))["s"] or ZERO)

    def reste_du(self) -> Decimal:
        if self.est_avoir or not self.est_emise:
            return ZERO
        return arrondir(self.total_ttc - self.montant_credite() - self.montant_regle())

    def statut_paiement(self) -> str:
        if self.est_avoir or not self.est_emise:
            return ""
        regle = self.montant_regle()
        if self.reste_du() <= 0:
            return "Payée" if regle else "Soldée par avoir"
        return "Partiellement payée" if regle else "Non payée"


class LigneFacture(models.Model):
    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="lignes")
    echeance = models.ForeignKey(
        Echeance, on_delete=models.PROTECT, null=True, blank=True, related_name="lignes"
    )
    ordre = models.PositiveSmallIntegerField("ordre", default=0)
    libelle = models.CharField("libellé", max_length=300)
    dossier_libelle = models.CharField("dossier", max_length=300, blank=True)
    quantite = models.DecimalField("quantité", max_digits=9, decimal_places=2, default=1)
    prix_unitaire = models.DecimalField("prix unitaire HT", **MONTANT)
    montant_ht = models.DecimalField("montant HT", **MONTANT)
    taux_tva = models.DecimalField("taux de TVA", max_digits=5, decimal_places=2, default=ZERO)
    categorie_tva = models.CharField("catégorie de TVA", max_length=2, default="E")

    history = HistoricalRecords(verbose_name="révision de ligne de facture")

    class Meta:
        verbose_name = "ligne de facture"
        verbose_name_plural = "lignes de facture"
        ordering = ["facture", "ordre", "pk"]

    def __str__(self) -> str:
        return self.libelle


class Reglement(models.Model):
    """A payment received from a financeur, matched to one or several invoices."""

    class Mode(models.TextChoices):
        VIREMENT = "virement", "Virement"
        CHEQUE = "cheque", "Chèque"
        AUTRE = "autre", "Autre"

    financeur = models.ForeignKey(
        "dossiers.Financeur", on_delete=models.PROTECT, related_name="reglements"
    )
    date = models.DateField("date de réception")
    montant = models.DecimalField("montant", **MONTANT)
    mode = models.CharField("mode", max_length=10, choices=Mode.choices, default=Mode.VIREMENT)
    reference = models.CharField("référence", max_length=120, blank=True)
    cree_le = models.DateTimeField("saisi le", auto_now_add=True)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    history = HistoricalRecords(verbose_name="révision de règlement")

    class Meta:
        verbose_name = "règlement"
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"Règlement du {self.date:%d/%m/%Y} — {self.financeur}"

    def delete(self, *args, **kwargs):
        raise ValidationError("Un règlement ne se supprime pas.")


class Affectation(models.Model):
    reglement = models.ForeignKey(Reglement, on_delete=models.PROTECT, related_name="affectations")
    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="affectations")
    montant = models.DecimalField("montant affecté", **MONTANT)

    history = HistoricalRecords(verbose_name="révision d'affectation")

    class Meta:
        verbose_name = "affectation de règlement"
        constraints = [
            models.CheckConstraint(condition=models.Q(montant__gt=0), name="affectation_positive")
        ]

    def __str__(self) -> str:
        return f"{self.montant} € → {self.facture}"
