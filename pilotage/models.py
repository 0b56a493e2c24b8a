from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models


class Pilotage(models.Model):
    """No rows: carries the permissions of the pilotage page (Django has no model-less ones)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("voir_pilotage", "Voir la page Pilotage"),
            ("telecharger_declarations", "Télécharger les déclarations d'entrées et de sorties"),
        ]

    def __str__(self) -> str:
        return "Pilotage"


class TelechargementDeclaration(models.Model):
    """Who downloaded which déclaration, when: the legal trace of what left the system."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        PDF = "pdf", "PDF"

    utilisateur = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="par"
    )
    financeur = models.ForeignKey(
        "dossiers.Financeur", on_delete=models.PROTECT, related_name="+", verbose_name="financeur"
    )
    convention = models.ForeignKey(
        "facturation.Convention",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="convention",
    )
    debut = models.DateField("du")
    fin = models.DateField("au")
    format = models.CharField("format", max_length=3, choices=Format.choices)
    lignes = models.PositiveIntegerField("lignes")
    le = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "téléchargement de déclaration"
        verbose_name_plural = "téléchargements de déclarations"
        ordering = ["-le", "-pk"]

    def __str__(self) -> str:
        return f"{self.financeur} du {self.debut:%d/%m/%Y} au {self.fin:%d/%m/%Y}"


class Periodicite(models.TextChoices):
    HEBDOMADAIRE = "hebdomadaire", "Hebdomadaire"
    MENSUELLE = "mensuelle", "Mensuelle"
    TRIMESTRIELLE = "trimestrielle", "Trimestrielle"


def adresses(texte: str) -> list[str]:
    morceaux = texte.replace(",", "\n").replace(";", "\n").splitlines()
    return [m.strip() for m in morceaux if m.strip()]


class RapportConfiguration(models.Model):
    """A financeur's periodic report: when, to whom, with what."""

    financeur = models.ForeignKey(
        "dossiers.Financeur",
        on_delete=models.PROTECT,
        related_name="rapports",
        verbose_name="financeur",
    )
    convention = models.ForeignKey(
        "facturation.Convention",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rapports",
        verbose_name="convention",
        help_text="Facultatif : le rapport ne couvre alors que les dossiers de cette convention.",
    )
    periodicite = models.CharField(
        "périodicité", max_length=15, choices=Periodicite.choices, default=Periodicite.MENSUELLE
    )
    destinataires = models.TextField(
        "destinataires", blank=True, help_text="Une adresse e-mail par ligne (ou séparées par ,)."
    )
    lignes_par_dossier = models.BooleanField(
        "tableau des dossiers dans le PDF",
        default=True,
        help_text="Le CSV contient toujours une ligne par dossier.",
    )
    graphique = models.BooleanField("graphique des entrées et sorties", default=True)
    actif = models.BooleanField(
        "actif", default=False, help_text="Envoyé automatiquement à la fin de chaque période."
    )
    cree_le = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "rapport financeur"
        verbose_name_plural = "rapports financeurs"
        ordering = ["financeur__raison_sociale", "periodicite"]
        constraints = [
            models.UniqueConstraint(
                fields=["financeur", "periodicite"],
                condition=models.Q(convention__isnull=True),
                name="un_rapport_par_financeur_et_periodicite",
                violation_error_message="Ce financeur a déjà un rapport de cette périodicité.",
            ),
            models.UniqueConstraint(
                fields=["convention", "periodicite"],
                condition=models.Q(convention__isnull=False),
                name="un_rapport_par_convention_et_periodicite",
                violation_error_message="Cette convention a déjà un rapport de cette périodicité.",
            ),
        ]
        permissions = [("envoyer_rapport", "Prévisualiser et envoyer les rapports financeurs")]

    def __str__(self) -> str:
        perimetre = f" — convention {self.convention.numero}" if self.convention_id else ""
        return f"{self.financeur}{perimetre} — rapport {self.get_periodicite_display().lower()}"

    @property
    def liste_destinataires(self) -> list[str]:
        return adresses(self.destinataires)

    def clean(self):
        erreurs = {}
        for adresse in self.liste_destinataires:
            try:
                validate_email(adresse)
            except ValidationError:
                erreurs["destinataires"] = f"Adresse e-mail invalide : « {adresse} »."
                break
        if (
            self.convention_id
            and self.financeur_id
            and self.convention.financeur_id != self.financeur_id
        ):
            erreurs["convention"] = "Cette convention n'est pas celle de ce financeur."
        if self.actif and not self.liste_destinataires and "destinataires" not in erreurs:
            erreurs["destinataires"] = (
                "Un rapport sans destinataire ne peut pas être activé : ajoutez au moins une "
                "adresse."
            )
        if erreurs:
            raise ValidationError(erreurs)


class EnvoiRapport(models.Model):
    """Outbox row: one report for one configuration and one period, sent exactly once.

    The figures sent are stored (`instantane`): a closed period is frozen; later corrections
    appear as `correctifs` in a following report.
    """

    class Etat(models.TextChoices):
        A_ENVOYER = "a_envoyer", "À envoyer"
        EN_COURS = "en_cours", "En cours"
        ENVOYE = "envoye", "Envoyé"
        ECHEC = "echec", "Échec"

    configuration = models.ForeignKey(
        RapportConfiguration,
        on_delete=models.PROTECT,
        related_name="envois",
        verbose_name="rapport",
    )
    debut = models.DateField("du")
    fin = models.DateField("au")
    etat = models.CharField(
        "état", max_length=10, choices=Etat.choices, default=Etat.A_ENVOYER, db_index=True
    )
    tentatives = models.PositiveSmallIntegerField("tentatives", default=0)
    prochaine_tentative_le = models.DateTimeField("prochaine tentative", null=True, blank=True)
    demarre_le = models.DateTimeField("démarré le", null=True, blank=True)
    envoye_le = models.DateTimeField("envoyé le", null=True, blank=True)
    derniere_erreur = models.TextField("dernière erreur", blank=True)
    destinataires = models.TextField("envoyé à", blank=True)
    message_id = models.CharField("Message-ID", max_length=200, blank=True)
    instantane = models.JSONField("chiffres envoyés", null=True, blank=True, editable=False)
    correctifs = models.JSONField("correctifs", default=list, blank=True, editable=False)
    demande_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="demandé par",
    )
    cree_le = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "envoi de rapport"
        verbose_name_plural = "envois de rapports"
        ordering = ["-debut", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["configuration", "debut"], name="un_envoi_par_rapport_et_periode"
            )
        ]

    def __str__(self) -> str:
        return f"{self.configuration} du {self.debut:%d/%m/%Y} au {self.fin:%d/%m/%Y}"


class SejourPhase(models.Model):
    """A dossier's stay in a phase, read from a database view (migration 0002): one row per
    active event that sets the phase (the entry: the first phase; a phase field: its value),
    from its date to the next such event, or to the exit. The stays of
    `evenements.indicateurs.sejours_par_phase`, in SQL, so hours per phase are one join."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    phase = models.ForeignKey(
        "dossiers.Phase",
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=True,
        db_constraint=False,
    )
    debut = models.DateField("du")
    fin = models.DateField("au (exclu)")

    class Meta:
        managed = False
        db_table = "pilotage_sejour_phase"
        default_permissions = ()
        verbose_name = "séjour dans une phase"

    def __str__(self) -> str:
        return f"{self.dossier_id} : {self.phase_id} du {self.debut} au {self.fin}"
