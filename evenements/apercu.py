"""What an event of a given type and date will do, shown in the form before saving."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from dossiers.models import Dossier, Statut
from evenements.models import ActionConfiguree, Effet, TypeEvenement
from evenements.natures import chemins_parametres, concerne, nature
from evenements.pipeline import trop_tard

STATUT_APRES = {
    Effet.ENTREE: Statut.EN_COURS,
    Effet.SORTIE_POSITIVE: Statut.TERMINE,
    Effet.ABANDON: Statut.ABANDONNE,
    Effet.RUPTURE: Statut.RUPTURE,
}


@dataclass
class Apercu:
    effets: list[str] = field(default_factory=list)  # "Cet événement va : …"
    non_faits: list[str] = field(default_factory=list)  # skipped: recorded too late
    planifie_le: datetime.date | None = None

    def __bool__(self) -> bool:
        return bool(self.effets or self.non_faits)


def apercu_du_type(
    type_evenement: TypeEvenement | None,
    dossier: Dossier,
    date: datetime.date | None = None,
    aujourd_hui: datetime.date | None = None,
) -> Apercu:
    apercu = Apercu()
    if type_evenement is None:
        return apercu
    aujourd_hui = aujourd_hui or timezone.localdate()
    date = date or aujourd_hui
    if date > aujourd_hui:
        apercu.planifie_le = date
    effets = apercu.effets
    statut = STATUT_APRES.get(type_evenement.effet)
    if statut is not None:
        effets.append(f"passer le dossier en « {statut.label} »")
    if type_evenement.effet == Effet.ENTREE:
        effets.append("démarrer le calcul de la durée du parcours")
        premiere = dossier.prestation.phases.first()
        if premiere is not None:
            effets.append(f"placer le dossier dans la phase « {premiere} »")
    elif statut is not None:
        effets.append("arrêter le calcul de la durée du parcours")
    if type_evenement.champ_phase is not None:
        effets.append("changer la phase courante du dossier")
    if type_evenement.champ_financeur is not None:
        effets.append("changer le financeur du dossier à partir de cette date")
    configurations = ActionConfiguree.objects.filter(
        type_evenement=type_evenement, actif=True
    ).select_related(*chemins_parametres(prefixe=None))
    for configuration in configurations:
        if not concerne(configuration, dossier):
            continue
        description = nature(configuration.nature).decrire(configuration, dossier)
        if date <= aujourd_hui and trop_tard(configuration, date, aujourd_hui):
            apercu.non_faits.append(description)
        else:
            effets.append(description)
    return apercu
