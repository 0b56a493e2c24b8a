from django.contrib import admin

from evenements.admin import JournalAdmin
from pilotage.filtres import conventions_accessibles
from pilotage.models import EnvoiRapport, RapportConfiguration, TelechargementDeclaration


@admin.register(RapportConfiguration)
class RapportConfigurationAdmin(admin.ModelAdmin):
    """Model.clean() refuses an active report without recipients (and bad addresses)."""

    list_display = ["financeur", "convention", "periodicite", "actif", "destinataires"]
    list_filter = ["periodicite", "actif"]
    list_select_related = ["financeur", "convention__financeur"]
    search_fields = ["financeur__raison_sociale", "convention__numero", "destinataires"]
    fields = [
        "financeur",
        "convention",
        "periodicite",
        "destinataires",
        "graphique",
        "lignes_par_dossier",
        "actif",
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "convention":
            kwargs["queryset"] = conventions_accessibles()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.envois.exists()  # sent reports keep their setting


@admin.register(EnvoiRapport)
class EnvoiRapportAdmin(JournalAdmin):
    """The reports' outbox: Envoyer maintenant and Relancer are on the Rapports page."""

    list_display = ["configuration", "debut", "fin", "etat", "tentatives", "envoye_le"]
    list_filter = ["etat", "configuration__periodicite"]
    list_select_related = ["configuration__financeur", "configuration__convention"]
    exclude = ["instantane", "correctifs"]


@admin.register(TelechargementDeclaration)
class TelechargementDeclarationAdmin(JournalAdmin):
    list_display = [
        "le",
        "utilisateur",
        "financeur",
        "convention",
        "debut",
        "fin",
        "format",
        "lignes",
    ]
    list_filter = ["format"]
    list_select_related = ["utilisateur", "financeur", "convention__financeur"]
