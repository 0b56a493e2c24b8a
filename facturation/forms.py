from decimal import Decimal

from django import forms

from config.saisie import SaisieNettoyee
from dossiers.models import Equipe, Financeur
from facturation.models import Convention, Reglement


class FiltreEcheancesForm(SaisieNettoyee, forms.Form):
    financeur = forms.ModelChoiceField(
        Financeur.objects.all(), required=False, label="Financeur", empty_label="Tous"
    )
    equipe = forms.ModelChoiceField(
        Equipe.objects.all(), required=False, label="Équipe", empty_label="Toutes"
    )
    du = forms.DateField(
        required=False, label="Débloquées du", widget=forms.DateInput(attrs={"type": "date"})
    )
    au = forms.DateField(required=False, label="au", widget=forms.DateInput(attrs={"type": "date"}))


class FiltreFacturesForm(SaisieNettoyee, forms.Form):
    financeur = forms.ModelChoiceField(
        Financeur.objects.all(), required=False, label="Financeur", empty_label="Tous"
    )
    etat = forms.ChoiceField(
        required=False,
        label="État",
        choices=[
            ("", "Tous"),
            ("brouillon", "Brouillon"),
            ("validee", "Validée"),
            ("envoyee", "Envoyée"),
            ("impayee", "Non soldée"),
        ],
    )


class LierConventionForm(SaisieNettoyee, forms.Form):
    convention = forms.ModelChoiceField(Convention.objects.none(), label="Convention")
    part = forms.DecimalField(
        label="Part du financement (%)", initial=Decimal("100"), max_digits=5, decimal_places=2
    )

    def __init__(self, *args, conventions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if conventions is not None:
            self.fields["convention"].queryset = conventions


class ReglementForm(SaisieNettoyee, forms.Form):
    date = forms.DateField(
        label="Date de réception", widget=forms.DateInput(attrs={"type": "date"})
    )
    montant = forms.DecimalField(label="Montant reçu (€)", max_digits=12, decimal_places=2)
    mode = forms.ChoiceField(label="Mode", choices=Reglement.Mode.choices)
    reference = forms.CharField(label="Référence", required=False, max_length=120)

    def __init__(self, *args, factures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.factures = list(factures)
        for facture in self.factures:
            self.fields[f"facture_{facture.pk}"] = forms.DecimalField(
                label=f"{facture.numero} (reste dû {facture.reste_du()} €)",
                required=False,
                max_digits=12,
                decimal_places=2,
                min_value=Decimal("0"),
            )

    def affectations(self):
        return [
            (f, self.cleaned_data.get(f"facture_{f.pk}"))
            for f in self.factures
            if self.cleaned_data.get(f"facture_{f.pk}")
        ]


class AvoirForm(SaisieNettoyee, forms.Form):
    motif = forms.CharField(label="Motif de l'avoir", max_length=300)
