from django import forms
from django.contrib.auth import get_user_model

from config.saisie import SaisieNettoyee
from dossiers.models import Beneficiaire, Equipe, Financeur, Prestation, Statut


class UtilisateurChoiceField(forms.ModelChoiceField):
    """People are shown by their full name, not their login."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class FiltreDossiersForm(SaisieNettoyee, forms.Form):
    q = forms.CharField(
        label="Rechercher",
        required=False,
        max_length=200,
        help_text="Nom, prénom, e-mail ou identifiant externe ; sans tenir compte des accents "
        "ni des majuscules.",
        widget=forms.TextInput(attrs={"placeholder": "nom, e-mail, identifiant…"}),
    )
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


class BeneficiaireEditionForm(SaisieNettoyee, forms.ModelForm):
    """A bénéficiaire's details; the reason is optional (kept in the history if given)."""

    # Missing or tampered: the service answers with the conflict message.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    raison = forms.CharField(
        label="Raison de la modification",
        required=False,
        max_length=100,
        help_text="Facultative ; conservée dans l'historique.",
    )

    class Meta(BeneficiaireForm.Meta):
        pass

    def valeurs(self) -> dict:
        return {c: self.cleaned_data[c] for c in self._meta.fields}


class DossierEditionForm(SaisieNettoyee, forms.Form):
    """What a responsable decides on a dossier; the reason is required (billing, reports)."""

    referent = UtilisateurChoiceField(label="Référent", queryset=get_user_model().objects.none())
    financeur_initial = forms.ModelChoiceField(
        label="Financeur initial",
        queryset=Financeur.objects.none(),
        required=False,
        help_text="Le financeur à l'ouverture du dossier. Un événement « Nouveau financeur » "
        "le remplace à partir de sa date.",
    )
    heures_prevues = forms.DecimalField(
        label="Heures prévues", required=False, min_value=0, max_digits=7, decimal_places=2
    )
    equipe = forms.ModelChoiceField(label="Équipe", queryset=Equipe.objects.none())
    # Missing or tampered: the service answers with the conflict message.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    raison = forms.CharField(
        label="Raison de la modification",
        max_length=100,
        help_text="Obligatoire ; conservée dans l'historique du dossier.",
        error_messages={"required": "Indiquez la raison de la modification."},
    )

    def __init__(self, *args, dossier, equipes, referents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["equipe"].queryset = equipes
        self.fields["referent"].queryset = referents
        financeurs = Financeur.objects.filter(actif=True)
        if dossier.financeur_initial_id:
            financeurs = financeurs | Financeur.objects.filter(pk=dossier.financeur_initial_id)
        self.fields["financeur_initial"].queryset = financeurs.distinct()
        if equipes.count() < 2:
            self.fields["equipe"].disabled = True

    @staticmethod
    def initial_depuis(dossier) -> dict:
        return {
            "referent": dossier.referent_id,
            "financeur_initial": dossier.financeur_initial_id,
            "heures_prevues": dossier.heures_prevues,
            "equipe": dossier.equipe_id,
            "version": dossier.version,
        }
