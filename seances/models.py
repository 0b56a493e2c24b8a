"""Séances, presences and émargement: the hours behind the indicators.

Durations are minutes (integers): exact sums, no float drift; hours are shown by formatting.
"""

import datetime
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from evenements.models import ActionConfiguree


class NatureSeance(models.TextChoices):
    FACE_A_FACE = "face_a_face", "Face-à-face"
    A_DISTANCE = "a_distance", "À distance"
    AUTONOMIE = "autonomie", "Bénéficiaire en autonomie"
    CONSEILLER_SEUL = "conseiller_seul", "Conseiller seul"


# Whose time a séance of each nature is: the bénéficiaire's, the conseiller's, or both.
TEMPS_BENEFICIAIRE = (NatureSeance.FACE_A_FACE, NatureSeance.A_DISTANCE, NatureSeance.AUTONOMIE)
TEMPS_CONSEILLER = (
    NatureSeance.FACE_A_FACE,
    NatureSeance.A_DISTANCE,
    NatureSeance.CONSEILLER_SEUL,
)


class TypeSeance(models.Model):
    prestation = models.ForeignKey(
        "dossiers.Prestation",
        on_delete=models.PROTECT,
        related_name="types_seance",
        verbose_name="prestation",
    )
    libelle = models.CharField("libellé", max_length=120)
    duree_prevue_minutes = models.PositiveIntegerField("durée prévue (minutes)", default=60)
    nature = models.CharField(
        "nature", max_length=20, choices=NatureSeance.choices, default=NatureSeance.FACE_A_FACE
    )
    collective = models.BooleanField("collective", default=False)
    facturable = models.BooleanField("facturable", default=True)
    emargement_requis = models.BooleanField("émargement requis", default=True)
    phase = models.ForeignKey(
        "dossiers.Phase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="types_seance",
        verbose_name="phase",
    )
    actif = models.BooleanField("actif", default=True)
    ordre = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "type de séance"
        verbose_name_plural = "types de séance"
        ordering = ["prestation", "ordre", "libelle"]
        constraints = [
            models.UniqueConstraint(
                fields=["prestation", "libelle"], name="type_seance_unique_par_prestation"
            )
        ]

    def __str__(self) -> str:
        return self.libelle

    def clean(self):
        if self.phase_id and self.prestation_id and self.phase.prestation_id != self.prestation_id:
            raise ValidationError({"phase": "Cette phase n'appartient pas à la prestation."})


class MotifAnnulation(models.Model):
    """Reference list; in use → deactivated, never deleted."""

    code = models.SlugField("code", max_length=60, unique=True)
    libelle = models.CharField("libellé", max_length=200)
    ordre = models.PositiveSmallIntegerField("ordre", default=0)
    actif = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "motif d'annulation de séance"
        verbose_name_plural = "motifs d'annulation de séance"
        ordering = ["ordre", "libelle"]

    def __str__(self) -> str:
        return self.libelle


class Objectif(models.Model):
    """An objective planned for a prestation: the denominator of the taux de réussite."""

    prestation = models.ForeignKey(
        "dossiers.Prestation",
        on_delete=models.PROTECT,
        related_name="objectifs",
        verbose_name="prestation",
    )
    phase = models.ForeignKey(
        "dossiers.Phase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objectifs",
        verbose_name="phase",
    )
    libelle = models.CharField("libellé", max_length=200)
    ordre = models.PositiveSmallIntegerField("ordre", default=0)
    actif = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "objectif"
        ordering = ["prestation", "ordre", "pk"]

    def __str__(self) -> str:
        return self.libelle


class EtatSeance(models.TextChoices):
    PREVUE = "prevue", "Prévue"
    REALISEE = "realisee", "Réalisée"
    ANNULEE = "annulee", "Annulée"


class Seance(FSMModelMixin, models.Model):
    """One séance, individual or collective (several Participations). Writes go through
    seances.services; `etat` changes only through its transitions."""

    type_seance = models.ForeignKey(
        TypeSeance, on_delete=models.PROTECT, related_name="seances", verbose_name="type de séance"
    )
    date = models.DateField("date")
    heure_debut = models.TimeField("heure de début")
    heure_fin = models.TimeField("heure de fin")
    # Kept equal to heure_fin − heure_debut by save(): SQL aggregates need a plain column.
    duree_minutes = models.PositiveIntegerField("durée (minutes)", editable=False, default=0)
    lieu = models.CharField("lieu", max_length=200, blank=True)
    a_distance = models.BooleanField("à distance", default=False)
    animateur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="seances_animees",
        verbose_name="animateur",
    )
    etat = FSMField(
        "état", default=EtatSeance.PREVUE, choices=EtatSeance.choices, protected=True, db_index=True
    )
    motif_annulation = models.ForeignKey(
        MotifAnnulation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="motif d'annulation",
    )
    commentaire = models.TextField("commentaire", blank=True)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="créée par",
    )
    cree_le = models.DateTimeField("créée le", default=timezone.now, editable=False)
    validee_le = models.DateTimeField("validée le", null=True, blank=True, editable=False)
    validee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="validée par",
    )
    annulee_le = models.DateTimeField("annulée le", null=True, blank=True, editable=False)
    annulee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="annulée par",
    )

    history = HistoricalRecords(
        verbose_name="révision de séance", excluded_fields=["cree_le"], cascade_delete_history=False
    )

    class Meta:
        verbose_name = "séance"
        ordering = ["date", "heure_debut", "pk"]
        indexes = [
            models.Index(fields=["animateur", "date"]),
            models.Index(fields=["date", "heure_debut"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(heure_fin__gt=models.F("heure_debut")),
                name="seance_fin_apres_debut",
                violation_error_message="L'heure de fin doit être après l'heure de début.",
            )
        ]
        permissions = [
            ("corriger_toute_seance", "Corriger les séances validées animées par d'autres"),
        ]

    def __str__(self) -> str:
        return f"{self.type_seance} du {self.date:%d/%m/%Y} {self.heure_debut:%H:%M}"

    def save(self, *args, **kwargs):
        self.duree_minutes = minutes_entre(self.heure_debut, self.heure_fin)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "duree_minutes"}
        super().save(*args, **kwargs)

    @transition(field=etat, source=EtatSeance.PREVUE, target=EtatSeance.REALISEE)
    def valider(self, par) -> None:
        self.validee_le = timezone.now()
        self.validee_par = par

    @transition(field=etat, source=EtatSeance.PREVUE, target=EtatSeance.ANNULEE)
    def annuler(self, par, motif: MotifAnnulation) -> None:
        self.annulee_le = timezone.now()
        self.annulee_par = par
        self.motif_annulation = motif

    @property
    def nature(self) -> str:
        return self.type_seance.nature

    @property
    def est_realisee(self) -> bool:
        return self.etat == EtatSeance.REALISEE

    @property
    def est_annulee(self) -> bool:
        return self.etat == EtatSeance.ANNULEE

    @property
    def debut(self) -> datetime.datetime:
        return datetime.datetime.combine(self.date, self.heure_debut)

    @property
    def fin(self) -> datetime.datetime:
        return datetime.datetime.combine(self.date, self.heure_fin)

    def demi_journees(self) -> list[str]:
        """The half-days this séance covers (one signature each), split at the cut-off."""
        coupure = coupure_demi_journee()
        moities = []
        if self.heure_debut < coupure:
            moities.append(DemiJournee.MATIN)
        if self.heure_fin > coupure:
            moities.append(DemiJournee.APRES_MIDI)
        return moities


def minutes_entre(debut: datetime.time | None, fin: datetime.time | None) -> int:
    if debut is None or fin is None:
        return 0
    return max((fin.hour * 60 + fin.minute) - (debut.hour * 60 + debut.minute), 0)


def coupure_demi_journee() -> datetime.time:
    heures, minutes = settings.EMARGEMENT_COUPURE.split(":")
    return datetime.time(int(heures), int(minutes))


class Presence(models.TextChoices):
    PRESENT = "present", "Présent"
    ABSENT_JUSTIFIE = "absent_justifie", "Absent justifié"
    ABSENT_NON_JUSTIFIE = "absent_non_justifie", "Absent non justifié"
    EXCUSE = "excuse", "Excusé"


class Participation(models.Model):
    """A dossier's place in a séance; its presence is recorded when the séance is validated."""

    seance = models.ForeignKey(
        Seance, on_delete=models.PROTECT, related_name="participations", verbose_name="séance"
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        related_name="participations",
        verbose_name="dossier",
    )
    presence = models.CharField("présence", max_length=20, choices=Presence.choices, blank=True)
    retard_minutes = models.PositiveIntegerField("retard (minutes)", default=0)
    depart_anticipe_minutes = models.PositiveIntegerField("départ anticipé (minutes)", default=0)
    motif = models.CharField("motif", max_length=250, blank=True)
    justificatif = models.FileField(
        "justificatif", upload_to="seances/justificatifs/%Y/%m/", blank=True
    )

    history = HistoricalRecords(verbose_name="révision de présence", cascade_delete_history=False)

    class Meta:
        verbose_name = "participation"
        ordering = ["seance", "dossier__beneficiaire__nom", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["seance", "dossier"], name="participation_unique")
        ]
        indexes = [models.Index(fields=["dossier", "seance"])]

    def __str__(self) -> str:
        return f"{self.dossier.beneficiaire} — {self.seance}"

    @property
    def minutes_presentes(self) -> int:
        """Time attended: the séance minus lateness and early departure; 0 when absent."""
        if self.presence != Presence.PRESENT:
            return 0
        duree = self.seance.duree_minutes
        return max(duree - self.retard_minutes - self.depart_anticipe_minutes, 0)


class DemiJournee(models.TextChoices):
    MATIN = "matin", "Matin"
    APRES_MIDI = "apres_midi", "Après-midi"


class Emargement(models.Model):
    """One signature: a bénéficiaire's (participation set) or the animateur's, for one
    half-day of one séance. Never altered: a correction is a new record pointing to it."""

    class Mode(models.TextChoices):
        TABLETTE = "tablette", "Sur place (tablette)"
        DISTANCE = "distance", "À distance (lien personnel)"

    seance = models.ForeignKey(
        Seance, on_delete=models.PROTECT, related_name="emargements", verbose_name="séance"
    )
    participation = models.ForeignKey(
        Participation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emargements",
        verbose_name="participation",
        help_text="Vide : signature de l'animateur.",
    )
    signataire = models.CharField("signataire", max_length=200)
    demi_journee = models.CharField("demi-journée", max_length=12, choices=DemiJournee.choices)
    mode = models.CharField("mode", max_length=10, choices=Mode.choices)
    image = models.FileField("signature", upload_to="seances/emargements/%Y/%m/")
    empreinte = models.CharField("empreinte SHA-256", max_length=64, editable=False)
    signe_le = models.DateTimeField("signé le", default=timezone.now, editable=False)
    adresse_ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    agent_utilisateur = models.CharField("navigateur", max_length=500, blank=True)
    recueilli_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="recueilli par",
    )
    corrige = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name="correction de",
    )
    raison_correction = models.TextField("raison de la correction", blank=True)

    class Meta:
        verbose_name = "émargement"
        ordering = ["seance", "demi_journee", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["seance", "participation", "demi_journee"],
                condition=Q(corrige__isnull=True, participation__isnull=False),
                name="un_emargement_par_participant_et_demi_journee",
            ),
            models.UniqueConstraint(
                fields=["seance", "demi_journee"],
                condition=Q(corrige__isnull=True, participation__isnull=True),
                name="un_emargement_animateur_par_demi_journee",
            ),
            models.UniqueConstraint(fields=["corrige"], name="une_correction_par_emargement"),
        ]

    def __str__(self) -> str:
        return f"{self.signataire} — {self.seance} ({self.get_demi_journee_display()})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Une signature enregistrée ne peut pas être modifiée.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Une signature ne peut pas être supprimée.")

    @staticmethod
    def empreinte_de(contenu: bytes) -> str:
        return hashlib.sha256(contenu).hexdigest()


class JetonEmargement(models.Model):
    """A single-use link for one bénéficiaire to sign one half-day remotely. The row is also
    the outbox of its sending (state, attempts, error), sent by the channel notifications
    registers (see seances.expedition)."""

    class Canal(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    class EtatEnvoi(models.TextChoices):
        A_ENVOYER = "a_envoyer", "À envoyer"
        ENVOYE = "envoye", "Envoyé"
        ECHEC = "echec", "Échec"

    participation = models.ForeignKey(
        Participation,
        on_delete=models.PROTECT,
        related_name="jetons",
        verbose_name="participation",
    )
    demi_journee = models.CharField("demi-journée", max_length=12, choices=DemiJournee.choices)
    nonce = models.CharField("nonce", max_length=64, unique=True, editable=False)
    expire_le = models.DateTimeField("expire le")
    utilise_le = models.DateTimeField("utilisé le", null=True, blank=True)
    cree_le = models.DateTimeField("créé le", default=timezone.now, editable=False)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="créé par",
    )
    canal = models.CharField("canal", max_length=10, choices=Canal.choices)
    adresse = models.CharField("adresse", max_length=254)
    etat_envoi = models.CharField(
        "envoi", max_length=10, choices=EtatEnvoi.choices, default=EtatEnvoi.A_ENVOYER
    )
    tentatives = models.PositiveSmallIntegerField("tentatives", default=0)
    envoye_le = models.DateTimeField("envoyé le", null=True, blank=True)
    erreur = models.TextField("erreur", blank=True)

    class Meta:
        verbose_name = "lien d'émargement"
        verbose_name_plural = "liens d'émargement"
        ordering = ["-cree_le", "-pk"]

    def __str__(self) -> str:
        return f"Lien pour {self.participation} ({self.get_demi_journee_display()})"

    @property
    def est_expire(self) -> bool:
        return timezone.now() >= self.expire_le


class CalculFinal(ActionConfiguree):
    """The "Calcul final des indicateurs" action an exit type triggers (no parameters)."""

    class Meta:
        verbose_name = "calcul final des indicateurs"
        verbose_name_plural = "calculs finals des indicateurs"

    def save(self, *args, **kwargs):
        self.nature = "calcul_final"
        super().save(*args, **kwargs)


class IndicateursFinaux(models.Model):
    """Indicator values frozen when the exit event's action ran: a later correction of the
    séances shows as a difference against these, never as a silent change."""

    action = models.OneToOneField(
        "evenements.ActionDeclenchee",
        on_delete=models.PROTECT,
        related_name="indicateurs_finaux",
        verbose_name="action",
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        related_name="indicateurs_finaux",
        verbose_name="dossier",
    )
    valeurs = models.JSONField("valeurs")
    calcule_le = models.DateTimeField("calculé le", default=timezone.now)

    class Meta:
        verbose_name = "indicateurs à la sortie"
        verbose_name_plural = "indicateurs à la sortie"
        ordering = ["-calcule_le", "-pk"]

    def __str__(self) -> str:
        return f"Indicateurs de {self.dossier} au {self.calcule_le:%d/%m/%Y}"
