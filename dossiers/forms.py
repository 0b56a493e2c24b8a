from django import forms
from django.contrib.auth import get_user_model

from dossiers.models import Beneficiaire, Equipe, Financeur, Prestation, Statut


class UtilisateurChoiceField(forms.ModelChoiceField):
    """People are shown by their full name, not their login."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class FiltreDossiersForm(forms.Form):
    q = forms.CharField(label="Rechercher (nom)", required=False)
    statut = forms.ChoiceField(
        label="Statut", choices=[("", "Tous")] + Statut.choices, required=False
    )
    prestation = forms.ModelChoiceField(
        label="Prestation", queryset=Prestation.objects.all(), required=False, empty_label="Toutes"
    )
    referent = UtilisateurChoiceField(
        label="Référent",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Tous",
    )
    equipe = forms.ModelChoiceField(
        label="Équipe", queryset=Equipe.objects.all(), required=False, empty_label="Toutes"
    )

    def __init__(self, *args, referents, equipes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referent"].queryset = referents
        self.fields["equipe"].queryset = equipes


class BeneficiaireForm(forms.ModelForm):
    class Meta:
        model = Beneficiaire
        fields = [
            "civilite",
            "nom",
            "prenom",
            "date_naissance",
            "email",
            "mobile",
            "adresse",
            "identifiant_externe",
            "consentement_email",
            "consentement_sms",
        ]
        widgets = {
            "date_naissance": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "adresse": forms.Textarea(attrs={"rows": 2}),
        }


class DossierForm(forms.Form):
    beneficiaire = forms.ModelChoiceField(
        label="Bénéficiaire existant",
        queryset=Beneficiaire.objects.none(),
        required=False,
        empty_label="— nouveau bénéficiaire (à renseigner ci-dessous) —",
    )
    prestation = forms.ModelChoiceField(
        label="Prestation", queryset=Prestation.objects.filter(actif=True)
    )
    financeur = forms.ModelChoiceField(
        label="Financeur", queryset=Financeur.objects.filter(actif=True), required=False
    )
    equipe = forms.ModelChoiceField(label="Équipe", queryset=Equipe.objects.none())
    referent = UtilisateurChoiceField(label="Référent", queryset=get_user_model().objects.none())
    heures_prevues = forms.DecimalField(
        label="Heures prévues",
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=2,
        help_text="Par défaut : la durée prévisionnelle de la prestation.",
    )

    def __init__(self, *args, beneficiaires, equipes, referents, **kwargs):
        super().__init__(*args, **kwargs)
        # Every choice goes through the user's team scope (dossiers.droits).
        self.fields["beneficiaire"].queryset = beneficiaires
        self.fields["equipe"].queryset = equipes
        self.fields["referent"].queryset = referents
        if not self.is_bound and "equipe" not in self.initial:
            seules = list(equipes[:2])
            if len(seules) == 1:  # one team: nothing to choose
                self.initial["equipe"] = seules[0].pk
