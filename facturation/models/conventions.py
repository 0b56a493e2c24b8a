from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from facturation.argent import CENT, euros, taux_fr

MONTANT = {"max_digits": 12, "decimal_places": 2}


class Convention(models.Model):
    """A financing agreement between the provider and a financeur for some prestations."""

    class Tarification(models.TextChoices):
        FORFAIT = "forfait", "Forfait par parcours"
        TAUX_HORAIRE = "taux_horaire", "Taux horaire (heures réalisées)"
        PAR_ETAPE = "par_etape", "Prix par étape"

    class Interruption(models.TextChoices):
        PRORATA = "prorata", "Facturer le réalisé, au prorata des heures"
        RIEN = "rien", "Ne plus rien facturer"
        CPF = "cpf", "Règle CPF (< 25 % : 25 % du prix ; 25–80 % : prorata ; ≥ 80 % : 100 %)"

    financeur = models.ForeignKey(
        "dossiers.Financeur",
        on_delete=models.PROTECT,
        related_name="conventions",
        verbose_name="financeur",
    )
    numero = models.CharField("numéro", max_length=60, unique=True)
    intitule = models.CharField("intitulé", max_length=200, blank=True)
    prestations = models.ManyToManyField(
        "dossiers.Prestation", related_name="conventions", verbose_name="prestations"
    )
    date_debut = models.DateField("début de validité")
    date_fin = models.DateField("fin de validité")
    heures_financees = models.DecimalField(
        "heures financées par parcours",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    montant_previsionnel = models.DecimalField(
        "montant prévisionnel", **MONTANT, null=True, blank=True
    )
    tarification = models.CharField(
        "tarification", max_length=14, choices=Tarification.choices, default=Tarification.FORFAIT
    )
    prix = models.DecimalField(
        "prix",
        **MONTANT,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Forfait par parcours, ou taux horaire. Pour un prix par étape : le total "
        "des étapes (chaque modalité porte son montant).",
    )
    regle_interruption = models.CharField(
        "en cas d'abandon ou de rupture",
        max_length=8,
        choices=Interruption.choices,
        default=Interruption.PRORATA,
    )
    active = models.BooleanField("active", default=True)

    history = HistoricalRecords(verbose_name="révision de convention")

    class Meta:
        verbose_name = "convention de financement"
        verbose_name_plural = "conventions de financement"
        ordering = ["financeur", "-date_debut", "numero"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_fin__gte=models.F("date_debut")),
                name="convention_periode_ordonnee",
                violation_error_message="La fin de validité précède le début.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.numero} — {self.financeur}"

    def clean(self) -> None:
        if self.date_debut and self.date_fin and self.date_fin < self.date_debut:
            raise ValidationError({"date_fin": "La fin de validité précède le début."})

    @property
    def est_horaire(self) -> bool:
        return self.tarification == self.Tarification.TAUX_HORAIRE

    def couvre(self, date) -> bool:
        return self.date_debut <= date <= self.date_fin


class ModaliteEcheance(models.Model):
    """One ordered rule of a convention's échéancier: how much, and what releases it."""

    class Declencheur(models.TextChoices):
        EVENEMENT = "evenement", "Un type d'événement"
        MENSUEL = "mensuel", "Chaque mois, sur les heures réalisées"
        FIN_PARCOURS = "fin_parcours", "La fin du parcours (sortie positive)"

    convention = models.ForeignKey(
        Convention, on_delete=models.CASCADE, related_name="modalites", verbose_name="convention"
    )
    ordre = models.PositiveSmallIntegerField("ordre", default=0)
    libelle = models.CharField("libellé", max_length=120)
    part_pourcentage = models.DecimalField(
        "part (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    montant_fixe = models.DecimalField("montant fixe", **MONTANT, null=True, blank=True)
    declencheur = models.CharField(
        "déclenchée par",
        max_length=14,
        choices=Declencheur.choices,
        default=Declencheur.EVENEMENT,
    )
    type_evenement = models.ForeignKey(
        "evenements.TypeEvenement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="type d'événement",
    )
    phase = models.ForeignKey(
        "dossiers.Phase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="phase atteinte",
        help_text="Pour un changement de phase : la phase qui débloque l'échéance.",
    )

    history = HistoricalRecords(verbose_name="révision de modalité")

    class Meta:
        verbose_name = "modalité d'échéance"
        verbose_name_plural = "modalités (échéancier)"
        ordering = ["convention", "ordre", "pk"]

    def __str__(self) -> str:
        return f"{self.libelle} ({self.quotite})"

    @property
    def quotite(self) -> str:
        if self.montant_fixe is not None:
            return euros(self.montant_fixe)
        if self.declencheur == self.Declencheur.MENSUEL:
            return "heures du mois"
        return taux_fr(self.part_pourcentage or 0)

    def clean(self) -> None:
        erreurs = {}
        mensuel = self.declencheur == self.Declencheur.MENSUEL
        if not mensuel and (self.part_pourcentage is None) == (self.montant_fixe is None):
            erreurs["part_pourcentage"] = "Indiquez soit une part en %, soit un montant fixe."
        if self.part_pourcentage is not None and self.part_pourcentage > CENT:
            erreurs["part_pourcentage"] = "Une part ne peut dépasser 100 %."
        if self.declencheur == self.Declencheur.EVENEMENT and self.type_evenement_id is None:
            erreurs["type_evenement"] = "Choisissez le type d'événement qui débloque l'échéance."
        if self.declencheur != self.Declencheur.EVENEMENT and (
            self.type_evenement_id or self.phase_id
        ):
            erreurs["type_evenement"] = "Un type d'événement n'a de sens que pour ce déclencheur."
        if erreurs:
            raise ValidationError(erreurs)
