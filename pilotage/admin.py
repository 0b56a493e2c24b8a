from django.contrib import admin

from evenements.admin import JournalAdmin
from pilotage.models import EnvoiRapport, RapportConfiguration, TelechargementDeclaration


@admin.register(RapportConfiguration)
class RapportConfigurationAdmin(admin.ModelAdmin):
    """Model.clean() refuses an active report without recipients (and bad addresses)."""

    list_display = ["financeur", "periodicite", "actif", "destinataires"]
    list_filter = ["periodicite", "actif"]
    list_select_related = ["financeur"]
    search_fields = ["financeur__raison_sociale", "destinataires"]
    fields = [
        "financeur",
        "periodicite",
        "destinataires",
        "graphique",
        "lignes_par_dossier",
        "actif",
    ]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.envois.exists()  # sent reports keep their setting


@admin.register(EnvoiRapport)
class EnvoiRapportAdmin(JournalAdmin):
    """The reports' outbox: Envoyer maintenant and Relancer are on the Rapports page."""

    list_display = ["configuration", "debut", "fin", "etat", "tentatives", "envoye_le"]
    list_filter = ["etat", "configuration__periodicite"]
    list_select_related = ["configuration__financeur"]
    exclude = ["instantane", "correctifs"]


@admin.register(TelechargementDeclaration)
class TelechargementDeclarationAdmin(JournalAdmin):
    list_display = ["le", "utilisateur", "financeur", "debut", "fin", "format", "lignes"]
    list_filter = ["format"]
    list_select_related = ["utilisateur", "financeur"]
