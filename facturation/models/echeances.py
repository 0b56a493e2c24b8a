from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from facturation.models.conventions import MONTANT, Convention, ModaliteEcheance


class FinancementDossier(models.Model):
    """A dossier financed under a convention, for a share (co-financing: several rows)."""

    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        related_name="financements",
        verbose_name="dossier",
    )
    convention = models.ForeignKey(
        Convention, on_delete=models.PROTECT, related_name="financements", verbose_name="convention"
    )
    part = models.DecimalField(
        "part du financement (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    actif = models.BooleanField("actif", default=True)
    cree_le = models.DateTimeField("créé le", auto_now_add=True)

    history = HistoricalRecords(verbose_name="révision de financement")

    class Meta:
        verbose_name = "financement du dossier"
        verbose_name_plural = "financements des dossiers"
        ordering = ["dossier", "-part", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "convention"],
                condition=models.Q(actif=True),
                name="un_financement_actif_par_convention",
                violation_error_message="Ce dossier est déjà rattaché à cette convention.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.convention} ({self.part.normalize():f} %)"


class EtatEcheance(models.TextChoices):
    PREVUE = "prevue", "Prévue"
    A_FACTURER = "a_facturer", "À facturer"
    FACTUREE = "facturee", "Facturée"
    REGLEE = "reglee", "Réglée"
    BLOQUEE = "bloquee", "Bloquée"
    ANNULEE = "annulee", "Annulée"


class Echeance(FSMModelMixin, models.Model):
    """One line of a dossier's échéancier. Its state moves only through the transitions;
    its amount is computed by facturation.echeancier from the rules and the hours."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="echeances"
    )
    financement = models.ForeignKey(
        FinancementDossier, on_delete=models.PROTECT, related_name="echeances"
    )
    modalite = models.ForeignKey(
        ModaliteEcheance, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ordre = models.PositiveSmallIntegerField("ordre", default=0)
    libelle = models.CharField("libellé", max_length=200)
    montant = models.DecimalField("montant HT", **MONTANT)
    heures = models.DecimalField("heures", max_digits=7, decimal_places=2, null=True, blank=True)
    mois = models.DateField("mois", null=True, blank=True, help_text="Échéance mensuelle.")
    realise = models.BooleanField("échéance du réalisé", default=False)
    etat = FSMField(
        "état", default=EtatEcheance.PREVUE, choices=EtatEcheance.choices, protected=True
    )
    evenement = models.ForeignKey(
        "evenements.Evenement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="echeances",
        verbose_name="événement",
        help_text="L'événement qui l'a débloquée, bloquée ou créée.",
    )
    raison = models.CharField("raison", max_length=300, blank=True)
    action = models.ForeignKey(
        "evenements.ActionDeclenchee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="echeances",
        help_text="L'action automatique qui l'a changée en dernier (pour les corrections).",
    )
    modifiee_le = models.DateTimeField("modifiée le", auto_now=True)

    history = HistoricalRecords(verbose_name="révision d'échéance")

    class Meta:
        verbose_name = "échéance"
        ordering = ["dossier", "financement", "ordre", "mois", "pk"]
        indexes = [models.Index(fields=["etat", "financement"])]
        permissions = [("facturer", "Facturer les échéances, valider factures et avoirs")]

    def __str__(self) -> str:
        return f"{self.libelle} — {self.get_etat_display()}"

    # Which transitions exist is code; facturation.echeancier decides when.
    @transition(field=etat, source=EtatEcheance.PREVUE, target=EtatEcheance.A_FACTURER)
    def debloquer(self, evenement=None, raison: str = "") -> None:
        self.evenement, self.raison = evenement, raison

    @transition(field=etat, source=EtatEcheance.A_FACTURER, target=EtatEcheance.PREVUE)
    def rebloquer(self, raison: str) -> None:
        self.evenement, self.raison = None, raison

    @transition(field=etat, source=EtatEcheance.PREVUE, target=EtatEcheance.BLOQUEE)
    def bloquer(self, evenement, raison: str) -> None:
        self.evenement, self.raison = evenement, raison

    @transition(field=etat, source=EtatEcheance.BLOQUEE, target=EtatEcheance.PREVUE)
    def reouvrir(self, raison: str) -> None:
        self.evenement, self.raison = None, raison

    @transition(field=etat, source=EtatEcheance.A_FACTURER, target=EtatEcheance.FACTUREE)
    def facturer(self) -> None:
        pass

    @transition(field=etat, source=EtatEcheance.FACTUREE, target=EtatEcheance.A_FACTURER)
    def retirer_du_brouillon(self) -> None:
        pass

    @transition(field=etat, source=EtatEcheance.FACTUREE, target=EtatEcheance.REGLEE)
    def regler(self) -> None:
        pass

    @transition(field=etat, source=EtatEcheance.REGLEE, target=EtatEcheance.FACTUREE)
    def deregler(self) -> None:
        pass

    @transition(
        field=etat,
        source=[EtatEcheance.FACTUREE, EtatEcheance.REGLEE],
        target=EtatEcheance.PREVUE,
    )
    def crediter(self, raison: str) -> None:
        """An avoir cancelled its invoicing: due again only if an event releases it."""
        self.evenement, self.raison = None, raison

    @transition(
        field=etat,
        source=[EtatEcheance.PREVUE, EtatEcheance.A_FACTURER, EtatEcheance.BLOQUEE],
        target=EtatEcheance.ANNULEE,
    )
    def annuler(self, raison: str, evenement=None) -> None:
        self.raison = raison
        if evenement is not None:
            self.evenement = evenement
