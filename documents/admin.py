from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from documents.models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    """The singleton: one row to edit, never a second one, never deleted."""

    fieldsets = [
        (None, {"fields": ["raison_sociale", "siret", "numero_declaration_activite", "logo"]}),
        ("Coordonnées", {"fields": ["adresse", "code_postal", "ville", "email", "telephone"]}),
        ("Signature", {"fields": ["signataire_nom", "signataire_qualite", "signature"]}),
        ("Facturation", {"fields": ["exoneree_tva", "conditions_paiement_jours", "iban", "bic"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return not Organisation.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
