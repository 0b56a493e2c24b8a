"""What an event of a given type will do, shown in the form before saving."""

from dossiers.models import Dossier, Statut
from evenements.models import ActionConfiguree, Effet, TypeEvenement
from evenements.natures import chemins_parametres, concerne, nature

STATUT_APRES = {
    Effet.ENTREE: Statut.EN_COURS,
    Effet.SORTIE_POSITIVE: Statut.TERMINE,
    Effet.ABANDON: Statut.ABANDONNE,
    Effet.RUPTURE: Statut.RUPTURE,
}


def apercu_du_type(type_evenement: TypeEvenement | None, dossier: Dossier) -> list[str]:
    if type_evenement is None:
        return []
    effets = []
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
    configurations = ActionConfiguree.objects.filter(
        type_evenement=type_evenement, actif=True
    ).select_related(*chemins_parametres(prefixe=None))
    effets += [nature(c.nature).decrire(c, dossier) for c in configurations if concerne(c, dossier)]
    return effets
