"""Rights on events: record on a visible dossier; edit one's own (or any, with the right
permission); delete only with the delete permission. The dossier's team is always checked."""

from dossiers.droits import peut_voir_dossier
from dossiers.models import Dossier
from evenements.models import Evenement


def peut_saisir(user, dossier: Dossier) -> bool:
    return user.has_perm("evenements.add_evenement") and peut_voir_dossier(user, dossier)


def peut_modifier(user, evenement: Evenement) -> bool:
    if evenement.est_supprime or not user.has_perm("evenements.change_evenement"):
        return False
    if not peut_voir_dossier(user, evenement.dossier):
        return False
    return evenement.auteur_id == user.pk or user.has_perm("evenements.modifier_tout_evenement")


def peut_supprimer(user, evenement: Evenement) -> bool:
    return (
        not evenement.est_supprime
        and user.has_perm("evenements.delete_evenement")
        and peut_voir_dossier(user, evenement.dossier)
    )


def qui_peut_piloter(dossier: Dossier) -> list:
    """Active members of the dossier's team who may retry, cancel or review its actions:
    named to a caseworker who sees an action waiting for someone else."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    droit = Q(
        groups__permissions__codename="piloter_actions",
        groups__permissions__content_type__app_label="evenements",
    ) | Q(
        user_permissions__codename="piloter_actions",
        user_permissions__content_type__app_label="evenements",
    )
    return list(
        get_user_model()
        .objects.filter(is_active=True, equipes=dossier.equipe_id)
        .filter(droit | Q(is_superuser=True))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
