"""Extra fields of an event type: one form field per kind, used by the form and the service.

The service validates values with the very form fields the UI shows, so the rules are the
same whichever way an event comes in.
"""

import datetime
import decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from dossiers.dates import valider_date_plausible
from dossiers.models import Financeur, Phase, Prestation
from evenements.models import ChampSupplementaire

Nature = ChampSupplementaire.Nature
OUI_NON = [("", "—"), ("oui", "Oui"), ("non", "Non")]


def nom_du_champ(champ: ChampSupplementaire) -> str:
    return f"champ_{champ.code}"


def champ_de_formulaire(
    champ: ChampSupplementaire, prestation: Prestation, actuelle: Any = None
) -> forms.Field:
    """`actuelle`: the stored value when editing; kept on offer even if since deactivated."""
    garder = Q(pk=actuelle) if isinstance(actuelle, int) else Q(pk__in=[])
    commun = {"label": champ.libelle, "required": champ.obligatoire, "help_text": champ.aide}
    match champ.nature:
        case Nature.TEXTE:
            return forms.CharField(
                max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), **commun
            )
        case Nature.NOMBRE:
            return forms.DecimalField(max_digits=12, decimal_places=2, **commun)
        case Nature.DATE:
            return forms.DateField(
                widget=forms.DateInput(attrs={"type": "date"}),
                validators=[valider_date_plausible],
                **commun,
            )
        case Nature.OUI_NON:
            return forms.ChoiceField(choices=OUI_NON, **commun)
        case Nature.CHOIX:
            choix = [("", "—")] + [(c, c) for c in champ.liste_choix]
            return forms.ChoiceField(choices=choix, **commun)
        case Nature.PHASE:
            return forms.ModelChoiceField(
                queryset=Phase.objects.filter(Q(actif=True) | garder, prestation=prestation),
                empty_label="—",
                **commun,
            )
        case Nature.FINANCEUR:
            return forms.ModelChoiceField(
                queryset=Financeur.objects.filter(Q(actif=True) | garder),
                empty_label="—",
                **commun,
            )
    raise ValueError(champ.nature)


def _vers_json(valeur: Any) -> Any:
    match valeur:
        case None | "":
            return None
        case "oui":
            return True
        case "non":
            return False
        case datetime.date():
            return valeur.isoformat()
        case decimal.Decimal():
            return str(valeur)
        case Phase() | Financeur():
            return valeur.pk
    return valeur


def _depuis_json(champ: ChampSupplementaire, valeur: Any) -> Any:
    """Stored value → what the form field expects as initial data."""
    if valeur is None:
        return None
    if champ.nature == Nature.OUI_NON:
        return "oui" if valeur else "non"
    return valeur


def valider_valeurs(
    champs: list[ChampSupplementaire],
    valeurs: dict[str, Any],
    prestation: Prestation,
    actuelles: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Clean the values of `champs`; errors are keyed by form field name.

    `actuelles`: the values stored before an edit (a deactivated phase may stay chosen)."""
    propres, erreurs = {}, {}
    actuelles = actuelles or {}
    for champ in champs:
        brute = valeurs.get(champ.code)
        if isinstance(brute, bool):
            brute = "oui" if brute else "non"
        try:
            valeur = champ_de_formulaire(champ, prestation, actuelles.get(champ.code)).clean(brute)
        except ValidationError as exc:
            erreurs[nom_du_champ(champ)] = exc.messages
            continue
        propres[champ.code] = _vers_json(valeur)
    if erreurs:
        raise ValidationError(erreurs)
    return propres


def valeurs_initiales(champs: list[ChampSupplementaire], valeurs: dict[str, Any]) -> dict:
    return {nom_du_champ(c): _depuis_json(c, valeurs.get(c.code)) for c in champs}


def afficher(
    champ: ChampSupplementaire,
    valeur: Any,
    phases: dict[int, Phase],
    financeurs: dict[int, Financeur],
) -> str:
    if valeur is None or valeur == "":
        return "—"
    match champ.nature:
        case Nature.OUI_NON:
            return "Oui" if valeur else "Non"
        case Nature.DATE:
            return datetime.date.fromisoformat(valeur).strftime("%d/%m/%Y")
        case Nature.PHASE:
            return str(phases.get(int(valeur), "phase supprimée"))
        case Nature.FINANCEUR:
            return str(financeurs.get(int(valeur), "financeur inconnu"))
    return str(valeur)
