"""Documents: the organisation's identity printed on every PDF, document templates, and the
generated or uploaded documents of a dossier."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from evenements.models import ActionConfiguree

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


class Categorie(models.TextChoices):
    DOSSIER = "dossier", "Dossier"
    SEANCE = "seance", "Séance / émargement"
    FACTURE = "facture", "Facture"
    RAPPORT = "rapport", "Rapport"


class ModeleDocument(models.Model):
    """A document template an administrator edits; each change of its body is a version."""

    categorie = models.CharField(
        "catégorie", max_length=10, choices=Categorie.choices, default=Categorie.DOSSIER
    )
    code = models.SlugField("code", max_length=60, unique=True)
    titre = models.CharField("titre", max_length=200)
    corps = models.TextField(
        "gabarit",
        help_text="HTML dans le langage de gabarits de Django, sur les variables documentées "
        "ci-dessous. Balises interdites : include, extends, load, url, debug, autoescape ; "
        "filtre interdit : safe. Filtres français : date_fr, date_courte, montant, heures.",
    )
    toutes_prestations = models.BooleanField("pour toutes les prestations", default=True)
    prestations = models.ManyToManyField(
        "dossiers.Prestation",
        blank=True,
        related_name="modeles_document",
        verbose_name="prestations",
        help_text="Utilisé seulement si le modèle n'est pas pour toutes les prestations.",
    )
    serie = models.CharField(
        "série de numérotation",
        max_length=10,
        blank=True,
        help_text="Préfixe des numéros (ex. ATT, CER) ; vide : document non numéroté.",
    )
    archivage = models.BooleanField(
        "PDF/A (archivage)", default=False, help_text="Pour les documents à conserver."
    )
    version = models.PositiveIntegerField("version", default=1, editable=False)
    actif = models.BooleanField("actif", default=True)
    history = HistoricalRecords(verbose_name="version de modèle de document")

    class Meta:
        verbose_name = "modèle de document"
        verbose_name_plural = "modèles de document"
        ordering = ["categorie", "titre"]

    def __str__(self) -> str:
        return self.titre

    def save(self, *args, **kwargs):
        self.clean()  # a template that does not compile is never stored, whatever the way in
        if self.pk:
            ancien = type(self).objects.filter(pk=self.pk).values_list("corps", flat=True).first()
            if ancien is not None and ancien != self.corps:
                self.version += 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from documents import rendu

        try:
            rendu.verifier_source(self.corps or "")
        except rendu.TemplateSyntaxError as exc:
            ligne = rendu.ligne_erreur(self.corps, exc)
            ou = f" (ligne {ligne})" if ligne else ""
            raise ValidationError({"corps": f"Gabarit invalide{ou} : {exc}"}) from exc

    def pour_prestation(self, prestation_id: int) -> bool:
        return self.toutes_prestations or self.prestations.filter(pk=prestation_id).exists()


class GenerationDocument(ActionConfiguree):
    """The "Générer un document" action an event type triggers."""

    class Destinataire(models.TextChoices):
        AUCUN = "", "Ne pas l'envoyer"
        BENEFICIAIRE = "beneficiaire", "Bénéficiaire"
        FINANCEUR = "financeur", "Financeur du dossier"
        REFERENT = "referent", "Référent du dossier"

    modele = models.ForeignKey(
        ModeleDocument,
        on_delete=models.PROTECT,
        related_name="generations",
        verbose_name="modèle de document",
        limit_choices_to={"categorie": Categorie.DOSSIER},
    )
    envoyer_a = models.CharField(
        "l'envoyer par e-mail à", max_length=20, choices=Destinataire.choices, blank=True
    )

    class Meta:
        verbose_name = "génération de document"
        verbose_name_plural = "générations de document"

    def save(self, *args, **kwargs):
        self.nature = "document"
        super().save(*args, **kwargs)


def _chemin_document(document: "Document", nom: str) -> str:
    # Never guessable from the dossier alone, never colliding: a new version is a new file.
    dossier = document.dossier_id or f"seances/{document.seance_id}"
    return f"documents/{dossier}/{uuid.uuid4().hex}{Path(nom).suffix.lower()}"


class Compteur(models.Model):
    """Last number given in a series for a year; locked while a number is taken (gapless)."""

    serie = models.CharField("série", max_length=10)
    annee = models.PositiveSmallIntegerField("année")
    dernier = models.PositiveIntegerField("dernier numéro", default=0)

    class Meta:
        verbose_name = "compteur de numérotation"
        verbose_name_plural = "compteurs de numérotation"
        constraints = [
            models.UniqueConstraint(fields=["serie", "annee"], name="compteur_unique_par_annee")
        ]

    def __str__(self) -> str:
        return f"{self.serie} {self.annee} : {self.dernier}"


class DocumentQuerySet(models.QuerySet):
    def visibles_par(self, user):
        from dossiers.droits import dossiers_visibles

        return self.filter(dossier__in=dossiers_visibles(user))


class Document(models.Model):
    """A generated PDF or an uploaded pièce. Never overwritten: a regeneration is a new row
    (version + 1) pointing to the one it replaces, which stays readable."""

    class Origine(models.TextChoices):
        GENERE = "genere", "Généré"
        DEPOSE = "depose", "Déposé"

    class TypePiece(models.TextChoices):
        CV = "cv", "CV"
        CONVENTION = "convention", "Convention signée"
        JUSTIFICATIF = "justificatif", "Justificatif"
        AUTRE = "autre", "Autre pièce"

    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name="dossier",
        null=True,
        blank=True,
    )
    seance = models.ForeignKey(
        "seances.Seance",
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name="séance",
        null=True,
        blank=True,
        help_text="Pour une feuille d'émargement de séance (sans dossier).",
    )
    origine = models.CharField("origine", max_length=10, choices=Origine.choices)
    titre = models.CharField("titre", max_length=200)
    type_piece = models.CharField(
        "type de pièce", max_length=20, choices=TypePiece.choices, blank=True
    )
    modele = models.ForeignKey(
        ModeleDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name="modèle",
    )
    modele_version = models.PositiveIntegerField("version du modèle", null=True, blank=True)
    fichier = models.FileField("fichier", upload_to=_chemin_document, max_length=200)
    nom_fichier = models.CharField("nom du fichier", max_length=200)
    type_mime = models.CharField("type", max_length=100)
    taille = models.PositiveIntegerField("taille (octets)")
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    donnees = models.JSONField("données utilisées", default=dict, blank=True)
    serie = models.CharField("série", max_length=10, blank=True)
    annee = models.PositiveSmallIntegerField("année", null=True, blank=True)
    rang = models.PositiveIntegerField("rang dans la série", null=True, blank=True)
    numero = models.CharField("numéro", max_length=30, blank=True)
    version = models.PositiveSmallIntegerField("version", default=1)
    remplace = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remplace_par",
        verbose_name="remplace",
    )
    raison = models.CharField("raison de la nouvelle version", max_length=300, blank=True)
    cree_le = models.DateTimeField("créé le", default=timezone.now, editable=False)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="auteur",
    )
    evenement = models.ForeignKey(
        "evenements.Evenement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name="événement",
    )
    action = models.ForeignKey(
        "evenements.ActionDeclenchee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name="action",
    )
    annule_le = models.DateTimeField("annulé le", null=True, blank=True)
    raison_annulation = models.CharField("raison de l'annulation", max_length=300, blank=True)
    history = HistoricalRecords(verbose_name="révision de document", excluded_fields=["donnees"])

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = "document"
        ordering = ["-cree_le", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["serie", "annee", "rang"],
                condition=models.Q(rang__isnull=False, remplace__isnull=True),
                name="numero_unique_par_serie_et_annee",
            ),
            models.UniqueConstraint(
                fields=["action", "modele"],
                condition=models.Q(action__isnull=False),
                name="un_document_par_action_et_modele",
            ),
        ]

    def __str__(self) -> str:
        suffixe = f" n° {self.numero}" if self.numero else ""
        return f"{self.titre}{suffixe} (v{self.version})"

    @property
    def empreinte_courte(self) -> str:
        return self.sha256[:12]
