"""Admin: conventions and their échéancier are configured here; échéances, invoices and
payments are read here and changed only through the services (the Facturation pages)."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from config.erreurs import ajouter_erreurs
from evenements.admin import JournalAdmin, TypeEvenementAdmin
from facturation import echeancier
from facturation.models import (
    BlocageFacturation,
    Convention,
    DeblocageEcheances,
    Echeance,
    Facture,
    FinancementDossier,
    GenerationEcheances,
    LigneFacture,
    ModaliteEcheance,
    Reglement,
)


class ModalitesFormSet(forms.BaseInlineFormSet):
    """The échéancier must add up (100 % of a forfait) before anything is saved."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        regles = [
            echeancier.Regle(
                f.cleaned_data.get("libelle", ""),
                f.cleaned_data.get("declencheur"),
                f.cleaned_data.get("part_pourcentage"),
                f.cleaned_data.get("montant_fixe"),
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        tarification = self.instance.tarification
        prix = self.instance.prix if self.instance.prix is not None else Decimal("0")
        try:
            echeancier.verifier_modalites(tarification, prix, regles)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


class ModaliteInline(admin.TabularInline):
    model = ModaliteEcheance
    formset = ModalitesFormSet
    extra = 0
    fields = [
        "ordre",
        "libelle",
        "part_pourcentage",
        "montant_fixe",
        "declencheur",
        "type_evenement",
        "phase",
    ]


@admin.register(Convention)
class ConventionAdmin(SimpleHistoryAdmin):
    list_display = [
        "numero",
        "financeur",
        "tarification",
        "prix",
        "date_debut",
        "date_fin",
        "active",
    ]
    list_filter = ["financeur", "tarification", "active"]
    search_fields = ["numero", "intitule", "financeur__raison_sociale"]
    filter_horizontal = ["prestations"]
    inlines = [ModaliteInline]
    fieldsets = [
        (None, {"fields": ["financeur", "numero", "intitule", "prestations", "active"]}),
        ("Période et volumes", {"fields": ["date_debut", "date_fin", "heures_financees"]}),
        (
            "Tarification",
            {"fields": ["tarification", "prix", "montant_previsionnel", "regle_interruption"]},
        ),
    ]


class FinancementForm(forms.ModelForm):
    class Meta:
        model = FinancementDossier
        fields = ["dossier", "convention", "part"]


@admin.register(FinancementDossier)
class FinancementDossierAdmin(SimpleHistoryAdmin):
    """Linking goes through the service: same checks and échéancier as the dossier tab."""

    form = FinancementForm
    list_display = ["dossier", "convention", "part", "actif", "cree_le"]
    list_filter = ["actif", "convention__financeur"]
    search_fields = ["dossier__beneficiaire__nom", "convention__numero"]
    raw_id_fields = ["dossier"]
    list_select_related = ["dossier__beneficiaire", "dossier__prestation", "convention__financeur"]

    def get_readonly_fields(self, request, obj=None):
        return ["dossier", "convention", "part"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        if obj is not None:
            return form_class

        class AvecService(form_class):
            def _post_clean(self):
                super()._post_clean()
                if self.errors:
                    return
                try:
                    echeancier._verifier_lien(
                        self.cleaned_data["dossier"],
                        self.cleaned_data["convention"],
                        Decimal(self.cleaned_data["part"]),
                    )
                except ValidationError as exc:
                    ajouter_erreurs(self, exc)

        return AvecService

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        financement = echeancier.lier_convention(
            dossier=obj.dossier, convention=obj.convention, par=request.user, part=obj.part
        )
        obj.pk = financement.pk

    def save_related(self, request, form, formsets, change):
        pass


@admin.register(Echeance)
class EcheanceAdmin(JournalAdmin):
    list_display = ["dossier", "libelle", "montant", "etat", "evenement", "raison"]
    list_filter = ["etat", "financement__convention__financeur", "realise"]
    search_fields = ["dossier__beneficiaire__nom", "libelle"]
    list_select_related = [
        "dossier__beneficiaire",
        "dossier__prestation",
        "evenement__type_evenement",
    ]


class LigneInline(admin.TabularInline):
    model = LigneFacture
    extra = 0
    can_delete = False
    fields = ["libelle", "dossier_libelle", "quantite", "prix_unitaire", "montant_ht", "taux_tva"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Facture)
class FactureAdmin(JournalAdmin):
    """Read-only: invoices are made, validated and credited on the Facturation pages."""

    list_display = ["__str__", "financeur", "etat", "date_emission", "total_ttc"]
    list_filter = ["nature", "etat", "financeur"]
    search_fields = ["numero", "financeur__raison_sociale"]
    inlines = [LigneInline]


@admin.register(Reglement)
class ReglementAdmin(JournalAdmin):
    list_display = ["date", "financeur", "montant", "mode", "reference"]
    list_filter = ["financeur", "mode"]
    search_fields = ["reference", "financeur__raison_sociale"]


def _inline(modele, libelle, prefixe):
    class FormSet(forms.BaseInlineFormSet):
        @classmethod
        def get_default_prefix(cls) -> str:
            return prefixe  # stable whatever other inlines the type page has

    class Inline(admin.TabularInline):
        model = modele
        formset = FormSet
        fk_name = "type_evenement"
        extra = 0
        fields = ["actif", "ordre"]
        verbose_name = libelle
        verbose_name_plural = libelle

    Inline.__name__ = f"{modele.__name__}Inline"
    return Inline


TypeEvenementAdmin.inlines = [
    *TypeEvenementAdmin.inlines,
    _inline(GenerationEcheances, "Facturation : générer les échéances", "facturation_generer"),
    _inline(DeblocageEcheances, "Facturation : débloquer les échéances", "facturation_debloquer"),
    _inline(BlocageFacturation, "Facturation : bloquer la facturation", "facturation_bloquer"),
]
