import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from config.saisie import SaisieNettoyee
from dossiers.dates import bornes_evenement
from dossiers.models import Dossier
from evenements.champs import champ_de_formulaire, nom_du_champ, valeurs_initiales
from evenements.masse import identifiants
from evenements.models import RAISON_LONGUEUR_MAX, Evenement, Motif, TypeEvenement
from evenements.services import types_disponibles, types_proposes

AIDE_COMMENTAIRE = (
    "Précisez les circonstances. Abandon ou rupture : expliquez la raison. "
    "Sortie positive : décrivez les résultats obtenus."
)


VERSION_ILLISIBLE = (
    "La version de l'événement manque ou est illisible : votre modification n'est pas "
    "enregistrée. Rechargez la page, puis refaites-la."
)


def champ_version(required: bool = True) -> forms.IntegerField:
    """The event's version counter the form was built from: checked by the service."""
    return forms.IntegerField(
        widget=forms.HiddenInput,
        required=required,
        min_value=1,
        max_value=2**31 - 1,
        error_messages=dict.fromkeys(
            ("required", "invalid", "min_value", "max_value"), VERSION_ILLISIBLE
        ),
    )


class EvenementForm(SaisieNettoyee, forms.Form):
    """The form of the seed: type, date, commentaire, motif and the type's extra fields.

    Its fields depend on the chosen type; the service re-validates everything.
    """

    type_evenement = forms.ModelChoiceField(
        label="Type d'événement", queryset=TypeEvenement.objects.none(), empty_label="— choisir —"
    )
    date = forms.DateField(
        label="Date de l'événement",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Date à laquelle l'événement s'est produit ou se produira.",
    )
    commentaire = forms.CharField(
        label="Commentaire",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=AIDE_COMMENTAIRE,
    )

    def __init__(self, *args, dossier: Dossier, evenement: Evenement | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.evenement = evenement
        if evenement is None:
            proposes = [t.pk for t in types_proposes(dossier)]
            self.fields["type_evenement"].queryset = TypeEvenement.objects.filter(pk__in=proposes)
            self.fields["date"].initial = timezone.localdate()
        else:
            disponibles = types_disponibles(dossier).values("pk")
            self.fields["type_evenement"].queryset = TypeEvenement.objects.filter(
                Q(pk__in=disponibles) | Q(pk=evenement.type_evenement_id)
            )
            self.fields["raison"] = forms.CharField(
                label="Raison de la modification",
                max_length=RAISON_LONGUEUR_MAX,
                help_text="Conservée dans l'historique de l'événement.",
            )
            self.fields["version"] = champ_version()
        debut, fin = bornes_evenement()  # the date picker offers the window the service checks
        self.fields["date"].widget.attrs.update(min=f"{debut:%Y-%m-%d}", max=f"{fin:%Y-%m-%d}")
        self.champs_du_type = []
        self.champs_saisis = []
        self.type_choisi = self._type_choisi()
        if self.type_choisi is not None:
            self._ajouter_champs_du_type(self.type_choisi)

    def date_choisie(self):
        """The date typed so far (for the preview), or None when it is not a valid date."""
        source = self.data if self.is_bound else self.initial
        valeur = source.get("date")
        if isinstance(valeur, datetime.date):
            return valeur
        try:
            return self.fields["date"].clean(valeur)
        except forms.ValidationError:
            return None

    def _type_choisi(self) -> TypeEvenement | None:
        source = self.data if self.is_bound else self.initial
        valeur = source.get("type_evenement")
        if isinstance(valeur, TypeEvenement):
            return valeur
        try:
            return self.fields["type_evenement"].queryset.prefetch_related("champs").get(pk=valeur)
        except (TypeEvenement.DoesNotExist, ValueError, TypeError):
            return None

    def _ajouter_champs_du_type(self, type_evenement: TypeEvenement) -> None:
        if type_evenement.commentaire_obligatoire:
            self.fields["commentaire"].required = True
        if type_evenement.motif != TypeEvenement.Exigence.NON_DEMANDE:
            motifs = Motif.objects.filter(liste=type_evenement.liste_motifs, actif=True)
            if self.evenement is not None and self.evenement.motif_id:
                motifs = motifs | Motif.objects.filter(pk=self.evenement.motif_id)
            self.fields["motif"] = forms.ModelChoiceField(
                label=type_evenement.libelle_motif,
                queryset=motifs,
                required=type_evenement.motif == TypeEvenement.Exigence.OBLIGATOIRE,
                empty_label="— choisir —",
                error_messages={"required": f"{type_evenement.libelle_motif} obligatoire."},
            )
        actuelles = self.evenement.valeurs if self.evenement is not None else {}
        self.champs_saisis = type_evenement.champs_saisis(actuelles)
        for champ in self.champs_saisis:
            self.fields[nom_du_champ(champ)] = champ_de_formulaire(
                champ, self.dossier.prestation, actuelles.get(champ.code)
            )
        self.champs_du_type = [self[nom_du_champ(c)] for c in self.champs_saisis]

    def valeurs(self) -> dict:
        if self.type_choisi is None:
            return {}
        return {c.code: self.cleaned_data.get(nom_du_champ(c)) for c in self.champs_saisis}

    def parametres_du_service(self) -> dict:
        return {
            "type_evenement": self.cleaned_data["type_evenement"],
            "date": self.cleaned_data["date"],
            "commentaire": self.cleaned_data.get("commentaire", ""),
            "motif": self.cleaned_data.get("motif"),
            "valeurs": self.valeurs(),
        }

    @classmethod
    def initial_depuis(cls, evenement: Evenement) -> dict:
        return {
            "type_evenement": evenement.type_evenement,
            "date": evenement.date,
            "commentaire": evenement.commentaire,
            "motif": evenement.motif_id,
            "version": evenement.version,
            **valeurs_initiales(list(evenement.type_evenement.champs.all()), evenement.valeurs),
        }


class SuppressionForm(SaisieNettoyee, forms.Form):
    raison = forms.CharField(
        label="Raison de la suppression",
        max_length=RAISON_LONGUEUR_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire : l'historique des événements est une trace légale du parcours.",
        error_messages={"required": "La raison de la suppression est obligatoire."},
    )
    # Checked when sent (the page sends it); a deletion confirms nothing else the user typed.
    version = champ_version(required=False)

    @classmethod
    def initial_depuis(cls, evenement: Evenement) -> dict:
        return {"version": evenement.version}


class ChampDossiers(forms.Field):
    """The checked dossiers' ids, carried as hidden inputs from one step to the next."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]


class SaisieMasseForm(SaisieNettoyee, forms.Form):
    """The confirmation step of a bulk recording: type, date, comment for all the dossiers.

    `types` is what may be chosen (the séance page offers only Entrée); the service
    re-checks everything and each dossier on its own.
    """

    dossiers = ChampDossiers(required=False)
    type_evenement = forms.ModelChoiceField(
        label="Type d'événement",
        queryset=TypeEvenement.objects.none(),
        empty_label=None,
        error_messages={
            "invalid_choice": "Ce type d'événement ne s'enregistre pas pour plusieurs "
            "dossiers depuis cette page."
        },
    )
    date = forms.DateField(
        label="Date de l'événement",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="La même pour tous les dossiers.",
        error_messages={
            "required": "Indiquez la date de l'événement.",
            "invalid": "Indiquez une date valide (jj/mm/aaaa).",
        },
    )
    commentaire = forms.CharField(
        label="Commentaire",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Le même pour tous les dossiers ; obligatoire pour certains types.",
    )

    def __init__(self, *args, types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type_evenement"].queryset = types
        if len(types) == 1:  # nothing to choose: the page names the type instead
            self.fields["type_evenement"].widget = forms.HiddenInput()
        debut, fin = bornes_evenement()
        self.fields["date"].widget.attrs.update(min=f"{debut:%Y-%m-%d}", max=f"{fin:%Y-%m-%d}")

    def clean_dossiers(self):
        try:
            return identifiants(self.cleaned_data["dossiers"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["dossiers"]) from None
