from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from config.erreurs import ajouter_erreurs
from dossiers.models import Beneficiaire, Dossier, Equipe, Financeur, Phase, Prestation
from dossiers.services import creer_dossier, verifier_aucun_dossier_ouvert


class DossierAdminForm(forms.ModelForm):
    def clean(self):
        donnees = super().clean()
        if self.instance.pk is None and donnees.get("beneficiaire") and donnees.get("prestation"):
            try:
                verifier_aucun_dossier_ouvert(donnees["beneficiaire"], donnees["prestation"])
            except ValidationError as exc:
                ajouter_erreurs(self, exc)
        return donnees


@admin.register(Equipe)
class EquipeAdmin(admin.ModelAdmin):
    search_fields = ["nom"]
    filter_horizontal = ["membres"]


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 1
    fields = ["ordre", "libelle"]


@admin.register(Prestation)
class PrestationAdmin(admin.ModelAdmin):
    list_display = ["nom", "code", "famille", "duree_prevue_heures", "actif"]
    list_filter = ["actif", "famille"]
    search_fields = ["nom", "code"]
    inlines = [PhaseInline]


@admin.register(Beneficiaire)
class BeneficiaireAdmin(admin.ModelAdmin):
    list_display = ["nom", "prenom", "email", "mobile", "identifiant_externe"]
    search_fields = ["nom", "prenom", "email", "identifiant_externe"]


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    """Derived state is read-only here too: only events change it."""

    form = DossierAdminForm
    list_display = [
        "beneficiaire",
        "prestation",
        "statut",
        "phase_courante",
        "date_entree",
        "date_sortie",
        "referent",
        "equipe",
    ]
    list_filter = ["statut", "prestation", "equipe"]
    search_fields = ["beneficiaire__nom", "beneficiaire__prenom"]
    list_select_related = ["beneficiaire", "prestation", "phase_courante", "referent", "equipe"]
    autocomplete_fields = ["beneficiaire"]
    readonly_fields = ["statut", "phase_courante", "date_entree", "date_sortie", "cree_le"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "beneficiaire", "prestation"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        dossier = creer_dossier(
            beneficiaire=obj.beneficiaire,
            prestation=obj.prestation,
            equipe=obj.equipe,
            referent=obj.referent,
            financeur=obj.financeur,
            heures_prevues=obj.heures_prevues,
            par=request.user,
        )
        obj.pk = dossier.pk
        obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Financeur)
class FinanceurAdmin(admin.ModelAdmin):
    list_display = ["raison_sociale", "siren", "ville", "telephone", "actif"]
    list_filter = ["actif"]
    search_fields = ["raison_sociale", "emails_contact", "siren"]
    fieldsets = [
        (None, {"fields": ["raison_sociale", "emails_contact", "telephone", "actif"]}),
        (
            "Facturation",
            {"fields": ["siren", "numero_tva", "adresse", "code_postal", "ville", "code_service"]},
        ),
    ]
