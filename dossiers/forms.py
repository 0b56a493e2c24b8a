from django import forms
from django.contrib.auth import get_user_model

from config.saisie import SaisieNettoyee
from dossiers.models import Beneficiaire, Equipe, Financeur, Prestation, Statut


class FiltreDossiersForm(SaisieNettoyee, forms.Form):
    q = forms.CharField(label="Rechercher (nom)", required=False, max_length=200)
    statut = forms.ChoiceField(
        label="Statut", choices=[("", "Tous")] + Statut.choices, required=False
    )
    prestation = forms.ModelChoiceField(
        label="Prestation", queryset=Prestation.objects.all(), required=False, empty_label="Toutes"
    )
    referent = forms.ModelChoiceField(
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


class BeneficiaireForm(SaisieNettoyee, forms.ModelForm):
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


class DossierForm(SaisieNettoyee, forms.Form):
    beneficiaire = forms.ModelChoiceField(
        label="Bénéficiaire existant",
        queryset=Beneficiaire.objects.all(),
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
    referent = forms.ModelChoiceField(label="Référent", queryset=get_user_model().objects.none())
    heures_prevues = forms.DecimalField(
        label="Heures prévues",
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=2,
        help_text="Par défaut : la durée prévisionnelle de la prestation.",
    )

    def __init__(self, *args, equipes, referents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["equipe"].queryset = equipes
        self.fields["referent"].queryset = referents
