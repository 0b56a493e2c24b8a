"""The pilotage filters: a period and the dossier's parties, validated with French messages.

The same form drives the pilotage page, its CSV exports and the list of dossiers behind a
figure, so a figure and its list always select the same dossiers.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from config.saisie import SaisieNettoyee
from dossiers.droits import dossiers_visibles, equipes_de, voit_toutes_les_equipes
from dossiers.models import Equipe, Financeur, Phase, Prestation
from facturation.models import Convention, FinancementDossier

CHOIX_INVALIDE = "Ce choix n'existe pas ou ne vous est pas accessible."


@dataclass(frozen=True)
class Periode:
    debut: datetime.date
    fin: datetime.date

    def __str__(self) -> str:
        return f"du {self.debut:%d/%m/%Y} au {self.fin:%d/%m/%Y}"


def periode_par_defaut(aujourd_hui: datetime.date) -> Periode:
    """The last twelve months, whole months, up to today."""
    mois = aujourd_hui.year * 12 + aujourd_hui.month - 1 - 11
    return Periode(datetime.date(mois // 12, mois % 12 + 1, 1), aujourd_hui)


def equipes_accessibles(user) -> QuerySet[Equipe]:
    equipes = Equipe.objects.all()
    return equipes if voit_toutes_les_equipes(user) else equipes.filter(pk__in=equipes_de(user))


def conventions_accessibles() -> QuerySet[Convention]:
    """Conventions are the organisation's referential, like financeurs and prestations:
    every one (closed ones too, for past periods) may be chosen."""
    return Convention.objects.select_related("financeur").order_by("financeur", "numero")


def finances_par(dossiers: QuerySet, convention) -> QuerySet:
    """The dossiers currently financed under `convention` (a subquery: no duplicate rows
    under the aggregates' joins)."""
    finances = FinancementDossier.objects.filter(convention=convention, actif=True)
    return dossiers.filter(pk__in=finances.values("dossier_id"))


def verifier_convention(form, donnees: dict) -> None:
    convention, financeur = donnees.get("convention"), donnees.get("financeur")
    if convention and financeur and convention.financeur_id != financeur.pk:
        form.add_error("convention", "Cette convention n'est pas celle du financeur choisi.")


def referents_accessibles(user):
    return (
        get_user_model()
        .objects.filter(equipes__in=equipes_accessibles(user))
        .distinct()
        .order_by("last_name", "username")
    )


class _Choix(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": CHOIX_INVALIDE}


class FiltrePilotageForm(SaisieNettoyee, forms.Form):
    debut = forms.DateField(
        label="Du", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    fin = forms.DateField(
        label="Au", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    financeur = _Choix(
        label="Financeur", queryset=Financeur.objects.all(), required=False, empty_label="Tous"
    )
    convention = _Choix(
        label="Convention", queryset=Convention.objects.none(), required=False, empty_label="Toutes"
    )
    prestation = _Choix(
        label="Prestation", queryset=Prestation.objects.all(), required=False, empty_label="Toutes"
    )
    phase = _Choix(
        label="Phase",
        queryset=Phase.objects.select_related("prestation"),
        required=False,
        empty_label="Toutes",
    )
    equipe = _Choix(
        label="Équipe", queryset=Equipe.objects.none(), required=False, empty_label="Toutes"
    )
    referent = _Choix(
        label="Référent",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Tous",
    )

    FILTRES = ("financeur", "convention", "prestation", "phase", "equipe", "referent")
    MAX_JOURS = 366 * 5

    def __init__(self, data=None, *, user, aujourd_hui: datetime.date, **kwargs):
        defaut = periode_par_defaut(aujourd_hui)
        if data is not None:
            data = data.copy()
            for nom, valeur in (("debut", defaut.debut), ("fin", defaut.fin)):
                if not data.get(nom):
                    data[nom] = valeur.isoformat()
        super().__init__(data, initial={"debut": defaut.debut, "fin": defaut.fin}, **kwargs)
        self.user = user
        self.fields["equipe"].queryset = equipes_accessibles(user)
        self.fields["referent"].queryset = referents_accessibles(user)
        self.fields["convention"].queryset = conventions_accessibles()
        self.fields["phase"].label_from_instance = lambda p: f"{p.prestation} — {p.libelle}"

    def clean(self):
        donnees = super().clean()
        debut, fin = donnees.get("debut"), donnees.get("fin")
        if debut and fin:
            if fin < debut:
                self.add_error("fin", "La fin de la période précède son début.")
            elif (fin - debut).days > self.MAX_JOURS:
                self.add_error("fin", "La période ne peut pas dépasser cinq ans.")
        verifier_convention(self, donnees)
        phase, prestation = donnees.get("phase"), donnees.get("prestation")
        if phase and prestation and phase.prestation_id != prestation.pk:
            self.add_error("phase", "Cette phase n'appartient pas à la prestation choisie.")
        return donnees

    @property
    def periode(self) -> Periode:
        return Periode(self.cleaned_data["debut"], self.cleaned_data["fin"])

    def dossiers(self) -> QuerySet:
        """The user's visible dossiers narrowed by the filters (the period is not a filter:
        each indicator reads it its own way)."""
        dossiers = dossiers_visibles(self.user)
        for nom in self.FILTRES:
            valeur = self.cleaned_data.get(nom)
            if valeur is None:
                continue
            if nom == "convention":
                dossiers = finances_par(dossiers, valeur)
            else:
                champ = "phase_courante" if nom == "phase" else nom
                dossiers = dossiers.filter(**{champ: valeur})
        return dossiers

    def parametres(self) -> dict:
        """The cleaned filters as query-string values, for links and exports."""
        sortie = {
            "debut": self.cleaned_data["debut"].isoformat(),
            "fin": self.cleaned_data["fin"].isoformat(),
        }
        for nom in self.FILTRES:
            valeur = self.cleaned_data.get(nom)
            if valeur is not None:
                sortie[nom] = valeur.pk
        return sortie
