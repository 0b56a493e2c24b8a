import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from dossiers.dates import valider_date_naissance
from dossiers.recherche import texte_de_recherche


def valider_emails_par_ligne(texte: str) -> None:
    """Each line is an address a message will be sent to (and must fit Envoi.adresse)."""
    valider = EmailValidator()
    for numero, ligne in enumerate(texte.splitlines(), start=1):
        ligne = ligne.strip()
        if not ligne:
            continue
        try:
            valider(ligne)
        except ValidationError:
            raise ValidationError(
                f"Ligne {numero} : « {ligne[:80]} » n'est pas une adresse e-mail valide.",
                code="emails",
            ) from None


class Equipe(models.Model):
    nom = models.CharField("nom", max_length=120, unique=True)
    membres = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="equipes", blank=True, verbose_name="membres"
    )

    class Meta:
        verbose_name = "équipe"
        ordering = ["nom"]

    def __str__(self) -> str:
        return self.nom


class TypeFinanceur(models.TextChoices):
    """Origin of the funds, as the bilan pédagogique et financier (BPF) groups them."""

    FRANCE_TRAVAIL = "france_travail", "France Travail"
    REGION = "region", "Conseil régional"
    ETAT = "etat", "État et autres pouvoirs publics"
    OPCO = "opco", "OPCO"
    CPF = "cpf", "CPF (Caisse des dépôts)"
    ENTREPRISE = "entreprise", "Entreprise"
    PARTICULIER = "particulier", "Particulier"
    AUTRE = "autre", "Autre"


class Financeur(models.Model):
    raison_sociale = models.CharField("raison sociale", max_length=200, unique=True)
    type = models.CharField(
        "type de financeur",
        max_length=20,
        choices=TypeFinanceur.choices,
        default=TypeFinanceur.AUTRE,
        help_text="Regroupement du bilan pédagogique et financier.",
    )
    emails_contact = models.TextField(
        "e-mails de contact",
        blank=True,
        help_text="Une adresse par ligne.",
        validators=[valider_emails_par_ligne],
    )
    telephone = PhoneNumberField("téléphone", blank=True)
    actif = models.BooleanField("actif", default=True)
    # Buyer's identity on invoices (Factur-X): SIREN, VAT number if any, billing address.
    siren = models.CharField(
        "SIREN", max_length=9, blank=True, validators=[RegexValidator(r"^\d{9}$", "9 chiffres.")]
    )
    numero_tva = models.CharField("n° de TVA intracommunautaire", max_length=20, blank=True)
    adresse = models.TextField("adresse de facturation", blank=True)
    code_postal = models.CharField("code postal", max_length=10, blank=True)
    ville = models.CharField("ville", max_length=120, blank=True)
    code_service = models.CharField("code service (Chorus Pro)", max_length=100, blank=True)

    class Meta:
        verbose_name = "financeur"
        ordering = ["raison_sociale"]

    def __str__(self) -> str:
        return self.raison_sociale

    @property
    def emails(self) -> list[str]:
        return [ligne.strip() for ligne in self.emails_contact.splitlines() if ligne.strip()]


class Beneficiaire(models.Model):
    class Civilite(models.TextChoices):
        MADAME = "mme", "Madame"
        MONSIEUR = "m", "Monsieur"

    civilite = models.CharField("civilité", max_length=3, choices=Civilite.choices, blank=True)
    nom = models.CharField("nom", max_length=120)
    prenom = models.CharField("prénom", max_length=120)
    date_naissance = models.DateField(
        "date de naissance", null=True, blank=True, validators=[valider_date_naissance]
    )
    email = models.EmailField("e-mail", blank=True)
    mobile = PhoneNumberField("mobile", blank=True)
    adresse = models.TextField("adresse", blank=True)
    identifiant_externe = models.CharField(
        "identifiant externe", max_length=60, blank=True, help_text="Par exemple France Travail."
    )
    consentement_email = models.BooleanField("accepte les e-mails", default=True)
    consentement_sms = models.BooleanField("accepte les SMS", default=False)
    # Derived from the fields above (see dossiers.recherche); rewritten on every save.
    recherche = models.TextField("texte de recherche", blank=True, editable=False)
    version = models.PositiveIntegerField("version", default=1, editable=False)

    history = HistoricalRecords(
        verbose_name="révision de bénéficiaire",
        excluded_fields=["recherche"],
        cascade_delete_history=False,
    )

    class Meta:
        verbose_name = "bénéficiaire"
        ordering = ["nom", "prenom"]
        indexes = [models.Index(fields=["nom", "prenom"])]

    def __str__(self) -> str:
        return f"{self.nom.upper()} {self.prenom}"

    def save(self, *args, **kwargs):
        self.recherche = texte_de_recherche(
            self.nom, self.prenom, self.email, self.identifiant_externe
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "recherche"}
        super().save(*args, **kwargs)


class NatureAction(models.TextChoices):
    """Nature of the action, as the BPF groups them."""

    FORMATION = "formation", "Action de formation"
    BILAN = "bilan", "Bilan de compétences"
    VAE = "vae", "Validation des acquis de l'expérience"
    APPRENTISSAGE = "apprentissage", "Action de formation par apprentissage"
    ACCOMPAGNEMENT = "accompagnement", "Accompagnement (hors BPF)"


class Prestation(models.Model):
    nom = models.CharField("nom", max_length=200)
    code = models.SlugField("code", max_length=40, unique=True)
    nature_action = models.CharField(
        "nature de l'action",
        max_length=20,
        choices=NatureAction.choices,
        default=NatureAction.FORMATION,
        help_text="Regroupement du bilan pédagogique et financier.",
    )
    famille = models.CharField("famille", max_length=120, blank=True)
    duree_prevue_heures = models.PositiveIntegerField(
        "durée prévisionnelle (heures)", null=True, blank=True
    )
    actif = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "prestation"
        ordering = ["nom"]

    def __str__(self) -> str:
        return self.nom


class Phase(models.Model):
    prestation = models.ForeignKey(
        Prestation, on_delete=models.CASCADE, related_name="phases", verbose_name="prestation"
    )
    libelle = models.CharField("libellé", max_length=120)
    ordre = models.PositiveSmallIntegerField("ordre", default=0)
    actif = models.BooleanField(
        "active",
        default=True,
        help_text="Une phase désactivée n'est plus proposée, mais reste dans l'historique.",
    )

    class Meta:
        verbose_name = "phase"
        ordering = ["prestation", "ordre", "pk"]

    def __str__(self) -> str:
        return self.libelle


class Statut(models.TextChoices):
    A_VENIR = "a_venir", "À venir"
    EN_COURS = "en_cours", "En cours"
    TERMINE = "termine", "Terminé"
    ABANDONNE = "abandonne", "Abandonné"
    RUPTURE = "rupture", "Rupture"


STATUTS_OUVERTS = (Statut.A_VENIR, Statut.EN_COURS)


class Dossier(FSMModelMixin, models.Model):
    """A beneficiary's journey through one prestation.

    Status, phase and dates are derived from the events (see evenements.rejeu); the FSM
    transitions below are the only writers of `statut`.
    """

    beneficiaire = models.ForeignKey(
        Beneficiaire, on_delete=models.PROTECT, related_name="dossiers", verbose_name="bénéficiaire"
    )
    prestation = models.ForeignKey(
        Prestation, on_delete=models.PROTECT, related_name="dossiers", verbose_name="prestation"
    )
    financeur_initial = models.ForeignKey(
        Financeur,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="financeur initial",
        help_text="Financeur à l'ouverture du dossier ; un événement « Nouveau financeur » "
        "le remplace à partir de sa date.",
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="dossiers_suivis",
        verbose_name="référent",
    )
    equipe = models.ForeignKey(
        Equipe, on_delete=models.PROTECT, related_name="dossiers", verbose_name="équipe"
    )
    heures_prevues = models.DecimalField(
        "heures prévues", max_digits=7, decimal_places=2, null=True, blank=True
    )
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    version = models.PositiveIntegerField("version", default=1, editable=False)

    # Derived from the events by replay; never typed in.
    financeur = models.ForeignKey(
        Financeur,
        on_delete=models.PROTECT,
        related_name="dossiers",
        null=True,
        blank=True,
        verbose_name="financeur",
        help_text="Le financeur à ce jour : l'initial, ou celui du dernier événement qui l'a "
        "changé.",
    )
    statut = FSMField(
        "statut", default=Statut.A_VENIR, choices=Statut.choices, protected=True, db_index=True
    )
    phase_courante = models.ForeignKey(
        Phase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="phase courante",
    )
    date_entree = models.DateField("date d'entrée", null=True, blank=True)
    date_sortie = models.DateField("date de sortie", null=True, blank=True)
    etat_calcule_le = models.DateField("état calculé le", null=True, blank=True, editable=False)

    # Only what a person edits: derived state is traced by the events themselves.
    history = HistoricalRecords(
        verbose_name="révision de dossier",
        excluded_fields=[
            "financeur",
            "statut",
            "phase_courante",
            "date_entree",
            "date_sortie",
            "etat_calcule_le",
            "cree_le",
        ],
        cascade_delete_history=False,
    )

    class Meta:
        verbose_name = "dossier"
        ordering = ["-cree_le", "-pk"]
        permissions = [("voir_toutes_equipes", "Voir les dossiers de toutes les équipes")]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiaire", "prestation"],
                condition=Q(statut__in=STATUTS_OUVERTS),
                name="un_dossier_ouvert_par_beneficiaire_et_prestation",
                violation_error_message=(
                    "Ce bénéficiaire a déjà un dossier ouvert pour cette prestation."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.beneficiaire} — {self.prestation}"

    # --- the status machine: which transitions exist is code ---

    @transition(field=statut, source="*", target=Statut.A_VENIR)
    def reinitialiser(self) -> None:
        """Start of a replay: the state before any event."""
        self.financeur_id = self.financeur_initial_id
        self.phase_courante = None
        self.date_entree = None
        self.date_sortie = None

    @transition(field=statut, source="*", target=RETURN_VALUE(*Statut.values))
    def reprendre(self, etat: dict) -> str:
        """Incremental replay: restart from the state stored after an earlier event."""
        self.financeur_id = etat["f"]
        self.phase_courante_id = etat["p"]
        self.date_entree = datetime.date.fromisoformat(etat["e"]) if etat["e"] else None
        self.date_sortie = datetime.date.fromisoformat(etat["o"]) if etat["o"] else None
        return etat["s"]

    @transition(field=statut, source=Statut.A_VENIR, target=Statut.EN_COURS)
    def entrer(self, date: datetime.date) -> None:
        self.date_entree = date

    @transition(field=statut, source=Statut.EN_COURS, target=Statut.TERMINE)
    def sortir(self, date: datetime.date) -> None:
        self.date_sortie = date

    @transition(field=statut, source=[Statut.A_VENIR, Statut.EN_COURS], target=Statut.ABANDONNE)
    def abandonner(self, date: datetime.date) -> None:
        self.date_sortie = date

    @transition(field=statut, source=[Statut.A_VENIR, Statut.EN_COURS], target=Statut.RUPTURE)
    def rompre(self, date: datetime.date) -> None:
        self.date_sortie = date

    # --- derived indicators ---

    @property
    def est_ouvert(self) -> bool:
        return self.statut in STATUTS_OUVERTS

    def duree_jours(self, aujourd_hui: datetime.date | None = None) -> int | None:
        """Durée du parcours: entry → exit, or → today while en cours; stops at an exit."""
        if self.date_entree is None:
            return None
        fin = self.date_sortie or aujourd_hui or timezone.localdate()
        return max((fin - self.date_entree).days, 0)


class PreferencesUtilisateur(models.Model):
    class Ordre(models.TextChoices):
        ANCIENS = "asc", "Du plus ancien au plus récent"
        RECENTS = "desc", "Du plus récent au plus ancien"

    utilisateur = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    ordre_evenements = models.CharField(
        "ordre des événements", max_length=4, choices=Ordre.choices, default=Ordre.ANCIENS
    )

    class Meta:
        verbose_name = "préférences"
        verbose_name_plural = "préférences"

    def __str__(self) -> str:
        return f"Préférences de {self.utilisateur}"
