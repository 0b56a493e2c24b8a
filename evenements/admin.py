"""Admin: the configuration of event types, and events through the same services as the UI."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from simple_history.admin import SimpleHistoryAdmin

from config.admin_site import SansSuppressionAdmin
from config.erreurs import ajouter_erreurs
from dossiers.models import Dossier, Statut
from evenements import services
from evenements.champs import champ_de_formulaire, nom_du_champ, valeurs_initiales
from evenements.forms import champ_version
from evenements.models import (
    RAISON_LONGUEUR_MAX,
    ActionDeclenchee,
    ChampSupplementaire,
    Evenement,
    Motif,
    MotifAbandon,
    MotifRupture,
    TypeEvenement,
    TypeSortiePositive,
)


class ChampSupplementaireInline(admin.TabularInline):
    model = ChampSupplementaire
    extra = 0
    can_delete = False  # past events keep values under the field's code
    verbose_name = "champ"  # Django says "Ajouter un objet champ supplémentaire"
    fields = ["ordre", "libelle", "code", "nature", "obligatoire", "aide", "choix", "actif"]
    prepopulated_fields = {"code": ["libelle"]}


class TypeEvenementForm(forms.ModelForm):
    statuts_autorises = forms.MultipleChoiceField(
        label="Statuts où il peut être saisi",
        choices=Statut.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Statut du dossier à la date de l'événement.",
    )

    class Meta:
        model = TypeEvenement
        fields = [
            "libelle",
            "code",
            "effet",
            "actif",
            "ordre",
            "toutes_prestations",
            "prestations",
            "statuts_autorises",
            "motif",
            "liste_motifs",
            "commentaire_obligatoire",
        ]

    def clean(self):
        donnees = super().clean()
        if donnees.get("motif") != TypeEvenement.Exigence.NON_DEMANDE and not donnees.get(
            "liste_motifs"
        ):
            self.add_error("liste_motifs", "Choisissez la liste dans laquelle le motif est pris.")
        return donnees


@admin.register(TypeEvenement)
class TypeEvenementAdmin(SansSuppressionAdmin):
    form = TypeEvenementForm
    list_display = [
        "libelle",
        "code",
        "effet",
        "motif",
        "statuts_autorises_libelles",
        "actif",
        "ordre",
    ]
    list_filter = ["effet", "actif"]
    list_editable = ["ordre", "actif"]
    search_fields = ["libelle", "code"]
    prepopulated_fields = {"code": ["libelle"]}
    filter_horizontal = ["prestations"]
    inlines = [ChampSupplementaireInline]
    fieldsets = [
        (None, {"fields": ["libelle", "code", "effet", "actif", "ordre"]}),
        (
            "Où il est proposé",
            {"fields": ["toutes_prestations", "prestations", "statuts_autorises"]},
        ),
        ("Saisie", {"fields": ["motif", "liste_motifs", "commentaire_obligatoire"]}),
    ]


class MotifAdmin(SansSuppressionAdmin):
    liste: str
    list_display = ["libelle", "code", "ordre", "actif"]
    list_editable = ["ordre", "actif"]
    list_filter = ["actif"]
    search_fields = ["libelle", "code"]
    fields = ["libelle", "code", "ordre", "actif"]
    prepopulated_fields = {"code": ["libelle"]}

    def get_queryset(self, request):
        return super().get_queryset(request).filter(liste=self.liste)

    def save_model(self, request, obj, form, change):
        obj.liste = self.liste
        super().save_model(request, obj, form, change)


@admin.register(MotifAbandon)
class MotifAbandonAdmin(MotifAdmin):
    liste = Motif.Liste.ABANDON


@admin.register(MotifRupture)
class MotifRuptureAdmin(MotifAdmin):
    liste = Motif.Liste.RUPTURE


@admin.register(TypeSortiePositive)
class TypeSortiePositiveAdmin(MotifAdmin):
    liste = Motif.Liste.SORTIE_POSITIVE


def _type_choisi(donnees, evenement) -> TypeEvenement | None:
    valeur = donnees.get("type_evenement") if donnees else None
    if valeur:
        try:
            return TypeEvenement.objects.prefetch_related("champs").get(pk=int(valeur))
        except (TypeEvenement.DoesNotExist, ValueError, TypeError):
            return None
    return evenement.type_evenement if evenement is not None and evenement.pk else None


def _dossier_choisi(donnees) -> Dossier | None:
    try:
        return Dossier.objects.select_related("prestation").get(pk=int(donnees.get("dossier")))
    except (Dossier.DoesNotExist, ValueError, TypeError):
        return None


class EvenementAdminForm(forms.ModelForm):
    """Saving goes through the services, so the rules hold in the admin too.

    The service runs in clean() so that its refusals appear next to the fields.
    """

    raison = forms.CharField(
        label="Raison de la modification",
        required=False,
        max_length=RAISON_LONGUEUR_MAX,
        help_text="Obligatoire pour modifier un événement existant.",
    )
    # Named apart from the model's non-editable `version`, which a ModelForm may not declare.
    version_lue = champ_version(required=False)

    class Meta:
        model = Evenement
        fields = ["dossier", "type_evenement", "date", "commentaire", "motif"]

    champs_du_type: list = []  # the chosen type's extra fields, set by EvenementAdmin.get_form

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        if self.instance.pk and not self.is_bound:
            self.initial.update(valeurs_initiales(self.champs_du_type, self.instance.valeurs))
        if "motif" in self.fields:
            self.fields["motif"].choices = self._motifs_proposes()

    def _motifs_proposes(self) -> list:
        """Active motifs grouped by list (only the chosen type's list once it is known),
        plus the event's current one."""
        type_choisi = _type_choisi(self.data if self.is_bound else {}, self.instance)
        actuel = self.instance.motif_id
        motifs = Motif.objects.filter(Q(actif=True) | Q(pk=actuel)).order_by(
            "liste", "ordre", "libelle"
        )
        if type_choisi is not None and type_choisi.liste_motifs:
            motifs = motifs.filter(liste=type_choisi.liste_motifs)
        groupes: dict[str, list] = {}
        for motif in motifs:
            groupes.setdefault(motif.get_liste_display(), []).append((motif.pk, motif.libelle))
        return [("", "---------"), *groupes.items()]
        if self.instance.pk is not None:
            self.fields["version_lue"].initial = self.instance.version

    def clean(self):
        donnees = super().clean()
        if self.errors:
            return donnees
        parametres = {
            "type_evenement": donnees["type_evenement"],
            "date": donnees["date"],
            "commentaire": donnees.get("commentaire", ""),
            "motif": donnees.get("motif"),
            "valeurs": {c.code: donnees.get(nom_du_champ(c)) for c in self.champs_du_type}
            or dict(self.instance.valeurs or {}),
        }
        try:
            if self.instance.pk is None:
                self.instance = services.enregistrer_evenement(
                    dossier=donnees["dossier"], auteur=self.request.user, **parametres
                )
            else:
                self.instance = services.modifier_evenement(
                    evenement=self.instance,
                    par=self.request.user,
                    raison=donnees.get("raison", ""),
                    version=donnees.get("version_lue"),
                    **parametres,
                )
        except ValidationError as exc:
            ajouter_erreurs(self, exc)
        return donnees


@admin.register(Evenement)
class EvenementAdmin(SimpleHistoryAdmin):
    form = EvenementAdminForm
    list_display = ["date", "rang", "type_evenement", "dossier", "auteur", "supprime_le"]
    list_filter = ["type_evenement", "date", ("supprime_le", admin.EmptyFieldListFilter)]
    search_fields = ["dossier__beneficiaire__nom", "commentaire"]
    list_select_related = [
        "type_evenement",
        "dossier__beneficiaire",
        "dossier__prestation",
        "auteur",
    ]
    autocomplete_fields = ["dossier"]
    date_hierarchy = "date"

    def get_form(self, request, obj=None, **kwargs):
        # The chosen type's extra fields (e.g. the new phase of a phase change) are real
        # form fields, so the service's refusals about them show next to them.
        donnees = request.POST if request.method == "POST" else request.GET
        type_choisi = _type_choisi(donnees, obj)
        dossier = obj.dossier if obj is not None and obj.dossier_id else _dossier_choisi(donnees)
        prestation = dossier.prestation if dossier is not None else None
        actuelles = obj.valeurs if obj is not None else {}
        champs = type_choisi.champs_saisis(actuelles) if type_choisi is not None else []
        attributs = {
            nom_du_champ(c): champ_de_formulaire(c, prestation, actuelles.get(c.code))
            for c in champs
        }
        attributs["champs_du_type"] = champs
        kwargs["form"] = type("EvenementAdminFormDuType", (self.form,), attributs)
        form = super().get_form(request, obj, **kwargs)

        class AvecRequete(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return AvecRequete

    def get_readonly_fields(self, request, obj=None):
        return ["dossier"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        """Already saved by the service in the form's clean()."""

    def has_delete_permission(self, request, obj=None):
        # Deletion is a soft delete with a reason, done from the Événements tab.
        return False


class JournalAdmin(admin.ModelAdmin):
    """A log to read: rows are written by the services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ActionDeclenchee)
class ActionDeclencheeAdmin(JournalAdmin):
    """The outbox: retries and reviews go through the Événements tab."""

    list_display = ["cree_le", "evenement", "configuration", "etat", "tentatives", "raison"]
    list_filter = ["etat", "configuration__nature"]
    list_select_related = ["evenement__type_evenement", "configuration"]
    search_fields = ["evenement__dossier__beneficiaire__nom", "derniere_erreur"]
