from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction

from config.admin_site import SansSuppressionAdmin
from config.erreurs import ajouter_erreurs
from dossiers import extensions
from dossiers.forms import UtilisateurChoiceField
from dossiers.models import Beneficiaire, Dossier, Equipe, Financeur, Phase, Prestation
from dossiers.recherche import normaliser
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
    fields = ["ordre", "libelle", "actif"]
    can_delete = False  # deactivate: past events and dossiers name their phase


@admin.register(Prestation)
class PrestationAdmin(SansSuppressionAdmin):
    list_display = ["nom", "code", "famille", "duree_prevue_heures", "actif"]
    list_filter = ["actif", "famille"]
    search_fields = ["nom", "code"]
    inlines = [PhaseInline]


@admin.register(Beneficiaire)
class BeneficiaireAdmin(SansSuppressionAdmin):
    list_display = ["nom", "prenom", "email", "mobile", "identifiant_externe"]
    search_fields = ["recherche"]  # normalised: accents and case do not matter

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normaliser(search_term))

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1  # an edit open in the app now gets the conflict message
        super().save_model(request, obj, form, change)


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
        "nom_du_referent",
        "equipe",
    ]
    list_filter = ["statut", "prestation", "equipe"]
    search_fields = ["beneficiaire__nom", "beneficiaire__prenom"]
    list_select_related = ["beneficiaire", "prestation", "phase_courante", "referent", "equipe"]
    autocomplete_fields = ["beneficiaire"]
    readonly_fields = [
        "statut",
        "financeur",
        "phase_courante",
        "date_entree",
        "date_sortie",
        "cree_le",
    ]

    @admin.display(description="référent", ordering="referent__last_name")
    def nom_du_referent(self, dossier):
        return dossier.referent.get_full_name() or dossier.referent.get_username()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "referent":
            kwargs["form_class"] = UtilisateurChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "beneficiaire", "prestation"]

    def save_model(self, request, obj, form, change):
        if change:
            with transaction.atomic():
                obj.version += 1
                super().save_model(request, obj, form, change)
                if "financeur_initial" in form.changed_data:
                    extensions.recalculer(Dossier.objects.select_for_update().get(pk=obj.pk))
            return
        dossier = creer_dossier(
            beneficiaire=obj.beneficiaire,
            prestation=obj.prestation,
            equipe=obj.equipe,
            referent=obj.referent,
            financeur=obj.financeur_initial,
            heures_prevues=obj.heures_prevues,
            par=request.user,
        )
        obj.pk = dossier.pk
        obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Financeur)
class FinanceurAdmin(SansSuppressionAdmin):
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
