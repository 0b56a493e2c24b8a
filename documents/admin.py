from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from documents import rendu, services
from documents.contexte import VARIABLES
from documents.models import Document, GenerationDocument, ModeleDocument, Organisation
from dossiers.droits import dossiers_visibles
from dossiers.models import Dossier
from evenements.admin import JournalAdmin, TypeEvenementAdmin


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


class ModeleDocumentForm(forms.ModelForm):
    class Meta:
        model = ModeleDocument
        fields = [
            "titre",
            "code",
            "categorie",
            "corps",
            "toutes_prestations",
            "prestations",
            "serie",
            "archivage",
            "actif",
        ]
        widgets = {
            "corps": forms.Textarea(attrs={"rows": 30, "cols": 110, "class": "vLargeTextField"})
        }


@admin.register(ModeleDocument)
class ModeleDocumentAdmin(SimpleHistoryAdmin):
    form = ModeleDocumentForm
    list_display = ["titre", "categorie", "serie", "version", "archivage", "actif"]
    list_filter = ["categorie", "actif"]
    search_fields = ["titre", "code"]
    readonly_fields = ["version", "variables", "apercu"]
    filter_horizontal = ["prestations"]

    @admin.display(description="Variables disponibles")
    def variables(self, obj):
        return format_html(
            "<dl>{}</dl>",
            format_html_join("", "<dt><code>{}</code></dt><dd>{}</dd>", VARIABLES),
        )

    @admin.display(description="Aperçu avec un vrai dossier")
    def apercu(self, obj):
        if not obj or not obj.pk:
            return "Enregistrez pour voir l'aperçu."
        url = reverse("admin:documents_modeledocument_apercu", args=[obj.pk])
        derniers = Dossier.objects.select_related("beneficiaire").order_by("-pk")[:5]
        return format_html(
            "<p>PDF du gabarit enregistré, rendu avec le dossier :</p><ul>{}</ul>"
            "<p><small>Autre dossier : ajoutez <code>?dossier=NUMÉRO</code> à {}</small></p>",
            format_html_join(
                "",
                '<li><a href="{}?dossier={}" target="_blank" rel="noopener">n° {} — {}</a></li>',
                ((url, d.pk, d.pk, d.beneficiaire) for d in derniers),
            ),
            url,
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/apercu/",
                self.admin_site.admin_view(self.vue_apercu),
                name="documents_modeledocument_apercu",
            ),
            *super().get_urls(),
        ]

    def vue_apercu(self, request, pk):
        """The saved template rendered to PDF with a real dossier (the latest by default)."""
        modele = get_object_or_404(ModeleDocument, pk=pk)
        if not self.has_view_permission(request, modele):
            return HttpResponse(status=403)
        dossiers = dossiers_visibles(request.user).select_related(
            "beneficiaire", "prestation", "referent", "equipe", "phase_courante", "financeur"
        )
        numero = request.GET.get("dossier", "")
        dossier = get_object_or_404(dossiers, pk=numero) if numero.isdigit() else dossiers.first()
        if dossier is None:
            return HttpResponse("Aucun dossier pour l'aperçu.", content_type="text/plain")
        valeurs = {**services.donnees(modele, dossier), "numero": "(aperçu)"}
        try:
            contenu = rendu.rendre_pdf(services.html(modele, valeurs))
        except (services.ErreurRendu, ValidationError) as exc:
            return HttpResponse(f"Aperçu impossible : {exc}", content_type="text/plain", status=400)
        reponse = HttpResponse(contenu, content_type="application/pdf")
        reponse["Content-Disposition"] = f'inline; filename="apercu-{modele.code}.pdf"'
        return reponse

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # documents keep pointing to it: deactivate instead


class GenerationsFormSet(BaseInlineFormSet):
    @classmethod
    def get_default_prefix(cls) -> str:
        return "documents_generes"  # not "actions-2": stable whatever other inlines exist


class GenerationDocumentInline(admin.StackedInline):
    model = GenerationDocument
    formset = GenerationsFormSet
    fk_name = "type_evenement"
    fields = ["modele", "envoyer_a", "actif", "liee_a_la_date", "delai_tolere_jours", "ordre"]
    extra = 0
    verbose_name = "document généré"
    verbose_name_plural = "documents générés (actions automatiques)"


TypeEvenementAdmin.inlines = [*TypeEvenementAdmin.inlines, GenerationDocumentInline]


@admin.register(Document)
class DocumentAdmin(JournalAdmin):
    """Generated and uploaded documents: read-only (one way in: the Documents tab)."""

    list_display = ["cree_le", "titre", "numero", "version", "origine", "dossier", "cree_par"]
    list_filter = ["origine", "serie", "modele"]
    search_fields = ["numero", "titre", "dossier__beneficiaire__nom", "sha256"]
    list_select_related = ["dossier__beneficiaire", "dossier__prestation", "cree_par"]
