"""Rights on séances: conseillers create and validate séances of their team's dossiers; only
the animateur or a responsable corrects a validated séance."""

from dossiers.droits import peut_voir_dossier, voit_toutes_les_equipes
from dossiers.models import Dossier


def peut_creer(user, dossier: Dossier) -> bool:
    return user.has_perm("seances.add_seance") and peut_voir_dossier(user, dossier)


def peut_voir(user, seance) -> bool:
    if not user.has_perm("seances.view_seance"):
        return False
    if seance.animateur_id == user.pk or voit_toutes_les_equipes(user):
        return True
    return any(peut_voir_dossier(user, p.dossier) for p in seance.participations.all())


def peut_valider(user, seance) -> bool:
    return user.has_perm("seances.change_seance") and peut_voir(user, seance)


def peut_corriger(user, seance) -> bool:
    if not peut_valider(user, seance):
        return False
    return seance.animateur_id == user.pk or user.has_perm("seances.corriger_toute_seance")
