"""Admin: the configuration of event types, and events through the same services as the UI."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from config.erreurs import ajouter_erreurs
from dossiers.models import Statut
from evenements import services
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
    fields = ["ordre", "libelle", "code", "nature", "obligatoire", "aide", "choix"]
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
class TypeEvenementAdmin(admin.ModelAdmin):
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

    def has_delete_permission(self, request, obj=None):
        # A type in use is deactivated, never deleted.
        return super().has_delete_permission(request, obj) and (
            obj is None or not obj.evenements.exists()
        )


class MotifAdmin(admin.ModelAdmin):
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

    def has_delete_permission(self, request, obj=None):
        # A value in use is deactivated, never deleted.
        return super().has_delete_permission(request, obj) and (
            obj is None or not Evenement.objects.filter(motif=obj).exists()
        )


@admin.register(MotifAbandon)
class MotifAbandonAdmin(MotifAdmin):
    liste = Motif.Liste.ABANDON


@admin.register(MotifRupture)
class MotifRuptureAdmin(MotifAdmin):
    liste = Motif.Liste.RUPTURE


@admin.register(TypeSortiePositive)
class TypeSortiePositiveAdmin(MotifAdmin):
    liste = Motif.Liste.SORTIE_POSITIVE


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

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
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
            "valeurs": dict(self.instance.valeurs or {}),
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
