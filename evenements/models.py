from django.conf import settings
from django.contrib import admin
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from dossiers.models import Statut


class Motif(models.Model):
    """Reference values an administrator maintains; in use → deactivated, never deleted."""

    class Liste(models.TextChoices):
        ABANDON = "abandon", "Motifs d'abandon"
        RUPTURE = "rupture", "Motifs de rupture"
        SORTIE_POSITIVE = "sortie_positive", "Types de sortie positive"

    liste = models.CharField("liste", max_length=20, choices=Liste.choices)
    libelle = models.CharField("libellé", max_length=200)
    code = models.SlugField("code", max_length=60)
    ordre = models.PositiveSmallIntegerField("ordre", default=0)
    actif = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "motif"
        ordering = ["liste", "ordre", "libelle"]
        constraints = [
            models.UniqueConstraint(fields=["liste", "code"], name="motif_code_unique_par_liste")
        ]

    def __str__(self) -> str:
        return self.libelle


class MotifAbandon(Motif):
    class Meta:
        proxy = True
        verbose_name = "motif d'abandon"
        verbose_name_plural = "motifs d'abandon"


class MotifRupture(Motif):
    class Meta:
        proxy = True
        verbose_name = "motif de rupture"
        verbose_name_plural = "motifs de rupture"


class TypeSortiePositive(Motif):
    class Meta:
        proxy = True
        verbose_name = "type de sortie positive"
        verbose_name_plural = "types de sortie positive"


class Effet(models.TextChoices):
    ENTREE = "entree", "Entrée"
    SORTIE_POSITIVE = "sortie_positive", "Sortie positive"
    ABANDON = "abandon", "Abandon"
    RUPTURE = "rupture", "Rupture"
    CHANGEMENT_PHASE = "changement_phase", "Changement de phase"
    VALIDATION_ETAPE = "validation_etape", "Validation d'étape"
    AUCUN = "aucun", "Aucun"


class TypeEvenement(models.Model):
    class Exigence(models.TextChoices):
        NON_DEMANDE = "non_demande", "Non demandé"
        FACULTATIF = "facultatif", "Facultatif"
        OBLIGATOIRE = "obligatoire", "Obligatoire"

    libelle = models.CharField("libellé", max_length=120)
    code = models.SlugField("code", max_length=60, unique=True)
    effet = models.CharField("effet", max_length=20, choices=Effet.choices, default=Effet.AUCUN)
    toutes_prestations = models.BooleanField("proposé pour toutes les prestations", default=True)
    prestations = models.ManyToManyField(
        "dossiers.Prestation",
        blank=True,
        related_name="types_evenement",
        verbose_name="prestations",
        help_text="Utilisé seulement si le type n'est pas proposé pour toutes les prestations.",
    )
    statuts_autorises = models.JSONField(
        "statuts où il peut être saisi",
        default=list,
        help_text="Statuts du dossier (à la date de l'événement) dans lesquels ce type est permis.",
    )
    motif = models.CharField(
        "motif", max_length=12, choices=Exigence.choices, default=Exigence.NON_DEMANDE
    )
    liste_motifs = models.CharField(
        "liste de motifs", max_length=20, choices=Motif.Liste.choices, blank=True
    )
    commentaire_obligatoire = models.BooleanField("commentaire obligatoire", default=False)
    actif = models.BooleanField("actif", default=True)
    ordre = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "type d'événement"
        verbose_name_plural = "types d'événement"
        ordering = ["ordre", "libelle"]

    def __str__(self) -> str:
        return self.libelle

    @property
    def libelle_motif(self) -> str:
        if self.liste_motifs == Motif.Liste.SORTIE_POSITIVE:
            return "Type de sortie"
        return "Motif"

    @property
    def champ_phase(self) -> "ChampSupplementaire | None":
        """The first 'phase' field: the one a phase change reads its new phase from."""
        phase = ChampSupplementaire.Nature.PHASE
        return next((c for c in self.champs.all() if c.nature == phase), None)

    @property
    def champ_financeur(self) -> "ChampSupplementaire | None":
        """The first 'financeur' field: the dossier's financeur from the event's date."""
        financeur = ChampSupplementaire.Nature.FINANCEUR
        return next((c for c in self.champs.all() if c.nature == financeur), None)

    def champs_saisis(self, valeurs: dict | None = None) -> list["ChampSupplementaire"]:
        """The fields asked on input: the active ones, plus those `valeurs` already fills
        (editing an event keeps a since-deactivated field)."""
        valeurs = valeurs or {}
        return [c for c in self.champs.all() if c.actif or c.code in valeurs]

    @admin.display(description="statuts autorisés")
    def statuts_autorises_libelles(self) -> str:
        return ", ".join(Statut(s).label for s in self.statuts_autorises)


class ChampSupplementaire(models.Model):
    class Nature(models.TextChoices):
        TEXTE = "texte", "Texte"
        NOMBRE = "nombre", "Nombre"
        DATE = "date", "Date"
        OUI_NON = "oui_non", "Oui / non"
        CHOIX = "choix", "Liste de choix"
        PHASE = "phase", "Phase de la prestation"
        FINANCEUR = "financeur", "Financeur"

    type_evenement = models.ForeignKey(
        TypeEvenement, on_delete=models.CASCADE, related_name="champs", verbose_name="type"
    )
    libelle = models.CharField("libellé", max_length=120)
    code = models.SlugField("code", max_length=60)
    nature = models.CharField("nature", max_length=12, choices=Nature.choices)
    obligatoire = models.BooleanField("obligatoire", default=False)
    aide = models.CharField("aide", max_length=250, blank=True)
    choix = models.TextField("choix possibles", blank=True, help_text="Un choix par ligne.")
    ordre = models.PositiveSmallIntegerField("ordre", default=0)
    actif = models.BooleanField(
        "actif",
        default=True,
        help_text="Un champ désactivé n'est plus demandé ; les valeurs déjà saisies restent.",
    )

    class Meta:
        verbose_name = "champ supplémentaire"
        verbose_name_plural = "champs supplémentaires"
        ordering = ["ordre", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["type_evenement", "code"], name="champ_code_unique")
        ]

    def __str__(self) -> str:
        return self.libelle

    @property
    def liste_choix(self) -> list[str]:
        return [c.strip() for c in self.choix.splitlines() if c.strip()]


# Edit and deletion reasons: what the forms accept and the services enforce.
RAISON_LONGUEUR_MAX = 500


class EvenementQuerySet(models.QuerySet):
    def actifs(self):
        return self.filter(supprime_le__isnull=True)

    def chronologiques(self):
        return self.order_by("date", "rang", "pk")


class Evenement(models.Model):
    """A dated fact of a dossier. Never physically deleted: a legal record."""

    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        related_name="evenements",
        verbose_name="dossier",
    )
    type_evenement = models.ForeignKey(
        TypeEvenement,
        on_delete=models.PROTECT,
        related_name="evenements",
        verbose_name="type d'événement",
    )
    date = models.DateField("date de l'événement")
    rang = models.PositiveIntegerField(
        "rang", default=1, help_text="Ordre parmi les événements du dossier à la même date."
    )
    commentaire = models.TextField("commentaire", blank=True)
    motif = models.ForeignKey(
        Motif, on_delete=models.PROTECT, null=True, blank=True, verbose_name="motif"
    )
    valeurs = models.JSONField("informations complémentaires", default=dict, blank=True)

    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="auteur"
    )
    cree_le = models.DateTimeField("saisi le", default=timezone.now, editable=False)
    modifie_le = models.DateTimeField("modifié le", null=True, blank=True, editable=False)
    modifie_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="modifié par",
    )
    supprime_le = models.DateTimeField("supprimé le", null=True, blank=True, editable=False)
    supprime_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="supprimé par",
    )
    raison_suppression = models.TextField("raison de la suppression", blank=True)
    version = models.PositiveIntegerField(
        "version",
        default=1,
        editable=False,
        help_text="Incrémentée par chaque écriture : le formulaire de modification la renvoie.",
    )

    reprise = models.JSONField(
        "état après l'événement",
        null=True,
        blank=True,
        editable=False,
        help_text="Point de reprise du rejeu (dérivé des événements, recalculé).",
    )

    history = HistoricalRecords(
        verbose_name="révision d'événement",
        excluded_fields=["cree_le", "reprise"],
        cascade_delete_history=False,
    )
    objects = EvenementQuerySet.as_manager()

    class Meta:
        verbose_name = "événement"
        ordering = ["date", "rang", "pk"]
        indexes = [
            models.Index(fields=["dossier", "date", "rang"]),
            # The active history in its order: a recording reads its last event, the tab a
            # page of it, in a few index pages whatever the history's length.
            models.Index(
                fields=["dossier", "date", "rang", "id"],
                condition=models.Q(supprime_le__isnull=True),
                name="evenement_actifs_chrono",
            ),
        ]
        permissions = [
            ("modifier_tout_evenement", "Modifier les événements saisis par d'autres"),
        ]

    def __str__(self) -> str:
        return f"{self.type_evenement} du {self.date:%d/%m/%Y}"

    @property
    def est_supprime(self) -> bool:
        return self.supprime_le is not None

    @property
    def saisi_a_posteriori(self) -> bool:
        return self.date < timezone.localdate(self.cree_le)

    @property
    def planifie(self) -> bool:
        """Dated in the future: it changes nothing until its date."""
        return self.date > timezone.localdate()

    @property
    def est_modifie(self) -> bool:
        return self.modifie_le is not None


class ActionConfiguree(models.Model):
    """An automatic action an event type triggers. The owning app subclasses it (multi-table)
    with its own parameters, e.g. notifications.ModeleNotification, and registers its
    handler in evenements.natures."""

    type_evenement = models.ForeignKey(
        TypeEvenement, on_delete=models.CASCADE, related_name="actions", verbose_name="type"
    )
    nature = models.CharField("nature", max_length=30, editable=False)
    actif = models.BooleanField("active", default=True)
    liee_a_la_date = models.BooleanField(
        "liée à la date",
        default=False,
        help_text="À faire le jour de l'événement (ex. notifier le financeur le jour de "
        "l'entrée) : ignorée si l'événement est saisi a posteriori au-delà du délai toléré.",
    )
    delai_tolere_jours = models.PositiveSmallIntegerField(
        "délai toléré (jours)",
        default=0,
        help_text="Pour une action liée à la date : retard de saisie accepté.",
    )
    ordre = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "action automatique"
        verbose_name_plural = "actions automatiques"
        ordering = ["ordre", "pk"]

    def __str__(self) -> str:
        from evenements.natures import nature

        return nature(self.nature).decrire(self)


class EtatAction(models.TextChoices):
    A_EXECUTER = "a_executer", "À exécuter"
    PLANIFIEE = "planifiee", "Planifiée"
    EN_COURS = "en_cours", "En cours"
    EXECUTEE = "executee", "Exécutée"
    ECHEC = "echec", "Échec"
    IGNOREE = "ignoree", "Ignorée"
    ANNULEE = "annulee", "Annulée"
    A_REVOIR = "a_revoir", "À revoir"
    A_VERIFIER = "a_verifier", "À vérifier"


class ActionDeclencheeQuerySet(models.QuerySet):
    def visibles_par(self, user):
        from dossiers.droits import equipes_de, voit_toutes_les_equipes

        if voit_toutes_les_equipes(user):
            return self
        return self.filter(evenement__dossier__equipe__in=equipes_de(user))


class ActionDeclenchee(models.Model):
    """Outbox row: one action an event calls for, with its state. Written in the event's
    transaction, executed after commit by Celery (or in-process when embedded)."""

    evenement = models.ForeignKey(
        Evenement, on_delete=models.PROTECT, related_name="actions", verbose_name="événement"
    )
    configuration = models.ForeignKey(
        ActionConfiguree,
        on_delete=models.PROTECT,
        related_name="declenchements",
        verbose_name="action configurée",
    )
    corrige = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name="correction de",
    )
    cle = models.CharField("clé d'unicité", max_length=80, unique=True)
    etat = models.CharField(
        "état",
        max_length=12,
        choices=EtatAction.choices,
        default=EtatAction.A_EXECUTER,
        db_index=True,
    )
    raison = models.CharField("raison", max_length=300, blank=True)
    planifiee_pour = models.DateField("planifiée pour", null=True, blank=True)
    prochaine_tentative_le = models.DateTimeField("prochaine tentative", null=True, blank=True)
    tentatives = models.PositiveSmallIntegerField("tentatives", default=0)
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    demarree_le = models.DateTimeField("démarrée le", null=True, blank=True)
    terminee_le = models.DateTimeField("terminée le", null=True, blank=True)
    derniere_erreur = models.TextField("dernière erreur", blank=True)
    resultat = models.TextField("résultat", blank=True)
    compensation = models.CharField("compensation proposée", max_length=300, blank=True)
    # Last hand-over to the broker: the sweep re-sends only what was not handed over recently.
    transmise_le = models.DateTimeField("transmise le", null=True, blank=True)
    # Set when a person cancels it: an edit of the event does not plan it again.
    annulee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="annulée par",
    )
    # A person chose "Renvoyer" after an attempt of unknown outcome (see natures.IssueIncertaine).
    reprise_autorisee_le = models.DateTimeField("renvoi autorisé le", null=True, blank=True)

    objects = ActionDeclencheeQuerySet.as_manager()

    class Meta:
        verbose_name = "action déclenchée"
        verbose_name_plural = "actions déclenchées"
        ordering = ["evenement__date", "evenement__rang", "evenement_id", "pk"]
        permissions = [("piloter_actions", "Relancer, annuler ou revoir les actions")]

    def __str__(self) -> str:
        return f"{self.configuration} — {self.get_etat_display()}"

    @property
    def libelle(self) -> str:
        prefixe = "Correction : " if self.corrige_id else ""
        return prefixe + str(self.configuration)


class JetonConfiguration(models.Model):
    """One row whose token the database renews on every write to the configuration that a
    recording reads (types, their fields and prestations, configured actions, phases), by
    triggers (migration 0011). evenements.configuration keeps that configuration per
    process for the token it was read with."""

    jeton = models.CharField("jeton", max_length=64)

    class Meta:
        verbose_name = "jeton de configuration"

    def __str__(self) -> str:
        return self.jeton
