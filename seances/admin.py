"""Admin: the configuration of séances (types, motifs, objectifs) and a read-only view of
séances, presences and signatures (writes go through seances.services)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from seances.models import (
    CalculFinal,
    Emargement,
    IndicateursFinaux,
    JetonEmargement,
    MotifAnnulation,
    Objectif,
    Participation,
    Seance,
    TypeSeance,
)


@admin.register(TypeSeance)
class TypeSeanceAdmin(admin.ModelAdmin):
    list_display = [
        "libelle",
        "prestation",
        "nature",
        "duree_prevue_minutes",
        "collective",
        "facturable",
        "emargement_requis",
        "phase",
        "actif",
        "ordre",
    ]
    list_filter = ["prestation", "nature", "facturable", "emargement_requis", "actif"]
    list_editable = ["actif", "ordre"]
    search_fields = ["libelle"]
    autocomplete_fields = []
    list_select_related = ["prestation", "phase"]


@admin.register(MotifAnnulation)
class MotifAnnulationAdmin(admin.ModelAdmin):
    list_display = ["libelle", "code", "ordre", "actif"]
    list_editable = ["ordre", "actif"]
    prepopulated_fields = {"code": ["libelle"]}

    def has_delete_permission(self, request, obj=None):
        return False  # in use → deactivated


@admin.register(Objectif)
class ObjectifAdmin(admin.ModelAdmin):
    list_display = ["libelle", "prestation", "phase", "ordre", "actif"]
    list_filter = ["prestation", "actif"]
    list_editable = ["ordre", "actif"]
    list_select_related = ["prestation", "phase"]


class LectureSeuleMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ParticipationInline(LectureSeuleMixin, admin.TabularInline):
    model = Participation
    extra = 0
    fields = ["dossier", "presence", "retard_minutes", "depart_anticipe_minutes", "motif"]
    readonly_fields = fields


@admin.register(Seance)
class SeanceAdmin(LectureSeuleMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "date", "heure_debut", "heure_fin", "animateur", "etat"]
    list_filter = ["etat", "type_seance__prestation", "type_seance__nature"]
    date_hierarchy = "date"
    list_select_related = ["type_seance", "animateur"]
    inlines = [ParticipationInline]


@admin.register(Emargement)
class EmargementAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ["signataire", "seance", "demi_journee", "mode", "signe_le", "empreinte"]
    list_filter = ["mode", "demi_journee"]
    list_select_related = ["seance__type_seance"]


@admin.register(JetonEmargement)
class JetonEmargementAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ["__str__", "canal", "adresse", "etat_envoi", "expire_le", "utilise_le"]
    list_filter = ["etat_envoi", "canal"]
    exclude = ["nonce"]


@admin.register(CalculFinal)
class CalculFinalAdmin(admin.ModelAdmin):
    """Which event types freeze the indicators (the exit types by default)."""

    list_display = ["type_evenement", "actif"]
    list_editable = ["actif"]
    fields = ["type_evenement", "actif", "ordre"]
    list_select_related = ["type_evenement"]


@admin.register(IndicateursFinaux)
class IndicateursFinauxAdmin(LectureSeuleMixin, admin.ModelAdmin):
    list_display = ["dossier", "calcule_le", "action"]
    list_select_related = ["dossier__beneficiaire", "action"]
