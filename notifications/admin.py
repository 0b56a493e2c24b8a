from django import forms
from django.contrib import admin
from django.utils.html import format_html
from phonenumber_field.formfields import PhoneNumberField

from evenements.admin import JournalAdmin, TypeEvenementAdmin
from evenements.models import Evenement
from notifications import rendu
from notifications.models import Alerte, Envoi, ModeleNotification


class ModeleNotificationForm(forms.ModelForm):
    class Meta:
        model = ModeleNotification
        fields = [
            "destinataire",
            "canal",
            "adresse_fixe",
            "sujet",
            "corps",
            "actif",
            "liee_a_la_date",
            "delai_tolere_jours",
            "ordre",
        ]
        widgets = {"corps": forms.Textarea(attrs={"rows": 6, "cols": 80})}

    def clean(self):
        donnees = super().clean()
        for champ in ("sujet", "corps"):
            try:
                rendu.verifier(donnees.get(champ) or "")
            except rendu.GabaritInvalide as exc:
                self.add_error(champ, str(exc))
        if donnees.get("destinataire") == ModeleNotification.Destinataire.ADRESSE_FIXE:
            adresse = donnees.get("adresse_fixe", "")
            if not adresse:
                self.add_error("adresse_fixe", "Indiquez l'adresse fixe.")
            elif donnees.get("canal") == ModeleNotification.Canal.SMS:
                try:
                    donnees["adresse_fixe"] = str(PhoneNumberField(region="FR").clean(adresse))
                except forms.ValidationError:
                    self.add_error("adresse_fixe", "Numéro de mobile invalide.")
            else:
                try:
                    forms.EmailField().clean(adresse)
                except forms.ValidationError:
                    self.add_error("adresse_fixe", "Adresse e-mail invalide.")
        if donnees.get("canal") == ModeleNotification.Canal.EMAIL and not donnees.get("sujet"):
            self.add_error("sujet", "Un e-mail a besoin d'un sujet.")
        if donnees.get("canal") == ModeleNotification.Canal.ALERTE and not donnees.get("sujet"):
            self.add_error("sujet", "Une alerte a besoin d'un sujet : c'est son titre.")
        return donnees


def apercu(modele: ModeleNotification) -> str:
    """Rendered with the latest event of its type, or with sample data."""
    if not modele.pk:
        return "Enregistrez pour voir l'aperçu."
    dernier = (
        Evenement.objects.filter(type_evenement_id=modele.type_evenement_id)
        .select_related(
            "dossier__beneficiaire",
            "dossier__prestation",
            "dossier__financeur",
            "dossier__referent",
            "dossier__phase_courante",
            "type_evenement",
            "motif",
        )
        .order_by("-pk")
        .first()
    )
    donnees = rendu.contexte(dernier) if dernier else rendu.EXEMPLE
    source = f"dernier événement de ce type (n° {dernier.pk})" if dernier else "exemple"
    try:
        sujet, corps = rendu.rendre(modele.sujet, donnees), rendu.rendre(modele.corps, donnees)
    except rendu.GabaritInvalide as exc:  # saved before the check existed: show, never 500
        return format_html(
            '<p class="errornote">Aperçu impossible : {} Corrigez le gabarit ci-dessus.</p>', exc
        )
    return format_html(
        "<p><em>Aperçu ({}) :</em></p><p><strong>{}</strong></p><pre>{}</pre>",
        source,
        sujet,
        corps,
    )


class ModeleNotificationInline(admin.StackedInline):
    model = ModeleNotification
    form = ModeleNotificationForm
    fk_name = "type_evenement"
    extra = 0
    can_delete = False  # sent messages name it: deactivate instead
    readonly_fields = ["apercu"]
    verbose_name = "notification déclenchée"
    verbose_name_plural = "notifications déclenchées (actions automatiques)"

    @admin.display(description="Aperçu")
    def apercu(self, obj):
        return apercu(obj)


TypeEvenementAdmin.inlines = [*TypeEvenementAdmin.inlines, ModeleNotificationInline]


@admin.register(Envoi)
class EnvoiAdmin(JournalAdmin):
    """Delivery log."""

    list_display = ["cree_le", "canal", "destinataire", "adresse", "sujet", "etat", "tentatives"]
    list_filter = ["etat", "canal"]
    search_fields = ["adresse", "sujet", "dossier__beneficiaire__nom"]
    list_select_related = ["dossier__beneficiaire"]


@admin.register(Alerte)
class AlerteAdmin(JournalAdmin):
    """In-app alerts: written by the pipeline, read by their user in the app."""

    list_display = ["cree_le", "utilisateur", "titre", "dossier", "lue_le"]
    list_filter = ["lue_le"]
    search_fields = ["titre", "utilisateur__username", "dossier__beneficiaire__nom"]
    list_select_related = ["utilisateur", "dossier__beneficiaire", "dossier__prestation"]
